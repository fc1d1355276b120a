"""A Redis server and a PostgreSQL server of a test's own, on free ports of 127.0.0.1 and in
a temporary folder, for the chaos tests that restart them (the machine's shared ones are never
restarted). Their programs missing is a failure where REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from assistant.services import free_port
from tests.conftest import service_missing

# where Debian's PostgreSQL keeps its programs (pg_ctl is not on PATH there)
PG_BIN_DIRS = [Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))[::-1]]


def _program(name: str, dirs: list[Path] | None = None) -> str:
    found = shutil.which(name) or next(
        (str(d / name) for d in dirs or [] if (d / name).exists()), None
    )
    if found is None:
        service_missing(f"{name} (scripts/setup.sh installs it)", FileNotFoundError(name))
    assert found is not None
    return found


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class PrivateRedis:
    """``redis-server`` on a free port, keeping nothing on disk: a restart loses everything."""

    def __init__(self, work: Path) -> None:
        self.program = _program("redis-server")
        self.port = free_port()
        self.work = work
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [self.program, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.work)]
        with (self.work / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not _answers(self.port):
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


class PrivatePostgres:
    """A PostgreSQL cluster made by ``initdb`` in a temporary folder (trust on 127.0.0.1),
    run by ``pg_ctl``; as the ``postgres`` user when the tests run as root (PostgreSQL refuses
    to run as root)."""

    def __init__(self) -> None:
        self.initdb = _program("initdb", PG_BIN_DIRS)
        self.pg_ctl = _program("pg_ctl", PG_BIN_DIRS)
        self.port = free_port()
        self.work = Path(tempfile.mkdtemp(prefix="vca-pg-"))
        self.data = self.work / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.work, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str) -> None:
        subprocess.run([*self.as_user, *argv], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if not self.data.exists():
            self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.work}"
        log = str(self.work / "postgres.log")
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def restart(self) -> None:
        """A fast shutdown (every connection cut, as a crash would) and a start."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.start()

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self.as_user, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.work, ignore_errors=True)
