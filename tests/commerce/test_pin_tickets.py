"""PIN tickets: a verified voice PIN becomes a single-use, short-lived ticket for one order."""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from commerce.db import Database
from commerce.models import Customer, PinTicket
from commerce.seed.seeder import DEMO_PIN
from tests.commerce.conftest import bearer, live_server, token_for
from tests.commerce.test_orders import assert_one_order, orders_of, quoted


def pin_customers(db: Database) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Customer.handle).where(Customer.pin_hash.is_not(None)).order_by(Customer.id)
            )
        )


def ticket_for(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post("/v1/me/pin/verify", json={"pin": DEMO_PIN}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verified"] is True
    return body["ticket"]


def new_quote(client: TestClient, db: Database, headers: dict[str, str]) -> str:
    _, quote = quoted(client, db, headers, "riverside", 2)
    assert quote["pin_required"] is True
    return quote["quote_id"]


def order(client: TestClient, headers: dict[str, str], body: dict, key: str) -> Any:
    """The response (starlette's TestClient answers with httpx2's Response type)."""
    return client.post("/v1/me/orders", json=body, headers=headers | {"Idempotency-Key": key})


@pytest.fixture
def pin_shopper(any_client: TestClient, any_db: Database) -> tuple[str, dict[str, str]]:
    handle = pin_customers(any_db)[0]
    return handle, bearer(token_for(any_db, handle))


def test_right_pin_gives_a_ticket_stored_only_as_its_hash(any_client, any_db, pin_shopper):
    _, headers = pin_shopper
    before = datetime.now(UTC)
    ticket = ticket_for(any_client, headers)
    after = datetime.now(UTC)
    assert ticket.startswith("pt_")
    with any_db.session() as session:
        rows = session.scalars(select(PinTicket)).all()
    assert [row.ticket_hash for row in rows] == [hashlib.sha256(ticket.encode()).hexdigest()]
    assert rows[0].used_at is None
    valid_for = timedelta(minutes=5)
    # a second of slack either side for the stored precision
    assert before + valid_for - timedelta(seconds=1) <= rows[0].expires_at
    assert rows[0].expires_at <= after + valid_for + timedelta(seconds=1)


def test_wrong_pin_gives_no_ticket(any_client: TestClient, pin_shopper):
    _, headers = pin_shopper
    response = any_client.post("/v1/me/pin/verify", json={"pin": "0000"}, headers=headers)
    assert response.status_code == 200
    assert response.json()["verified"] is False
    assert response.json().get("ticket") is None


def test_order_placed_with_a_ticket_and_the_ticket_used_up(any_client, any_db, pin_shopper):
    handle, headers = pin_shopper
    ticket = ticket_for(any_client, headers)
    quote_id = new_quote(any_client, any_db, headers)
    placed = order(any_client, headers, {"quote_id": quote_id, "pin_ticket": ticket}, "t-1")
    assert placed.status_code == 201, placed.text
    assert orders_of(any_db, handle) == 1
    # a retry of the same request still gets the same order
    again = order(any_client, headers, {"quote_id": quote_id, "pin_ticket": ticket}, "t-1")
    assert (again.status_code, again.json()["order_id"]) == (200, placed.json()["order_id"])
    # but the ticket does not open a second order
    second = new_quote(any_client, any_db, headers)
    reused = order(any_client, headers, {"quote_id": second, "pin_ticket": ticket}, "t-2")
    assert (reused.status_code, reused.json()["error"]["code"]) == (403, "pin-ticket-invalid")
    assert orders_of(any_db, handle) == 1
    with any_db.session() as session:
        assert session.scalars(select(PinTicket.used_at)).one() is not None


def test_expired_ticket_refused(any_client, any_db, pin_shopper):
    handle, headers = pin_shopper
    ticket = ticket_for(any_client, headers)
    with any_db.session(write=True) as session:
        session.execute(
            update(PinTicket).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    quote_id = new_quote(any_client, any_db, headers)
    response = order(any_client, headers, {"quote_id": quote_id, "pin_ticket": ticket}, "e-1")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "pin-ticket-invalid")
    assert orders_of(any_db, handle) == 0


def test_other_customers_ticket_refused(any_client, any_db, pin_shopper):
    handle, headers = pin_shopper
    other = pin_customers(any_db)[1]
    their_ticket = ticket_for(any_client, bearer(token_for(any_db, other)))
    quote_id = new_quote(any_client, any_db, headers)
    response = order(any_client, headers, {"quote_id": quote_id, "pin_ticket": their_ticket}, "o")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "pin-ticket-invalid")
    made_up = order(any_client, headers, {"quote_id": quote_id, "pin_ticket": "pt_madeup"}, "m")
    assert (made_up.status_code, made_up.json()["error"]["code"]) == (403, "pin-ticket-invalid")
    assert orders_of(any_db, handle) == 0


def test_refused_order_leaves_the_ticket_valid(any_client, any_db, pin_shopper):
    handle, headers = pin_shopper
    ticket = ticket_for(any_client, headers)
    missing = order(any_client, headers, {"quote_id": str(uuid.uuid4()), "pin_ticket": ticket}, "a")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "quote-not-found")
    quote_id = new_quote(any_client, any_db, headers)
    placed = order(any_client, headers, {"quote_id": quote_id, "pin_ticket": ticket}, "b")
    assert placed.status_code == 201, placed.text
    assert orders_of(any_db, handle) == 1


def test_pin_and_ticket_together_refused(client: TestClient, sqlite_db: Database):
    headers = bearer(token_for(sqlite_db, pin_customers(sqlite_db)[0]))
    ticket = ticket_for(client, headers)
    body = {"quote_id": str(uuid.uuid4()), "pin": DEMO_PIN, "pin_ticket": ticket}
    response = order(client, headers, body, "both")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid-request")


def test_lock_out_applies_to_tickets_and_wrong_pins_still_count(client, sqlite_db: Database):
    handle = pin_customers(sqlite_db)[0]
    headers = bearer(token_for(sqlite_db, handle))
    ticket = ticket_for(client, headers)
    quote_id = new_quote(client, sqlite_db, headers)
    wrong = order(client, headers, {"quote_id": quote_id, "pin": "0000"}, "w")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "pin-incorrect")
    for _ in range(4):
        client.post("/v1/me/pin/verify", json={"pin": "9999"}, headers=headers)
    with sqlite_db.session() as session:
        attempts = session.scalar(
            select(Customer.failed_pin_attempts).where(Customer.handle == handle)
        )
    assert attempts == 5
    locked = order(client, headers, {"quote_id": quote_id, "pin_ticket": ticket}, "l")
    assert (locked.status_code, locked.json()["error"]["code"]) == (423, "pin-locked")
    assert orders_of(sqlite_db, handle) == 0


@pytest.mark.slow
def test_concurrent_repeats_with_one_ticket_make_one_order(any_db: Database):
    handle = pin_customers(any_db)[0]
    headers = bearer(token_for(any_db, handle))
    with (
        live_server(any_db) as url,
        httpx.Client(base_url=url, timeout=60, headers=headers) as http,
    ):
        _, quote = quoted(http, any_db, {}, "riverside", 2)
        ticket = http.post("/v1/me/pin/verify", json={"pin": DEMO_PIN}).json()["ticket"]
        body = {"quote_id": quote["quote_id"], "pin_ticket": ticket}

        def place(_: int) -> httpx.Response:
            return http.post("/v1/me/orders", json=body, headers={"Idempotency-Key": "one"})

        with ThreadPoolExecutor(max_workers=10) as pool:
            responses = list(pool.map(place, range(20)))
    assert_one_order(responses, any_db, handle)
