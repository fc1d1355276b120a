"""``run_assistant.py deploy``: the assistant past one process, on one machine.

HAProxy (``deploy/haproxy.cfg.template``) in front of N gateways and K commerce service
processes (one PostgreSQL database) and M Rasa servers (conversations in PostgreSQL, locks in
Redis: ``endpoints.scale.yml``), with one action server; the gateways keep their sessions'
state in the same Redis, so that a device resumes on any of them. One action server, because
a turn's handover (the customer's token, ``PUT /handover``) and Rasa's call for that turn must
reach the same one; the action server keeps nothing else, so it is restarted, not replicated.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from string import Template
from urllib.parse import urlparse

from sqlalchemy import create_engine, make_url, text

from assistant.errors import ConfigError, DialogueError
from assistant.services import ManagedProcess, _secret, answers, free_port
from assistant.settings import Settings

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "haproxy.cfg.template"


@dataclass(frozen=True)
class Shape:
    """How many of each replicated part."""

    gateways: int = 2
    rasa: int = 2
    commerce: int = 2

    def __post_init__(self) -> None:
        for name in ("gateways", "rasa", "commerce"):
            if not 1 <= getattr(self, name) <= 16:
                raise ConfigError("config-invalid", f"--{name} must be between 1 and 16")


@dataclass(frozen=True)
class Fronts:
    """The balancer's ports: devices reach ``gateway``; the others are for the parts."""

    gateway: int = 8765
    commerce: int = 8700
    rasa: int = 5005
    monitor: int = 8404
    host: str = "127.0.0.1"  # where devices reach the balancer (0.0.0.0 for other machines)
    internal_host: str = "127.0.0.1"  # where the parts reach it

    @classmethod
    def free(cls) -> Fronts:
        """Free ports on 127.0.0.1 (tests, benchmarks)."""
        return cls(free_port(), free_port(), free_port(), free_port())


def require_haproxy() -> str:
    path = shutil.which("haproxy")
    if path is None:
        raise ConfigError(
            "haproxy-missing",
            "HAProxy is not installed: run `apt-get install -y haproxy` "
            "(scripts/setup.sh installs it with the other Debian packages)",
        )
    return path


def require_postgresql(url: str, what: str) -> str:
    if not url.startswith("postgresql"):
        raise ConfigError(
            "deploy-needs-postgresql",
            f"{what} must be a PostgreSQL URL (postgresql+psycopg://USER@HOST:PORT/DB): "
            "replicas cannot share a SQLite file",
        )
    return url


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if it is not there."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def render_haproxy(
    fronts: Fronts, gateways: list[int], commerce: list[int], rasa: list[int]
) -> str:
    """The balancer's configuration for these replicas (all on 127.0.0.1 here)."""

    def servers(prefix: str, ports: list[int]) -> str:
        return "\n".join(
            f"    server {prefix}{i} 127.0.0.1:{p} check" for i, p in enumerate(ports, 1)
        )

    return Template(TEMPLATE.read_text()).substitute(
        BIND_HOST=fronts.host,
        INTERNAL_HOST=fronts.internal_host,
        MONITOR_PORT=fronts.monitor,
        GATEWAY_PORT=fronts.gateway,
        COMMERCE_PORT=fronts.commerce,
        RASA_PORT=fronts.rasa,
        GATEWAY_SERVERS=servers("gateway", gateways),
        COMMERCE_SERVERS=servers("commerce", commerce),
        RASA_SERVERS=servers("rasa", rasa),
    )


@dataclass
class Deployment:
    """The scaled stack's processes; ``start`` brings them up, ``stop`` ends them."""

    settings: Settings
    shape: Shape
    database_url: str  # the commerce service's PostgreSQL database
    tracker_url: str  # Rasa's tracker store (PostgreSQL)
    redis_url: str  # Rasa's lock store and the gateways' sessions, redis://HOST:PORT/DB
    work: Path  # the balancer's configuration and every process's log
    fronts: Fronts = field(default_factory=Fronts)
    gateways: list[ManagedProcess] = field(default_factory=list)
    rasa: list[ManagedProcess] = field(default_factory=list)
    commerce: list[ManagedProcess] = field(default_factory=list)
    actions: ManagedProcess | None = None
    balancer: ManagedProcess | None = None

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.fronts.gateway}/v1/stream"

    @property
    def commerce_url(self) -> str:
        return f"http://127.0.0.1:{self.fronts.commerce}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.fronts.rasa}"

    @property
    def action_url(self) -> str:
        assert self.actions is not None
        return self.actions.health_url.removesuffix("/health")

    def processes(self) -> list[ManagedProcess]:
        parts = [*self.commerce, self.actions, *self.rasa, *self.gateways, self.balancer]
        return [p for p in parts if p is not None]

    def secrets(self) -> dict[str, str]:
        """The shared secrets, made up here unless the environment gives them."""
        d, c = self.settings.dialogue, self.settings.commerce
        self.settings = replace(
            self.settings,
            dialogue=replace(
                d, auth_token=d.auth_token or _secret(), action_token=d.action_token or _secret()
            ),
            commerce=replace(c, operator_token=c.operator_token or _secret()),
        )
        return {
            "RASA_AUTH_TOKEN": self.settings.dialogue.auth_token or "",
            "ACTION_SERVER_TOKEN": self.settings.dialogue.action_token or "",
            "COMMERCE_OPERATOR_TOKEN": self.settings.commerce.operator_token or "",
        }

    def _log(self, name: str) -> Path:
        return self.work / "logs" / f"{name}.log"

    def _replicas(
        self,
        kind: str,
        ports: list[int],
        command: list[str],
        health_path: str,
        env: dict[str, str],
        after: list[str] | None = None,
    ) -> list[ManagedProcess]:
        """One ``kind-N`` process a port: ``command --host 127.0.0.1 --port PORT *after``,
        healthy when ``health_path`` answers on that port."""
        return [
            ManagedProcess(
                f"{kind}-{i}",
                [*command, "--host", "127.0.0.1", "--port", str(port), *(after or [])],
                f"http://127.0.0.1:{port}{health_path}",
                self._log(f"{kind}-{i}"),
                env=env,
                cwd=self.settings.root,
            )
            for i, port in enumerate(ports, 1)
        ]

    def _prepare(self) -> dict[str, str]:
        haproxy = require_haproxy()
        require_postgresql(self.database_url, "the commerce database (--database-url)")
        require_postgresql(self.tracker_url, "the tracker store (--tracker-url)")
        model = self.settings.path(self.settings.dialogue.model_dir) / (
            f"{self.settings.dialogue.model_name}.tar.gz"
        )
        if not model.exists():
            raise DialogueError("model-missing", "No trained model: run `run_assistant.py train`.")
        self.work.mkdir(parents=True, exist_ok=True)
        ensure_database(self.tracker_url)
        ensure_database(self.database_url)
        self._migrate_and_seed()
        return {"haproxy": haproxy, "model": str(model)}

    def _migrate_and_seed(self) -> None:
        """Once, before the replicas start (each would otherwise race to do it)."""
        from commerce.db import Database
        from commerce.migrate import upgrade
        from commerce.seed import seeder

        c = self.settings.commerce
        db = Database.connect(self.database_url)
        try:
            upgrade(db)
            seeder.seed(db, customers=c.seed_customers, slot_days=c.slot_days_ahead)
        finally:
            db.dispose()

    def _build(self, tools: dict[str, str]) -> None:
        root = self.settings.root
        secrets = self.secrets()
        rasa_python = str(root / self.settings.dialogue.venv / "bin" / "python")
        launcher = [rasa_python, "-m", "assistant.rasa_servers"]
        rasa_args = ["--model", tools["model"], "--endpoints", str(root / "endpoints.scale.yml")]
        rasa_args += ["--credentials", str(root / self.settings.dialogue.credentials)]
        here = [sys.executable, str(root / "run_assistant.py")]
        commerce_ports = [free_port() for _ in range(self.shape.commerce)]
        rasa_ports = [free_port() for _ in range(self.shape.rasa)]
        gateway_ports = [free_port() for _ in range(self.shape.gateways)]
        action_port = free_port()
        self.commerce += self._replicas(
            "commerce",
            commerce_ports,
            [*here, "catalog", "serve"],
            "/v1/health",
            {
                "DATABASE_URL": self.database_url,
                "COMMERCE_OPERATOR_TOKEN": secrets["COMMERCE_OPERATOR_TOKEN"],
            },
        )
        self.actions = ManagedProcess(
            "actions",
            [*launcher, "actions", "--host", "127.0.0.1", "--port", str(action_port)],
            f"http://127.0.0.1:{action_port}/health",
            self._log("actions"),
            env={
                "ACTION_SERVER_TOKEN": secrets["ACTION_SERVER_TOKEN"],
                "COMMERCE_URL": self.commerce_url,
                "PYTHONPATH": str(root),
            },
            cwd=root,
        )
        tracker = make_url(self.tracker_url)
        redis = urlparse(self.redis_url)
        rasa_env = {
            "RASA_AUTH_TOKEN": secrets["RASA_AUTH_TOKEN"],
            "ACTION_SERVER_TOKEN": secrets["ACTION_SERVER_TOKEN"],
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
            "TRACKER_DB_HOST": tracker.host or "127.0.0.1",
            "TRACKER_DB_PORT": str(tracker.port or 5432),
            "TRACKER_DB_NAME": tracker.database or "",
            "TRACKER_DB_USER": tracker.username or "",
            "TRACKER_DB_PASSWORD": tracker.password or "",
            "LOCK_STORE_REDIS_HOST": redis.hostname or "127.0.0.1",
            "LOCK_STORE_REDIS_PORT": str(redis.port or 6379),
            "LOCK_STORE_REDIS_DB": (redis.path or "/0").strip("/") or "0",
            # A Rasa server that dies mid-turn leaves its conversation's lock in Redis until
            # the lock's lifetime ends (Rasa's default: 60 s, past the gateway's 30 s turn
            # timeout): 10 s, well past a turn's time, lets the next turn go on elsewhere.
            "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME", "10"),
            "PYTHONPATH": str(root),
        }
        self.rasa += self._replicas(
            "rasa", rasa_ports, [*launcher, "rasa"], "/", rasa_env, after=rasa_args
        )
        gateway_env = {
            "COMMERCE_HOST": "127.0.0.1",
            "COMMERCE_PORT": str(self.fronts.commerce),
            "RASA_URL": self.rasa_url,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}",
            # sessions resumable on any gateway: their state in Redis (gateway/resumable.py)
            "GATEWAY_SESSIONS_URL": self.redis_url,
            "GATEWAY_SESSIONS_PREFIX": self.settings.gateway.sessions_prefix,
            "GATEWAY_SESSION_TTL_S": str(self.settings.gateway.session_ttl_s),
            **secrets,
        }
        if "SPEECH_DECODE_PROCESSES" not in os.environ:  # several gateways share the cores
            gateway_env["SPEECH_DECODE_PROCESSES"] = "1"
        self.gateways += self._replicas(
            "gateway", gateway_ports, [*here, "serve", "--gateway-only"], "/health", gateway_env
        )
        config = self.work / "haproxy.cfg"
        config.write_text(render_haproxy(self.fronts, gateway_ports, commerce_ports, rasa_ports))
        self.balancer = ManagedProcess(
            "haproxy",
            [tools["haproxy"], "-db", "-f", str(config)],
            f"http://127.0.0.1:{self.fronts.monitor}/health",
            self._log("haproxy"),
        )

    def start(self) -> None:
        """Every process, in order, each waited for: the commerce replicas and the action
        server; the first Rasa server (it creates the tracker tables), then the others; the
        gateways; the balancer; then until the balancer reaches a gateway."""
        tools = self._prepare()
        self._build(tools)
        timeout = self.settings.dialogue.start_timeout_s
        assert self.actions is not None
        assert self.balancer is not None
        self.balancer.start()
        first = [*self.commerce, self.actions, self.rasa[0]]
        for process in first:
            process.start()
        for process in [self.balancer, *first]:
            process.wait_ready(timeout)
        for process in [*self.rasa[1:], *self.gateways]:
            process.start()
        for process in [*self.rasa[1:], *self.gateways]:
            process.wait_ready(timeout)
        self.wait_balanced(f"http://127.0.0.1:{self.fronts.gateway}/health", timeout)

    def wait_balanced(self, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not answers(url):
            if time.monotonic() > deadline:
                raise DialogueError("service-timeout", f"the balancer did not reach {url}")
            time.sleep(0.3)

    def restart(self, process: ManagedProcess) -> None:
        """Start a replica that died again (same port), and wait for it."""
        process.start()
        process.wait_ready(self.settings.dialogue.start_timeout_s)

    def stop(self) -> None:
        for process in reversed(self.processes()):
            process.stop()


def serve_deployment(deployment: Deployment) -> None:
    """Start it, say where it listens, and keep it until Ctrl-C or SIGTERM."""
    from assistant.channels.gateway.server import _exit_on_sigterm

    _exit_on_sigterm()
    try:
        deployment.start()
        s = deployment.shape
        print(
            f"Deployed {s.gateways} gateways, {s.rasa} Rasa servers, {s.commerce} commerce "
            f"processes and 1 action server behind HAProxy: devices on {deployment.gateway_url}; "
            f"logs in {deployment.work / 'logs'}",
            flush=True,
        )
        balancer = deployment.balancer
        while balancer is not None and balancer.process and balancer.process.poll() is None:
            time.sleep(1)  # until a signal, or the balancer dies
    finally:
        deployment.stop()
