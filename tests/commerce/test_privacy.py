"""A customer's data rights: the export holds what the shop keeps; erasure leaves only
anonymous accounting records, in one transaction, and only with the PIN."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from commerce.db import Database
from commerce.models import (
    ApiToken,
    BasketItem,
    Customer,
    Device,
    Order,
    PickupBooking,
    PickupSlot,
    PinTicket,
    Quote,
)
from tests.commerce.conftest import (
    bearer,
    customer_with_pin,
    customer_without_pin,
    future_slot,
    token_for,
)
from tests.commerce.test_migrations import down_and_up
from tests.commerce.test_orders import fill_basket, quoted
from tests.commerce.test_pin_tickets import ticket_for


def customer_row(db: Database, customer_id: int) -> Customer:
    with db.session() as session:
        customer = session.get_one(Customer, customer_id)
        session.expunge(customer)
        return customer


def count(db: Database, model: type, customer_id: int) -> int:
    with db.session() as session:
        column = model.customer_id  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).where(column == customer_id)) or 0)


def customer_id_of(db: Database, handle: str) -> int:
    with db.session() as session:
        return int(session.scalar(select(Customer.id).where(Customer.handle == handle)) or 0)


def order_and_book(client: TestClient, db: Database, headers: dict[str, str]) -> dict:
    """An order placed and collected (so it no longer blocks erasure), and a pickup booked
    for tomorrow with a basket filled again: a customer with a past and a future."""
    _, quote = quoted(client, db, headers, "riverside", 2)
    placed = client.post(
        "/v1/me/orders",
        json={"quote_id": quote["quote_id"]},
        headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text
    with db.session(write=True) as session:
        session.get_one(Order, placed.json()["order_id"]).status = "collected"
    booked = client.post(
        "/v1/me/pickups", json={"slot_id": future_slot(db, "riverside")}, headers=headers
    )
    fill_basket(client, headers, "riverside", count=1)
    return {"order": placed.json(), "booking": booked}


def test_export_holds_profile_basket_orders_and_no_token(any_client: TestClient, any_db: Database):
    handle = customer_without_pin(any_db)
    token = token_for(any_db, handle)
    headers = bearer(token)
    made = order_and_book(any_client, any_db, headers)

    response = any_client.get("/v1/me/export", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    customer = customer_row(any_db, customer_id_of(any_db, handle))
    assert body["profile"]["handle"] == handle
    assert body["profile"]["loyalty_number"] == customer.loyalty_number
    assert body["profile"]["subject"] == customer.subject
    assert len(customer.subject or "") == 32
    exported_orders = [order["order_id"] for order in body["orders"]]
    assert made["order"]["order_id"] in exported_orders
    assert len(exported_orders) == count(any_db, Order, customer.id), "all theirs, no one else's"
    assert len(body["basket"]["items"]) == 1
    assert body["tokens"]
    assert all(set(t) >= {"created_at", "revoked_at"} for t in body["tokens"])
    assert token not in response.text, "the export never holds a token"
    me = any_client.get("/v1/me", headers=headers).json()
    assert me["subject"] == customer.subject


def test_export_and_erasure_ask_a_pin_customer_for_their_pin(
    any_client: TestClient, any_db: Database
):
    handle = customer_with_pin(any_db)
    headers = bearer(token_for(any_db, handle))
    for method, path in (("GET", "/v1/me/export"), ("DELETE", "/v1/me")):
        refused = any_client.request(method, path, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "pin-required"
        wrong = any_client.request(method, path, headers=headers | {"Pin-Ticket": "nope"})
        assert wrong.status_code == 403
        assert wrong.json()["error"]["code"] == "pin-ticket-invalid"
    assert customer_row(any_db, customer_id_of(any_db, handle)).erased_at is None

    ticket = ticket_for(any_client, headers)
    exported = any_client.get("/v1/me/export", headers=headers | {"Pin-Ticket": ticket})
    assert exported.status_code == 200, exported.text
    assert exported.json()["profile"]["has_pin"] is True
    reused = any_client.get("/v1/me/export", headers=headers | {"Pin-Ticket": ticket})
    assert reused.status_code == 403, "a ticket is used once"


def test_erasure_keeps_anonymous_orders_and_removes_the_rest(
    any_client: TestClient, any_db: Database
):
    handle = customer_without_pin(any_db)
    customer_id = customer_id_of(any_db, handle)
    headers = bearer(token_for(any_db, handle))
    made = order_and_book(any_client, any_db, headers)
    before = customer_row(any_db, customer_id)
    booking = made["booking"].json()
    assert made["booking"].status_code == 201, made["booking"].text
    with any_db.session() as session:
        booked_before = session.scalar(
            select(PickupSlot.booked).where(PickupSlot.id == booking["slot"]["slot_id"])
        )

    orders_before = count(any_db, Order, customer_id)
    with any_db.session() as session:
        upcoming = int(
            session.scalar(
                select(func.count())
                .select_from(PickupBooking)
                .join(PickupSlot)
                .where(PickupBooking.customer_id == customer_id)
                .where(PickupBooking.status == "active")
                .where(PickupSlot.start > func.now())
            )
            or 0
        )
    assert upcoming >= 1, "the booking made above is upcoming"
    erased = any_client.delete("/v1/me", headers=headers)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "erased": True,
        "subject": before.subject,
        "pickups_cancelled": upcoming,
        "orders_kept_anonymised": orders_before,
    }

    after = customer_row(any_db, customer_id)
    assert after.handle == f"erased-{customer_id}"
    assert after.name == ""
    assert after.phone is None
    assert after.pin_hash is None
    assert after.subject is None
    assert before.loyalty_number not in (after.loyalty_number or "")
    assert after.erased_at is not None
    for model in (BasketItem, Quote, PinTicket, ApiToken):
        assert count(any_db, model, customer_id) == 0, model.__name__
    with any_db.session() as session:
        order = session.get_one(Order, made["order"]["order_id"])
        assert order.customer_id == customer_id, "kept for the accounts"
        assert order.total_cents > 0
        assert order.idempotency_key is None
        statuses = session.scalars(
            select(PickupBooking.status).where(PickupBooking.customer_id == customer_id)
        ).all()
        assert "active" not in statuses
        assert (
            session.scalar(
                select(PickupSlot.booked).where(PickupSlot.id == booking["slot"]["slot_id"])
            )
            == (booked_before or 0) - 1
        ), "the slot was released"
        devices = session.scalars(select(Device).where(Device.customer_id == customer_id)).all()
        assert all(device.revoked_at is not None for device in devices)

    gone = any_client.get("/v1/me", headers=headers)
    assert gone.status_code == 401, "the customer's tokens died with the account"


def test_an_order_waiting_for_pickup_blocks_erasure_and_nothing_changes(
    any_client: TestClient, any_db: Database
):
    handle = customer_without_pin(any_db)
    customer_id = customer_id_of(any_db, handle)
    headers = bearer(token_for(any_db, handle))
    _, quote = quoted(any_client, any_db, headers, "riverside", 1)
    placed = any_client.post(
        "/v1/me/orders",
        json={"quote_id": quote["quote_id"]},
        headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text
    fill_basket(any_client, headers, "riverside", count=1)

    refused = any_client.delete("/v1/me", headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "erase-open-orders"
    assert refused.json()["error"]["order_ids"] == [placed.json()["order_id"]]
    after = customer_row(any_db, customer_id)
    assert after.handle == handle
    assert after.erased_at is None
    assert count(any_db, BasketItem, customer_id) == 1, "the basket is untouched"
    assert any_client.get("/v1/me", headers=headers).status_code == 200


def test_privacy_migration_reverts_and_reapplies_giving_everyone_a_subject(any_db: Database):
    down_and_up(any_db, "0007", "customers", "subject")
    with any_db.session() as session:
        subjects = session.scalars(select(Customer.subject)).all()
    assert subjects
    assert all(s and len(s) == 32 for s in subjects)
    assert len(set(subjects)) == len(subjects)
