"""Start the parts the assistant needs (commerce service, action server, Rasa) when they are
not already running, wait until they answer, and stop what was started."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

import httpx
import yaml

from assistant.errors import DialogueError
from assistant.settings import Settings
from commerce.db import private_sqlite_file

log = logging.getLogger(__name__)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the child gets SIGTERM when the thread that started it dies (start children from
    the main thread), however the process ends: no orphaned Rasa servers."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def answers(url: str, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False


@dataclass
class ManagedProcess:
    """One child process with a health URL and a log file."""

    name: str
    argv: list[str]
    health_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting %s: %s", self.name, " ".join(self.argv))
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
                self.argv,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise DialogueError(
                    "service-failed",
                    f"{self.name} exited with {self.process.returncode}; see {self.log_path}",
                )
            if answers(self.health_url):
                return
            time.sleep(0.5)
        raise DialogueError(
            "service-timeout",
            f"{self.name} did not answer in {timeout_s:.0f} s; see {self.log_path}",
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _port(url: str) -> str:
    return str(urlparse(url).port or 80)


def layered(environment: dict[str, str], own: dict[str, str]) -> dict[str, str]:
    """The environment of a process started with more ``environment`` for every process:
    that, then the process's own; a PYTHONPATH of both is the process's, then the more's."""
    env = {**environment, **own}
    extra = environment.get("PYTHONPATH")
    if extra and "PYTHONPATH" in own:
        env["PYTHONPATH"] = os.pathsep.join((own["PYTHONPATH"], extra))
    return env


@dataclass
class Stack:
    """The running services and how to reach them; ``settings`` carries the Rasa token."""

    settings: Settings
    started: list[ManagedProcess] = field(default_factory=list)
    # More environment for every process it starts (on top of this process's own); a
    # PYTHONPATH here comes after the project root that the servers in Rasa's environment need.
    environment: dict[str, str] = field(default_factory=dict)

    def _env(self, own: dict[str, str]) -> dict[str, str]:
        return layered(self.environment, own)

    @property
    def rasa_bin(self) -> Path:
        return self.settings.root / self.settings.dialogue.venv / "bin" / "rasa"

    def model_path(self) -> Path:
        d = self.settings.dialogue
        return self.settings.root / d.model_dir / f"{d.model_name}.tar.gz"

    def _logs(self, name: str) -> Path:
        return self.settings.root / "var" / "logs" / f"{name}.log"

    def tracker_file(self) -> Path | None:
        """The SQLite file of Rasa's tracker store (None when the store is not SQLite)."""
        endpoints = self.settings.path(self.settings.dialogue.endpoints)
        store = (yaml.safe_load(endpoints.read_text()) or {}).get("tracker_store") or {}
        if store.get("dialect") != "sqlite" or not store.get("db"):
            return None
        return self.settings.path(str(store["db"]))

    def commerce(self) -> ManagedProcess | None:
        c = self.settings.commerce
        if answers(f"{c.base_url}/v1/health"):
            return None
        return ManagedProcess(
            "commerce service",
            [
                sys.executable,
                str(self.settings.root / "run_assistant.py"),
                "catalog",
                "serve",
                "--host",
                c.host,
                "--port",
                str(c.port),
            ],
            f"{c.base_url}/v1/health",
            self._logs("commerce"),
            # In the environment, not argv: a PostgreSQL URL may carry a password.
            env=self._env(
                {
                    "DATABASE_URL": self.settings.resolve_database_url(),
                    "COMMERCE_OPERATOR_TOKEN": self._operator_token(),
                }
            ),
            cwd=self.settings.root,
        )

    @property
    def rasa_python(self) -> Path:
        return self.settings.root / self.settings.dialogue.venv / "bin" / "python"

    def _launcher(self, server: str, url: str) -> list[str]:
        """The command that starts one of Rasa's servers (assistant/rasa_servers.py): it
        listens on ``dialogue.listen_host`` and takes its secrets from the environment."""
        d = self.settings.dialogue
        module = [str(self.rasa_python), "-m", "assistant.rasa_servers", server]
        return [*module, "--host", d.listen_host, "--port", _port(url)]

    def _action_token(self) -> str:
        """The secret Rasa presents to the action server: the configured one, else a new one
        (kept in the settings so the Rasa this stack starts gets it too)."""
        d = self.settings.dialogue
        if d.action_token is None:
            self.settings = replace(self.settings, dialogue=replace(d, action_token=_secret()))
        return self.settings.dialogue.action_token or ""

    def _operator_token(self) -> str:
        """The secret that lets the assistant ask the service it starts for customer tokens
        (``/v1/operator``): the configured one, else a new one kept in the settings."""
        c = self.settings.commerce
        if c.operator_token is None:
            self.settings = replace(self.settings, commerce=replace(c, operator_token=_secret()))
        return self.settings.commerce.operator_token or ""

    def action_server(self) -> ManagedProcess | None:
        d = self.settings.dialogue
        if answers(f"{d.action_url}/health"):
            return None
        return ManagedProcess(
            "action server",
            self._launcher("actions", d.action_url),
            f"{d.action_url}/health",
            self._logs("actions"),
            env=self._env(
                {
                    "ACTION_SERVER_TOKEN": self._action_token(),
                    "COMMERCE_URL": self.settings.commerce.base_url,
                    "PYTHONPATH": str(self.settings.root),
                }
            ),
            cwd=self.settings.root,
        )

    def rasa(self, *, actions_elsewhere: bool = False) -> ManagedProcess | None:
        """Rasa, unless it runs; ``actions_elsewhere``: it is to call an action server that
        this stack did not start (whose secret must then be configured)."""
        d = self.settings.dialogue
        if answers(f"{d.rasa_url}/"):
            if not d.auth_token:
                raise DialogueError(
                    "rasa-token-missing",
                    f"Rasa already runs at {d.rasa_url}: set RASA_AUTH_TOKEN to its API token",
                )
            return None
        if actions_elsewhere and not d.action_token:
            raise DialogueError(
                "action-token-missing",
                f"An action server already runs at {d.action_url}: set ACTION_SERVER_TOKEN "
                "to its secret so that the Rasa started here may call it",
            )
        if not self.model_path().exists():
            raise DialogueError(
                "model-missing", "No trained model: run `python run_assistant.py train`."
            )
        if d.auth_token is None:
            self.settings = replace(self.settings, dialogue=replace(d, auth_token=_secret()))
        tracker = self.tracker_file()
        if tracker is not None:
            private_sqlite_file(tracker)  # conversations: before Rasa creates it world-readable
        return ManagedProcess(
            "Rasa server",
            [
                *self._launcher("rasa", d.rasa_url),
                "--model",
                str(self.model_path()),
                "--endpoints",
                d.endpoints,
                "--credentials",
                d.credentials,
            ],
            f"{d.rasa_url}/",
            self._logs("rasa"),
            # Secrets in the environment, never in argv (which any local user can read).
            env=self._env(
                {
                    "RASA_AUTH_TOKEN": self.settings.dialogue.auth_token or "",
                    "ACTION_SERVER_TOKEN": self._action_token(),
                    "PYTHONPATH": str(self.settings.root),
                }
            ),
            cwd=self.settings.root,
        )

    def ensure(self, *, commerce: bool = True, actions: bool = True) -> None:
        """Start what is not running (all at once: Rasa loads slowly) and wait for them."""
        (self.settings.root / "var").mkdir(exist_ok=True)
        wanted = []
        if commerce:
            wanted.append(self.commerce())
        action_server = self.action_server() if actions else None
        if actions and action_server is None and not self.settings.dialogue.action_token:
            # each turn hands the customer's token to it directly, never through Rasa
            raise DialogueError(
                "action-token-missing",
                f"An action server already runs at {self.settings.dialogue.action_url}: set "
                "ACTION_SERVER_TOKEN to its secret, so that turns can hand it their customer",
            )
        wanted += [action_server, self.rasa(actions_elsewhere=actions and action_server is None)]
        for process in (p for p in wanted if p is not None):
            process.start()
            self.started.append(process)
        for process in self.started:
            process.wait_ready(self.settings.dialogue.start_timeout_s)

    def stop(self) -> None:
        for process in reversed(self.started):
            process.stop()
        self.started.clear()


def _secret() -> str:
    return secrets.token_urlsafe(32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolated(settings: Settings, workdir: Path, database_url: str) -> Settings:
    """Settings for a private stack (tests, benchmarks): free ports on 127.0.0.1, the given
    commerce database, and a tracker store in ``workdir``. The running defaults are untouched."""
    action_port, rasa_port, commerce_port = free_port(), free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
        "tracker_store:\n  type: assistant.tracker_store.PrivateSQLTrackerStore\n"
        f'  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n  keep_days: 30\n'
        'lock_store:\n  type: "in_memory"\n'
    )
    return replace(
        settings,
        commerce=replace(settings.commerce, database_url=database_url, port=commerce_port),
        dialogue=replace(
            settings.dialogue,
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            action_url=f"http://127.0.0.1:{action_port}",
            endpoints=str(endpoints),
            auth_token=None,
            action_token=None,
        ),
    )


@contextlib.contextmanager
def running(
    settings: Settings,
    *,
    commerce: bool = True,
    actions: bool = True,
    environment: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """The stack, started where not running (``environment``: more for the processes it starts),
    stopped again after the block."""
    stack = Stack(settings, environment=dict(environment or {}))
    try:
        stack.ensure(commerce=commerce, actions=actions)
        yield stack
    finally:
        stack.stop()
