"""The scaled stack for the chaos tests: ``run_assistant.py deploy``'s processes (2 gateways,
2 Rasa servers, 2 commerce processes, 1 action server behind HAProxy) on a copy of the seeded
PostgreSQL database, a tracker database of their own and Redis; started once for the module.
PostgreSQL, Redis, HAProxy and Rasa's environment are required where REQUIRE_SERVICES=1."""

from __future__ import annotations

import random
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.channels import protocol as p
from assistant.channels.device import DeviceClient, DeviceError
from assistant.deploy import Deployment, Fronts, Shape
from assistant.services import ManagedProcess
from assistant.settings import ROOT, load_settings, with_database_url
from assistant.training import train
from commerce.db import Database
from commerce.services import auth, devices
from tests.conftest import _create_database, _drop_database, _with_database, service_missing
from tests.stack import Shop

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
        db = Database.connect(self.database_url)
        try:
            with db.session(write=True) as session:
                who = auth.find_customer(session, customer)
                _, token = devices.add_device(session, "home", customer=who)
        finally:
            db.dispose()
        return token

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


def turn(client: DeviceClient, text: str) -> list[dict[str, Any]]:
    """One typed turn: its events through ``turn_done``."""
    client.send(p.Text(text))
    return list(client.events_until_turn_done(timeout_s=60))


def responses(events: list[dict[str, Any]]) -> list[str]:
    return [e["response"] for e in events if e["type"] == "reply"]


def add(client: DeviceClient, text: str) -> list[str]:
    """Ask to add something; when a menu of close fits comes back, take the first one."""
    keys = responses(turn(client, text))
    if keys == ["utter_product_choices"]:
        keys = responses(turn(client, "the first one"))
    assert keys[:1] == ["utter_added_items"], keys
    return keys


@pytest.fixture(scope="module")
def scaled(
    pg_url: str, pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scaled]:
    redis_answers()
    if shutil.which("haproxy") is None:
        service_missing("HAProxy (apt-get install -y haproxy)", FileNotFoundError("haproxy"))
    if not (ROOT / ".venv-rasa" / "bin" / "python").exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(".venv-rasa"))
    name = f"vca_scale_{uuid.uuid4().hex[:10]}"
    _create_database(pg_url, name, template=pg_template)
    url = _with_database(pg_url, name)
    settings = load_settings(environ={})
    train(settings)  # quick when the model is up to date
    work: Path = tmp_path_factory.mktemp("scaled")
    deployment = Deployment(
        settings,
        Shape(gateways=2, rasa=2, commerce=2),
        database_url=url,
        tracker_url=_with_database(pg_url, f"{name}_tracker"),
        # a Redis database of its own: conversation ids are random, this only keeps it tidy
        redis_url=f"redis://{REDIS[0]}:{REDIS[1]}/{random.randint(8, 15)}",
        work=work,
        fronts=Fronts.free(),
    )
    shop = Shop(with_database_url(settings, url))
    try:
        deployment.start()
        yield Scaled(deployment, shop, url)
    finally:
        deployment.stop()
        shop.db.dispose()
        _drop_database(pg_url, name)
        _drop_database(pg_url, f"{name}_tracker")
