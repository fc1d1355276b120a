"""Deals: the arithmetic (exact pence, half-up rounding, one deal per line), the seeded offers,
`GET /v1/stores/{id}/deals`, and deals taken off basket totals, quotes and orders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.db import Database
from commerce.models import Order, Product
from commerce.services.deals import best_saving, saving_cents, title
from commerce.tables_money import CheckoutMoney, Deal
from tests.commerce.conftest import bearer, customer_without_pin, future_slot, token_for

CHEDDAR = "DAI-00063"  # Mature Cheddar 400 g, £3.65: 3 for 2 at Riverside in the seed


def deal(kind: str, deal_id: int = 1, **terms: int) -> Deal:
    return Deal(id=deal_id, kind=kind, **terms)


@pytest.mark.parametrize(
    ("price", "quantity", "percent", "saving"),
    [
        (115, 3, 33, 114),  # 113.85p -> 114p
        (105, 1, 15, 16),  # 15.75p -> 16p
        (25, 1, 10, 3),  # 2.5p -> 3p: half up, not to even
        (35, 1, 10, 4),  # 3.5p -> 4p
        (129, 2, 10, 26),  # 25.8p -> 26p: rounded once per line, not per item (13p + 13p)
        (365, 3, 20, 219),
    ],
)
def test_percent_off_is_rounded_half_up_once_per_line(price, quantity, percent, saving):
    assert saving_cents(deal("percent", percent=percent), price, quantity, member=True) == saving


@pytest.mark.parametrize(("quantity", "free"), [(1, 0), (2, 0), (3, 1), (5, 1), (6, 2), (7, 2)])
def test_three_for_two_frees_one_in_each_whole_three(quantity, free):
    assert saving_cents(deal("multibuy", buy=3, pay=2), 365, quantity, member=True) == 365 * free


def test_member_price_is_for_members_only():
    offer = deal("member", member_price_cents=475)
    assert saving_cents(offer, 635, 2, member=True) == 320
    assert saving_cents(offer, 635, 2, member=False) == 0
    assert saving_cents(deal("member", member_price_cents=700), 635, 1, member=True) == 0


def test_deals_on_one_line_never_stack_the_biggest_saving_wins():
    percent, multibuy = deal("percent", 1, percent=20), deal("multibuy", 2, buy=3, pay=2)
    at_three = best_saving([percent, multibuy], 365, 3, member=True)
    assert at_three is not None
    assert (at_three.deal_id, at_three.saving_cents) == (2, 365)
    at_two = best_saving([percent, multibuy], 365, 2, member=True)  # no whole three: 20 % off
    assert at_two is not None
    assert (at_two.deal_id, at_two.saving_cents) == (1, 146)
    tie = best_saving(
        [deal("percent", 5, percent=50), deal("multibuy", 3, buy=2, pay=1)], 100, 2, True
    )
    assert tie is not None
    assert tie.deal_id == 3
    assert best_saving([], 365, 3, member=True) is None


def test_titles_say_the_deal_as_a_shelf_label_does():
    assert title(deal("multibuy", buy=3, pay=2)) == "3 for 2"
    assert title(deal("percent", percent=20)) == "20% off"
    assert title(deal("member", member_price_cents=475)) == "£4.75 for members"


def test_store_deals_are_the_seeded_ones_valid_now(client: TestClient, sqlite_db: Database):
    found = client.get("/v1/stores/riverside/deals").json()["deals"]
    now = datetime.now(UTC)
    with sqlite_db.session() as session:
        valid = session.scalars(
            select(Deal).where(
                Deal.store_id == "riverside", Deal.starts_at <= now, Deal.ends_at > now
            )
        ).all()
        every = session.scalars(select(Deal).where(Deal.store_id == "riverside")).all()
    assert sorted(d["deal_id"] for d in found) == sorted(d.id for d in valid)
    assert len(every) == len(valid) + 2  # one has ended, one is still to come
    assert {d["kind"] for d in found} == {"percent", "multibuy", "member"}
    assert all(d["store_id"] == "riverside" for d in found)


def test_a_query_finds_the_deals_on_what_it_names(client: TestClient):
    coffee = client.get("/v1/stores/riverside/deals?q=coffee").json()["deals"]
    assert coffee
    assert all(d["product"]["category"] == "coffee" for d in coffee)
    cheddar = client.get("/v1/stores/riverside/deals?q=cheddar").json()["deals"]
    assert [(d["product"]["sku"], d["title"]) for d in cheddar] == [(CHEDDAR, "3 for 2")]
    assert client.get("/v1/stores/riverside/deals?q=bananas").json()["deals"] == []
    missing = client.get("/v1/stores/nowhere/deals")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "store-not-found"


def test_a_deal_outside_its_dates_is_not_applied(client: TestClient, sqlite_db: Database):
    handle = customer_without_pin(sqlite_db)
    headers = bearer(token_for(sqlite_db, handle))
    with sqlite_db.session(write=True) as session:
        for offer in session.scalars(select(Deal).join(Product).where(Product.sku == CHEDDAR)):
            offer.ends_at = datetime.now(UTC) - timedelta(minutes=1)
    client.post("/v1/me/basket/items", json={"sku": CHEDDAR, "quantity": 3}, headers=headers)
    basket = client.get("/v1/me/basket?store_id=riverside", headers=headers).json()
    assert (basket["savings_total"], basket["total"]) == (0.0, basket["subtotal"])


def test_basket_quote_and_order_take_the_deal_off(client: TestClient, sqlite_db: Database):
    handle = customer_without_pin(sqlite_db)
    headers = bearer(token_for(sqlite_db, handle))
    client.delete("/v1/me/basket", headers=headers)
    client.post("/v1/me/basket/items", json={"sku": CHEDDAR, "quantity": 4}, headers=headers)
    basket = client.get("/v1/me/basket?store_id=riverside", headers=headers).json()
    assert (basket["subtotal"], basket["savings_total"], basket["total"]) == (14.6, 3.65, 10.95)
    assert basket["items"][0]["saving"] == 3.65
    slot = future_slot(sqlite_db, "riverside")
    quote = client.post(
        "/v1/me/checkout/quote", json={"store_id": "riverside", "slot_id": slot}, headers=headers
    ).json()
    assert quote["savings"] == [
        {"sku": CHEDDAR, "name": "Mature Cheddar", "deal": "3 for 2", "saving": 3.65}
    ]
    assert (quote["subtotal"], quote["savings_total"], quote["total"]) == (14.6, 3.65, 10.95)
    assert quote["points_used"] == 0
    order = client.post(
        "/v1/me/orders",
        json={"quote_id": quote["quote_id"]},
        headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
    ).json()
    assert (order["total"], order["savings_total"]) == (10.95, 3.65)
    with sqlite_db.session() as session:
        placed = session.get_one(Order, order["order_id"])
        kept = session.get_one(CheckoutMoney, quote["quote_id"])
        assert placed.total_cents == 1095
        assert (kept.subtotal_cents, kept.savings[0]["saving_cents"]) == (1460, 365)
