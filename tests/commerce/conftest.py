"""Fixtures for the commerce service: API clients, tokens, a live server for concurrency."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.api.app import create_app
from commerce.db import Database
from commerce.models import Customer, PickupSlot, Store
from commerce.services import auth, devices
from commerce.services.pickups import closed_on


def token_for(db: Database, handle: str) -> str:
    with db.session(write=True) as session:
        return auth.mint_token(session, auth.find_customer(session, handle))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(sqlite_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_db), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def any_client(any_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(any_db), raise_server_exceptions=False) as test_client:
        yield test_client


def customer_without_pin(db: Database) -> str:
    with db.session() as session:
        return (
            session.scalars(
                select(Customer.handle).where(Customer.pin_hash.is_(None)).order_by(Customer.id)
            ).first()
            or ""
        )


def customer_with_pin(db: Database) -> str:
    with db.session() as session:
        return (
            session.scalars(
                select(Customer.handle).where(Customer.pin_hash.is_not(None)).order_by(Customer.id)
            ).first()
            or ""
        )


def open_day(day: date) -> date:
    """``day``, or the next day after it that is no day every store is closed (Christmas
    Day): tests that book "a day ahead" pass on any day of the year."""
    while closed_on(day):
        day += timedelta(days=1)
    return day


def tomorrow(db: Database, store_id: str) -> date:
    """The store's tomorrow (the day after, when tomorrow is Christmas Day)."""
    with db.session() as session:
        store = session.get_one(Store, store_id)
        local_today = datetime.now(UTC).astimezone(ZoneInfo(store.timezone)).date()
        return open_day(local_today + timedelta(days=1))


def future_slot(db: Database, store_id: str, capacity: int | None = None) -> int:
    """A free slot of ``store_id`` a day or more ahead; ``capacity`` overrides its capacity."""
    with db.session(write=True) as session:
        slot = session.scalars(
            select(PickupSlot)
            .where(PickupSlot.store_id == store_id)
            .where(PickupSlot.start > datetime.now(UTC) + timedelta(days=1))
            .where(PickupSlot.booked == 0)
            .order_by(PickupSlot.start)
        ).first()
        assert slot is not None, f"the seed has future slots at {store_id}"
        if capacity is not None:
            slot.capacity = capacity
        return slot.id


@contextmanager
def live_server(db: Database) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, in a thread."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


KIOSK_STORE = "riverside"


def add_device(db: Database, kind: str, where: str, name: str | None = None) -> tuple[int, str]:
    """A registered device's id and token: ``where`` is a customer (home) or a store (kiosk)."""
    with db.session(write=True) as session:
        if kind == "home":
            device, token = devices.add_device(
                session, "home", customer=auth.find_customer(session, where), name=name
            )
        else:
            device, token = devices.add_device(session, "kiosk", store_id=where, name=name)
        return device.id, token


@pytest.fixture
def kiosk(any_db: Database) -> tuple[int, str]:
    return add_device(any_db, "kiosk", KIOSK_STORE)


@pytest.fixture
def sqlite_kiosk(sqlite_db: Database) -> tuple[int, str]:
    return add_device(sqlite_db, "kiosk", KIOSK_STORE)
