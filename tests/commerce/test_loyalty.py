"""Loyalty: points from online orders and in-store receipts, the balance and tier, points
spent through the quote, given back on a cancel; exactly once however often it is asked."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from commerce.db import Database
from commerce.models import Customer, Order
from commerce.services.loyalty import points_earned, points_to_spend, tier_for
from commerce.tables_money import InStoreReceipt, LoyaltyEntry
from tests.commerce.conftest import bearer, customer_without_pin, future_slot, token_for

CHEDDAR = "DAI-00063"  # £3.65, 3 for 2 at Riverside


def ledger(db: Database, handle: str) -> list[tuple[int | None, str, int]]:
    with db.session() as session:
        rows = session.execute(
            select(LoyaltyEntry.order_id, LoyaltyEntry.reason, LoyaltyEntry.points)
            .join(Customer, Customer.id == LoyaltyEntry.customer_id)
            .where(Customer.handle == handle)
            .order_by(LoyaltyEntry.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_points_arithmetic():
    assert [points_earned(c) for c in (0, 99, 100, 1095, 10_000, -5)] == [0, 0, 1, 10, 100, 0]
    assert points_to_spend(balance=500, payable_cents=1095) == 500
    assert points_to_spend(balance=5000, payable_cents=1095) == 1095
    assert points_to_spend(balance=0, payable_cents=1095) == 0
    assert tier_for(0) == ("green", "silver", 250)
    assert tier_for(300) == ("silver", "gold", 450)
    assert tier_for(750) == ("gold", None, 0)


def test_seeded_points_come_from_online_orders_and_in_store_receipts(
    client: TestClient, sqlite_db: Database
):
    handle = customer_without_pin(sqlite_db)
    mine = client.get("/v1/me/loyalty", headers=bearer(token_for(sqlite_db, handle))).json()
    with sqlite_db.session() as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.handle == handle))
        orders = session.scalars(select(Order).where(Order.customer_id == customer_id)).all()
        receipts = session.scalar(
            select(func.count())
            .select_from(InStoreReceipt)
            .join(Order)
            .where(Order.customer_id == customer_id)
        )
    assert 3 <= (receipts or 0) <= 5
    assert mine["points"] == sum(o.total_cents // 100 for o in orders) > 0
    assert mine["value"] == pytest.approx(mine["points"] / 100)
    assert mine["tier"] in ("green", "silver", "gold")
    assert len(ledger(sqlite_db, handle)) == len(orders)


def test_in_store_purchases_feed_purchases_and_the_usual(client: TestClient, sqlite_db: Database):
    handle = customer_without_pin(sqlite_db)
    headers = bearer(token_for(sqlite_db, handle))
    with sqlite_db.session() as session:
        receipt = session.scalars(
            select(Order)
            .join(InStoreReceipt)
            .join(Customer)
            .where(Customer.handle == handle)
            .order_by(Order.created_at.desc())
        ).first()
        assert receipt is not None
        bought_in_store = {line.product.sku for line in receipt.lines}
    purchases = client.get("/v1/me/purchases?limit=50", headers=headers).json()["purchases"]
    assert bought_in_store <= {p["sku"] for p in purchases}
    last = client.post(
        "/v1/me/reorder", json={"source": "last_order", "store_id": "riverside"}, headers=headers
    )
    assert last.status_code == 200  # the last order stays the last online one: it is newer


def cheddar_shopper(
    client: TestClient, db: Database, quantity: int
) -> tuple[str, dict[str, str], int]:
    """A customer with only ``quantity`` Mature Cheddar in the basket: (handle, headers,
    points before)."""
    handle = customer_without_pin(db)
    headers = bearer(token_for(db, handle))
    before = client.get("/v1/me/loyalty", headers=headers).json()["points"]
    client.delete("/v1/me/basket", headers=headers)
    client.post("/v1/me/basket/items", json={"sku": CHEDDAR, "quantity": quantity}, headers=headers)
    return handle, headers, before


def place(client: TestClient, headers: dict[str, str], quote_id: str, key: str) -> dict:
    response = client.post(
        "/v1/me/orders", json={"quote_id": quote_id}, headers=headers | {"Idempotency-Key": key}
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_points_spent_through_the_quote_once_and_given_back_on_cancel(
    any_client: TestClient, any_db: Database
):
    handle, headers, before = cheddar_shopper(any_client, any_db, 3)
    slot = future_slot(any_db, "riverside")
    quote = any_client.post(
        "/v1/me/checkout/quote",
        json={"store_id": "riverside", "slot_id": slot, "use_points": True},
        headers=headers,
    ).json()
    used = min(before, 730)  # 3 x £3.65, one free
    assert (quote["subtotal"], quote["savings_total"]) == (10.95, 3.65)
    assert (quote["points_used"], quote["points_balance"]) == (used, before)
    assert quote["total"] == pytest.approx((730 - used) / 100)
    key = str(uuid.uuid4())
    order = place(any_client, headers, quote["quote_id"], key)
    again = place(any_client, headers, quote["quote_id"], key)  # a retry: the same order
    assert again["order_id"] == order["order_id"]
    assert order["points_used"] == used
    earned = (730 - used) // 100
    after = any_client.get("/v1/me/loyalty", headers=headers).json()
    assert after["points"] == before - used + earned
    mine = [row for row in ledger(any_db, handle) if row[0] == order["order_id"]]
    assert sorted(mine) == sorted(
        [(order["order_id"], "spent", -used)]
        + ([(order["order_id"], "earned", earned)] if earned else [])
    )
    cancelled = any_client.post(f"/v1/me/orders/{order['order_id']}/cancel", headers=headers)
    assert cancelled.status_code == 200
    twice = any_client.post(f"/v1/me/orders/{order['order_id']}/cancel", headers=headers)
    assert twice.status_code == 409
    assert any_client.get("/v1/me/loyalty", headers=headers).json()["points"] == before


def test_points_spent_elsewhere_since_the_quote_refuse_the_order(
    client: TestClient, sqlite_db: Database
):
    _, headers, before = cheddar_shopper(client, sqlite_db, 12)
    assert 100 < before < 2920  # the seeded balance pays part of 8 x £3.65 (4 free)
    body = {"store_id": "riverside", "slot_id": future_slot(sqlite_db, "riverside")}
    first = client.post("/v1/me/checkout/quote", json=body | {"use_points": True}, headers=headers)
    second = client.post("/v1/me/checkout/quote", json=body | {"use_points": True}, headers=headers)
    assert first.json()["points_used"] == second.json()["points_used"] == before
    order = place(client, headers, first.json()["quote_id"], str(uuid.uuid4()))
    left = client.get("/v1/me/loyalty", headers=headers).json()["points"]
    assert left == (2920 - before) // 100  # all spent; what the order paid earned these
    refused = client.post(
        "/v1/me/orders",
        json={"quote_id": second.json()["quote_id"]},
        headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "points-changed"
    assert client.get("/v1/me/loyalty", headers=headers).json()["points"] == left
    assert (
        client.get("/v1/me/orders", headers=headers).json()["orders"][0]["order_id"]
        == order["order_id"]
    )


def test_hints_are_one_setting_not_a_loyalty_one(client: TestClient, sqlite_db: Database):
    """Deal hints are turned off with the customer's ``hints`` (``/v1/me/settings``), which
    goes-with reads too: loyalty neither shows nor changes a setting of its own."""
    headers = bearer(token_for(sqlite_db, customer_without_pin(sqlite_db)))
    gone = client.patch("/v1/me/loyalty", json={"deal_hints": False}, headers=headers)
    assert gone.status_code == 405
    client.patch("/v1/me/settings", json={"hints": False}, headers=headers)
    assert "deal_hints" not in client.get("/v1/me/loyalty", headers=headers).json()
    assert client.get("/v1/me/settings", headers=headers).json() == {"hints": False}
    assert client.get("/v1/me/loyalty").status_code == 401
