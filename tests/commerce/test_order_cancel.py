"""Cancelling a placed order while it is still being prepared: stock back, slot released."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.db import Database
from commerce.models import PickupBooking, PickupSlot
from tests.commerce.conftest import bearer, customer_with_pin, token_for
from tests.commerce.test_orders import orders_of, shopper, stock_of

__all__ = ["shopper"]  # the fixture: a customer with a basket and a quote at Riverside


def place(client: TestClient, headers: dict[str, str], quote: dict) -> dict:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    placed = client.post(
        "/v1/me/orders", json={"quote_id": quote["quote_id"]}, headers=headers | key
    )
    assert placed.status_code == 201, placed.text
    return placed.json()


def slot_booked(db: Database, slot_id: int) -> int:
    with db.session() as session:
        return int(session.scalar(select(PickupSlot.booked).where(PickupSlot.id == slot_id)) or 0)


def test_cancel_while_being_prepared_returns_stock_and_frees_the_slot(
    any_client: TestClient, any_db: Database, shopper
):
    handle, headers, skus, quote = shopper
    before_stock = stock_of(any_db, "riverside", skus[0])
    order = place(any_client, headers, quote)
    assert stock_of(any_db, "riverside", skus[0]) == before_stock - 2
    booked = slot_booked(any_db, quote["slot_id"])

    cancelled = any_client.post(f"/v1/me/orders/{order['order_id']}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert orders_of(any_db, handle) == 0
    assert stock_of(any_db, "riverside", skus[0]) == before_stock, "the stock went back"
    assert slot_booked(any_db, quote["slot_id"]) == booked - 1, "the slot was released"
    with any_db.session() as session:
        statuses = session.scalars(
            select(PickupBooking.status).where(PickupBooking.slot_id == quote["slot_id"])
        ).all()
    assert "active" not in statuses

    again = any_client.post(f"/v1/me/orders/{order['order_id']}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "order-not-cancellable"
    assert stock_of(any_db, "riverside", skus[0]) == before_stock, "stock returned once"


def test_an_order_ready_for_pickup_cannot_be_cancelled(
    any_client: TestClient, any_db: Database, shopper
):
    handle, headers, _, quote = shopper
    order = place(any_client, headers, quote)
    ready = datetime.fromisoformat(order["pickup_start"]).astimezone(UTC) - timedelta(minutes=10)
    with time_machine.travel(ready, tick=False):
        refused = any_client.post(f"/v1/me/orders/{order['order_id']}/cancel", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        **refused.json()["error"],
        "code": "order-not-cancellable",
        "stage": "ready-for-pickup",
    }
    assert orders_of(any_db, handle) == 1


def test_another_customers_order_looks_missing(any_client: TestClient, any_db: Database, shopper):
    _, headers, _, quote = shopper
    order = place(any_client, headers, quote)
    other = bearer(token_for(any_db, customer_with_pin(any_db)))
    refused = any_client.post(f"/v1/me/orders/{order['order_id']}/cancel", headers=other)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "order-not-found"
