"""Quotes and orders: exactly one order per quote and key, refusals that change nothing."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from commerce.db import Database
from commerce.models import BasketItem, Customer, Order, Product, Quote, Stock
from commerce.seed.seeder import DEMO_PIN
from tests.commerce.conftest import (
    bearer,
    customer_with_pin,
    customer_without_pin,
    future_slot,
    live_server,
    token_for,
)

Http = TestClient | httpx.Client  # the app in this process, or served (concurrent requests)


def fill_basket(client: Http, headers: dict[str, str], store: str, count: int = 3) -> list:
    """Put ``count`` products in stock at ``store`` into the basket; return their skus."""
    skus = []
    for query in ("milk", "bread", "eggs", "bananas", "butter")[:count]:
        results = client.get(f"/v1/products/search?q={query}&store_id={store}").json()["results"]
        sku = next(r["sku"] for r in results if r["in_stock"])
        assert (
            client.post(
                "/v1/me/basket/items", json={"sku": sku, "quantity": 2}, headers=headers
            ).status_code
            == 201
        )
        skus.append(sku)
    return skus


def quoted(
    client: Http, db: Database, headers: dict[str, str], store: str, count: int
) -> tuple[list[str], dict]:
    """``count`` products in stock put in the basket (``fill_basket``) and quoted for a free
    slot at ``store`` tomorrow: (their skus, the quote)."""
    skus = fill_basket(client, headers, store, count)
    quote = client.post(
        "/v1/me/checkout/quote",
        json={"store_id": store, "slot_id": future_slot(db, store)},
        headers=headers,
    )
    assert quote.status_code == 201, quote.text
    return skus, quote.json()


def orders_of(db: Database, handle: str, placed_only: bool = True) -> int:
    with db.session() as session:
        query = (
            select(func.count()).select_from(Order).join(Customer).where(Customer.handle == handle)
        )
        if placed_only:
            query = query.where(Order.status == "placed")
        return session.scalar(query) or 0


def stock_of(db: Database, store: str, sku: str) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(Stock.quantity)
                .join(Product)
                .where(Stock.store_id == store, Product.sku == sku)
            )
            or 0
        )


@pytest.fixture
def shopper(any_client: TestClient, any_db: Database):
    handle = customer_without_pin(any_db)
    headers = bearer(token_for(any_db, handle))
    skus, quote = quoted(any_client, any_db, headers, "riverside", 3)
    return handle, headers, skus, quote


def test_quote_reads_back_lines_total_store_and_slot(shopper):
    _, _, skus, quote = shopper
    assert [line["sku"] for line in quote["lines"]] == skus
    assert quote["total"] == pytest.approx(sum(line["line_total"] for line in quote["lines"]))
    assert quote["store_name"]
    assert quote["slot"]["slot_id"] == quote["slot_id"]
    assert datetime.fromisoformat(quote["expires_at"]) > datetime.now(UTC)


def test_order_placed_once_for_retries(any_client: TestClient, any_db: Database, shopper):
    handle, headers, skus, quote = shopper
    before = stock_of(any_db, "riverside", skus[0])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = any_client.post(
        "/v1/me/orders", json={"quote_id": quote["quote_id"]}, headers=headers | key
    )
    assert first.status_code == 201, first.text
    again = any_client.post(
        "/v1/me/orders", json={"quote_id": quote["quote_id"]}, headers=headers | key
    )
    assert again.status_code == 200
    assert again.json()["order_id"] == first.json()["order_id"]
    assert orders_of(any_db, handle) == 1
    assert stock_of(any_db, "riverside", skus[0]) == before - 2, "stock taken once"
    basket = any_client.get("/v1/me/basket", headers=headers).json()
    assert basket["items"] == [], "ordered items leave the basket"
    status = any_client.get(f"/v1/me/orders/{first.json()['order_id']}", headers=headers).json()
    assert status["stage"] == "being-prepared"
    assert [line["sku"] for line in status["lines"]] == skus


def test_same_key_different_body_and_second_key_refused(any_client: TestClient, shopper):
    _, headers, _, quote = shopper
    key = {"Idempotency-Key": "k-1"}
    assert (
        any_client.post(
            "/v1/me/orders", json={"quote_id": quote["quote_id"]}, headers=headers | key
        ).status_code
        == 201
    )
    other_body = any_client.post(
        "/v1/me/orders", json={"quote_id": str(uuid.uuid4())}, headers=headers | key
    )
    assert other_body.status_code == 409
    assert other_body.json()["error"]["code"] == "idempotency-key-reused"
    other_key = any_client.post(
        "/v1/me/orders",
        json={"quote_id": quote["quote_id"]},
        headers=headers | {"Idempotency-Key": "k-2"},
    )
    assert other_key.status_code == 409
    assert other_key.json()["error"]["code"] == "quote-already-used"


def test_missing_idempotency_key_refused(any_client: TestClient, any_db: Database, shopper):
    handle, headers, _, quote = shopper
    response = any_client.post(
        "/v1/me/orders", json={"quote_id": quote["quote_id"]}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency-key-required"
    assert orders_of(any_db, handle) == 0


@pytest.mark.slow
def test_concurrent_repeats_make_one_order(any_db: Database):
    handle = customer_without_pin(any_db)
    token = token_for(any_db, handle)
    with (
        live_server(any_db) as url,
        httpx.Client(base_url=url, timeout=60, headers=bearer(token)) as http,
    ):
        _, quote = quoted(http, any_db, {}, "riverside", 2)
        key = {"Idempotency-Key": "same-key"}

        def place(_: int) -> httpx.Response:
            return http.post("/v1/me/orders", json={"quote_id": quote["quote_id"]}, headers=key)

        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(place, range(40)))
    assert_one_order(responses, any_db, handle)


def assert_one_order(responses: list[httpx.Response], db: Database, handle: str) -> None:
    """Repeats of one order: every answer is that order, one of them made it (201), and the
    customer has that one order."""
    odd = [r.text for r in responses if r.status_code not in (200, 201)]
    assert not odd
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert sum(r.status_code == 201 for r in responses) == 1
    assert orders_of(db, handle) == 1


def refused_order(client: TestClient, db: Database, shopper: tuple, status: int, code: str) -> dict:
    """The shopper's quote placed as an order: refused with ``status`` and ``code``, and no
    order made; the error body."""
    handle, headers, _, quote = shopper
    response = client.post(
        "/v1/me/orders",
        json={"quote_id": quote["quote_id"]},
        headers=headers | {"Idempotency-Key": "x"},
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert orders_of(db, handle) == 0
    return response.json()["error"]


def test_expired_quote_refused(any_client: TestClient, any_db: Database, shopper):
    quote = shopper[3]
    with any_db.session(write=True) as session:
        session.execute(
            update(Quote)
            .where(Quote.id == quote["quote_id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    refused_order(any_client, any_db, shopper, 410, "quote-expired")


def test_price_change_refused_not_repriced(any_client: TestClient, any_db: Database, shopper):
    skus = shopper[2]
    with any_db.session(write=True) as session:
        session.execute(
            update(Product)
            .where(Product.sku == skus[1])
            .values(price_cents=Product.price_cents + 10)
        )
    error = refused_order(any_client, any_db, shopper, 409, "price-changed")
    assert error["skus"] == [skus[1]]


def test_stock_change_refused_and_nothing_taken(any_client: TestClient, any_db: Database, shopper):
    handle, _, skus, _ = shopper
    before = stock_of(any_db, "riverside", skus[0])
    with any_db.session(write=True) as session:
        product_id = session.scalar(select(Product.id).where(Product.sku == skus[2]))
        session.execute(
            update(Stock)
            .where(Stock.store_id == "riverside", Stock.product_id == product_id)
            .values(quantity=1)
        )
    refused_order(any_client, any_db, shopper, 409, "stock-changed")
    assert stock_of(any_db, "riverside", skus[0]) == before, "no half-written change"
    with any_db.session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(BasketItem)
                .join(Customer)
                .where(Customer.handle == handle)
            )
            == 3
        )


def test_pin_required_wrong_then_right(any_client: TestClient, any_db: Database):
    handle = customer_with_pin(any_db)
    headers = bearer(token_for(any_db, handle))
    _, quote = quoted(any_client, any_db, headers, "old-town", 1)
    assert quote["pin_required"] is True
    body = {"quote_id": quote["quote_id"]}
    key = {"Idempotency-Key": "pin-test"}
    missing = any_client.post("/v1/me/orders", json=body, headers=headers | key)
    assert (missing.status_code, missing.json()["error"]["code"]) == (403, "pin-required")
    wrong = any_client.post("/v1/me/orders", json=body | {"pin": "0000"}, headers=headers | key)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "pin-incorrect")
    assert orders_of(any_db, handle) == 0
    right = any_client.post("/v1/me/orders", json=body | {"pin": DEMO_PIN}, headers=headers | key)
    assert right.status_code == 201, right.text
    assert orders_of(any_db, handle) == 1


def test_pin_locks_after_repeated_failures(client: TestClient, sqlite_db: Database):
    handle = customer_with_pin(sqlite_db)
    headers = bearer(token_for(sqlite_db, handle))
    results = [
        client.post("/v1/me/pin/verify", json={"pin": "9999"}, headers=headers) for _ in range(6)
    ]
    assert [r.json().get("verified") for r in results[:5]] == [False] * 5
    assert results[5].status_code == 423
    locked = client.post("/v1/me/pin/verify", json={"pin": DEMO_PIN}, headers=headers)
    assert locked.status_code == 423, "even the right PIN waits once locked"
