"""Fixtures of the whole stack for end-to-end tests (a pytest plugin of tests/conftest.py):
the real commerce service (on a copy of the seeded SQLite database), the real action server
(skills/) and the real Rasa server with the trained model, each on a free port of 127.0.0.1;
started once per test session, only when a test asks for it.

The stack runs on a fixed, ticking clock (``stack_clock``, tests/clock/): its servers from
interpreter start, and the test process while a test uses the stack; its database is seeded on
the clock's day; so "today", "tomorrow" and "open now" never depend on when the tests run."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
import uvicorn

from assistant import speech as factory
from assistant.channels import protocol as p
from assistant.channels.device import DeviceClient
from assistant.channels.gateway.admission import Gateway
from assistant.channels.gateway.server import build_gateway, close_gateway, create_app
from assistant.chat import ChatSession, customer_subject, customer_token
from assistant.dialogue import RasaDialogue
from assistant.services import Stack, free_port, isolated, running
from assistant.settings import ROOT, Settings, load_settings
from assistant.training import train
from audio.tts import CollectingSink
from commerce.db import Database
from commerce.services import auth, devices
from commerce.services import basket as basket_service
from commerce.services.pickups import closed_on
from tests.clock.fixed_clock import FixedClock
from tests.conftest import seed_sqlite, service_missing

# When the stack's clock starts: a Wednesday morning in Wrenford (Europe/London, and Port Wren on
# Jersey keeps the same time), every store open, neither tomorrow nor the days after a holiday.
STACK_START = datetime.fromisoformat("2027-06-16T10:15:00+01:00")


def pickup_day(today: date | None = None) -> str:
    """How end-to-end tests say the next day a pickup can be booked after ``today`` (default: the
    stack's): "tomorrow", or "the day after tomorrow" when every store is closed tomorrow
    (Christmas Day)."""
    today = today or STACK_START.date()
    return "the day after tomorrow" if closed_on(today + timedelta(days=1)) else "tomorrow"


@pytest.fixture(scope="session")
def stack_clock() -> FixedClock:
    """The clock of the stack, ticking from ``STACK_START`` as the first test asks for it; a
    module with a stack of its own may give it another clock (a fixture of the same name)."""
    return FixedClock(STACK_START)


@pytest.fixture(scope="session")
def stack_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded SQLite file of the stacks: its slots and order history seeded on a Wednesday
    morning (``STACK_START``), not on the machine's day."""
    with time_machine.travel(STACK_START, tick=False):
        return seed_sqlite(tmp_path_factory.mktemp("stack-template") / "commerce.db")


@pytest.fixture(autouse=True)
def on_the_stack_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that uses a stack runs on its clock too: what it writes to the database (devices,
    customers), the gateway it serves and the dates it expects agree with the servers'."""
    if "stack" not in request.fixturenames:
        yield
        return
    clock: FixedClock = request.getfixturevalue("stack_clock")
    with clock.travel():
        yield


def settings_on_a_copy(template: Path, work: Path) -> Settings:
    """Settings of a stack of its own in ``work``, on a copy of the seeded SQLite database
    ``template`` (Rasa's environment needed: missing, the test cannot run)."""
    rasa = ROOT / ".venv-rasa" / "bin" / "rasa"
    if not rasa.exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(str(rasa)))
    database = work / "commerce.db"
    shutil.copy(template, database)
    return isolated(load_settings(environ={}), work, f"sqlite:///{database}")


@contextlib.contextmanager
def private_stack(template: Path, work: Path, clock: FixedClock) -> Iterator[Stack]:
    """The whole stack on its own copy of the seeded database (``stack_template``), in ``work``,
    its servers on ``clock`` from their start."""
    settings = settings_on_a_copy(template, work)
    train(settings)  # quick when the model is up to date
    with running(settings, environment=clock.environment()) as started:
        yield started


@pytest.fixture(scope="session")
def stack(
    stack_template: Path, stack_clock: FixedClock, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("dialogue")
    with private_stack(stack_template, work, stack_clock) as started:
        yield started


@contextlib.contextmanager
def rasa_client(stack: Stack) -> Iterator[RasaDialogue]:
    d = stack.settings.dialogue
    client = RasaDialogue.of(d)
    try:
        yield client
    finally:
        client.close()


def command_env(stack: Stack) -> dict[str, str]:
    """The environment in which ``run_assistant.py`` commands use the running stack (on its
    clock)."""
    s = stack.settings
    return {
        **os.environ,
        **stack.environment,
        "DATABASE_URL": s.resolve_database_url(),
        "COMMERCE_PORT": str(s.commerce.port),
        "RASA_URL": s.dialogue.rasa_url,
        "RASA_ENDPOINTS": s.dialogue.endpoints,  # the stack's own tracker store
        "ACTION_SERVER_URL": s.dialogue.action_url,
        "RASA_AUTH_TOKEN": s.dialogue.auth_token or "",
        "COMMERCE_OPERATOR_TOKEN": s.commerce.operator_token or "",
        "ACTION_SERVER_TOKEN": s.dialogue.action_token or "",  # to hand the token over
    }


def run_chat_command(stack: Stack, customer: str, lines: str) -> list[dict[str, Any]]:
    """``run_assistant.py chat --customer CUSTOMER`` against the running stack, fed ``lines``;
    the JSON line it prints for each turn."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_assistant.py"), "chat", "--customer", customer],
        input=lines,
        capture_output=True,
        text=True,
        env=command_env(stack),
        timeout=300,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="session")
def dialogue(stack: Stack) -> Iterator[RasaDialogue]:
    with rasa_client(stack) as client:
        yield client


@pytest.fixture
def start_chat(stack: Stack, dialogue: RasaDialogue) -> Callable[..., ChatSession]:
    def start(customer: str, store: str | None = None) -> ChatSession:
        token = customer_token(stack.settings, customer)
        subject = customer_subject(stack.settings, token)
        return ChatSession(stack.settings, dialogue, token, store, subject=subject)

    return start


class Shop:
    """Reads the commerce database the service writes: what a test checks its outcomes in."""

    def __init__(self, settings: Settings) -> None:
        self.db = Database.connect(settings.resolve_database_url())

    def basket(self, customer: str) -> dict[str, Any]:
        with self.db.session() as session:
            who = auth.find_customer(session, customer)
            return basket_service.view(session, who, who.home_store_id)

    def lines(self, customer: str) -> dict[str, int]:
        return {i["sku"]: i["quantity"] for i in self.basket(customer)["items"]}

    def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        with self.db.session() as session:
            return session.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        with self.db.session() as session:
            return list(session.execute(text(sql), params).all())

    def execute(self, sql: str, **params: Any) -> None:
        from sqlalchemy import text

        with self.db.session(write=True) as session:
            session.execute(text(sql), params)

    def more_customers(self, count: int) -> None:
        """Seed the first ``count`` customers (kevin, laura, ... after the ten every test
        shares): customers of a test's own, whose orders no other test counts."""
        from commerce.seed import seeder

        seeder.seed(self.db, customers=count)

    def set_pin(self, handle: str, pin: str | None) -> None:
        """Give ``handle`` this PIN (None: none), unlocked."""
        with self.db.session(write=True) as session:
            who = auth.find_customer(session, handle)
            who.pin_hash = auth.hash_pin(pin) if pin else None
            auth.unlock_pin(who)


@contextlib.contextmanager
def shop_reader(stack: Stack) -> Iterator[Shop]:
    reader = Shop(stack.settings)
    try:
        yield reader
    finally:
        reader.db.dispose()


@pytest.fixture(scope="session")
def shop(stack: Stack) -> Iterator[Shop]:
    with shop_reader(stack) as reader:
        yield reader


@dataclass
class GatewayServer:
    """The voice gateway of the test stack, served by uvicorn on a free port."""

    url: str  # ws://…/v1/stream
    http: str  # http://… (the kiosk page)
    gateway: Gateway
    settings: Settings

    def add_device(self, home: str | None = None, kiosk: str | None = None) -> str:
        """Register a device in the commerce database; its token."""
        return add_device(self.settings.resolve_database_url(), home, kiosk)

    def end_sessions(self, session_ids: list[str], timeout_s: float = 10.0) -> None:
        """Sign out and drop sessions whose devices have disconnected (as the resume window
        running out would), so their customer tokens do not outlive the test."""
        deadline = time.monotonic() + timeout_s
        for session_id in session_ids:
            while (
                session_id in self.gateway.sessions
                and session_id not in self.gateway._detached_at
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            self.gateway._end_detached(session_id)


def add_device(database_url: str, home: str | None = None, kiosk: str | None = None) -> str:
    """Register a home device bound to the customer ``home``, or a kiosk of the store
    ``kiosk``, in the commerce database at ``database_url``; its token."""
    db = Database.connect(database_url)
    try:
        with db.session(write=True) as session:
            customer = auth.find_customer(session, home) if home else None
            kind = "home" if home else "kiosk"
            _, token = devices.add_device(session, kind, customer=customer, store_id=kiosk)
    finally:
        db.dispose()
    return token


def turn(client: DeviceClient, text: str) -> list[dict[str, Any]]:
    """One typed turn of a device: its events through ``turn_done``."""
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


@contextlib.contextmanager
def serving(app: Any, port: int, **options: Any) -> Iterator[None]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread, until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, f"the server on port {port} did not start"
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def gateway(stack: Stack) -> Iterator[GatewayServer]:
    s = stack.settings
    speaker = factory.build_speaker(s, sink=CollectingSink())
    served = build_gateway(s, speaker)
    port = free_port()
    with serving(create_app(served), port, ws_per_message_deflate=False):
        yield GatewayServer(
            f"ws://127.0.0.1:{port}/v1/stream", f"http://127.0.0.1:{port}", served, s
        )
    close_gateway(served)
    speaker.close()
