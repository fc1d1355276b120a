"""The scaled stack for the chaos tests: ``run_assistant.py deploy``'s processes (2 gateways,
2 Rasa servers, 2 commerce processes, 1 action server behind HAProxy) on a PostgreSQL database
of their own (made, migrated and seeded by ``deploy``), a tracker database of their own and
Redis; started once for the module. Like ``tests/stack.py``'s stack, it runs on a fixed,
ticking clock (``scale_clock``: from ``STACK_START``, a Wednesday morning), its processes from
interpreter start (``tests/clock/``) and the test process while a test uses it, and its
database is seeded on that day: the tests pass at any date and hour.
PostgreSQL, Redis, HAProxy and Rasa's environment are required where REQUIRE_SERVICES=1."""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import httpx
import pytest

from assistant.channels.device import DeviceClient, DeviceError
from assistant.deploy import Deployment, Fronts, Shape
from assistant.services import ManagedProcess
from assistant.settings import ROOT, Settings, load_settings, with_database_url
from assistant.training import train
from tests.clock.fixed_clock import FixedClock
from tests.conftest import _drop_database, _with_database, service_missing
from tests.scale.private import PrivatePostgres, PrivateRedis
from tests.stack import STACK_START, Shop, add, add_device, responses, turn

__all__ = ["Scaled", "add", "responses", "stack_today", "turn"]  # the chaos tests' helpers

REDIS = ("127.0.0.1", 6379)


def redis_answers() -> None:
    """PING the Redis server the lock store uses (fail or skip when it does not answer)."""
    try:
        with socket.create_connection(REDIS, timeout=3) as conn:
            conn.sendall(b"PING\r\n")
            if not conn.recv(16).startswith(b"+PONG"):
                raise ConnectionError("no PONG")
    except OSError as err:
        service_missing(f"Redis at {REDIS[0]}:{REDIS[1]}", err)


@dataclass
class Scaled:
    deployment: Deployment
    shop: Shop
    database_url: str

    def add_device(self, customer: str) -> str:
        """A home speaker bound to ``customer``; its token."""
        return add_device(self.database_url, home=customer)

    def sessions(self) -> list[int]:
        """Each gateway's session count (-1: it does not answer)."""
        counts = []
        for gateway in self.deployment.gateways:
            try:
                counts.append(int(httpx.get(gateway.health_url, timeout=2).json()["sessions"]))
            except (httpx.HTTPError, ValueError, KeyError):
                counts.append(-1)
        return counts

    def connect(
        self, token: str, resume: str | None = None, within_s: float = 15.0
    ) -> DeviceClient:
        """A device connection through the balancer, retried as a device does until a live
        gateway takes it."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                return DeviceClient(self.deployment.gateway_url, token, resume=resume)
            except (DeviceError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def gateway_of(self, token: str) -> tuple[DeviceClient, ManagedProcess]:
        """Connect, and find the gateway that took the connection (its count went up)."""
        before = self.sessions()
        client = self.connect(token)
        after = self.sessions()
        grew = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if a > b]
        assert len(grew) == 1, (before, after)
        return client, self.deployment.gateways[grew[0]]


def scaled_settings(name: str) -> Settings:
    """The deployment's settings: the gateways' sessions under a Redis key prefix of the
    stack's own, with a 30 s TTL (rewritten every 10 s: a Redis restarted empty has them back
    within a test's patience); ten customers seeded (alice … judy)."""
    settings = load_settings(environ={})
    train(settings)  # quick when the model is up to date
    gateway = replace(settings.gateway, sessions_prefix=f"{name}:session:", session_ttl_s=30)
    commerce = replace(settings.commerce, seed_customers=10)
    return replace(settings, gateway=gateway, commerce=commerce)


@pytest.fixture(scope="module")
def scale_clock() -> FixedClock:
    """The clock of the module's scaled stack, ticking from ``STACK_START`` as it starts."""
    return FixedClock(STACK_START)


@pytest.fixture(autouse=True)
def on_the_scale_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that uses a scaled stack runs on its clock too (the devices it adds, the days
    it books)."""
    if not {"scaled", "restartable"} & set(request.fixturenames):
        yield
        return
    clock: FixedClock = request.getfixturevalue("scale_clock")
    with clock.travel():
        yield


def stack_today() -> date:
    """The scaled stack's today (its clock's: the day "tomorrow" is said from)."""
    return STACK_START.date()


def forget_sessions(redis_url: str, prefix: str) -> None:
    """Remove the gateway sessions' keys a stack left in Redis."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
    except redis.RedisError:
        pass  # a private Redis already stopped
    finally:
        client.close()


def check_tools() -> None:
    if shutil.which("haproxy") is None:
        service_missing("HAProxy (apt-get install -y haproxy)", FileNotFoundError("haproxy"))
    if not (ROOT / ".venv-rasa" / "bin" / "python").exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(".venv-rasa"))


@contextlib.contextmanager
def running_scaled(deployment: Deployment, url: str, clock: FixedClock) -> Iterator[Scaled]:
    """``deployment`` started on ``clock`` (its database seeded on the clock's day, every
    process of it on the clock), and stopped afterwards (its sessions' keys removed)."""
    deployment.environment = clock.environment()
    shop = Shop(with_database_url(deployment.settings, url))  # connects when first read
    try:
        with clock.travel():
            deployment.start()
        yield Scaled(deployment, shop, url)
    finally:
        deployment.stop()
        shop.db.dispose()
        forget_sessions(deployment.redis_url, deployment.settings.gateway.sessions_prefix)


@pytest.fixture(scope="module")
def scaled(
    pg_url: str, scale_clock: FixedClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scaled]:
    redis_answers()
    check_tools()
    name = f"vca_scale_{uuid.uuid4().hex[:10]}"
    url = _with_database(pg_url, name)  # made, migrated and seeded by deploy, on the clock
    deployment = Deployment(
        scaled_settings(name),
        Shape(gateways=2, rasa=2, commerce=2),
        database_url=url,
        tracker_url=_with_database(pg_url, f"{name}_tracker"),
        # a Redis database of its own: conversation ids are random, this only keeps it tidy
        redis_url=f"redis://{REDIS[0]}:{REDIS[1]}/{random.randint(8, 15)}",
        work=tmp_path_factory.mktemp("scaled"),
        fronts=Fronts.free(),
    )
    try:
        with running_scaled(deployment, url, scale_clock) as started:
            yield started
    finally:
        _drop_database(pg_url, name)
        _drop_database(pg_url, f"{name}_tracker")


@dataclass
class Restartable:
    """A scaled stack on a Redis and a PostgreSQL of its own, which the tests restart."""

    scaled: Scaled
    redis: PrivateRedis
    postgres: PrivatePostgres


@pytest.fixture(scope="module")
def restartable(
    scale_clock: FixedClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Restartable]:
    """2 gateways, 1 Rasa server, 1 commerce process and the action server (the restarted
    services are the point here, not the replicas) on a private redis-server and PostgreSQL
    (``deploy`` makes, migrates and seeds the databases there)."""
    check_tools()
    work = tmp_path_factory.mktemp("restartable")
    redis = PrivateRedis(work)
    postgres = PrivatePostgres()
    try:
        redis.start()
        postgres.start()
        name = f"vca_restart_{uuid.uuid4().hex[:10]}"
        deployment = Deployment(
            scaled_settings(name),
            Shape(gateways=2, rasa=1, commerce=1),
            database_url=postgres.url(name),
            tracker_url=postgres.url(f"{name}_tracker"),
            redis_url=redis.url,
            work=work,
            fronts=Fronts.free(),
        )
        with running_scaled(deployment, postgres.url(name), scale_clock) as started:
            yield Restartable(started, redis, postgres)
    finally:
        redis.stop()
        postgres.stop()
