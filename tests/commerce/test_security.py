"""Customers see and change only their own data; requests cannot smuggle in fields."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from commerce.db import Database
from commerce.seed.seeder import DEMO_PIN
from tests.commerce.conftest import bearer, customer_with_pin, future_slot, token_for


def some_sku(client: TestClient, query: str = "milk") -> str:
    return client.get(f"/v1/products/search?q={query}").json()["results"][0]["sku"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "auth-required"),
        ({"Authorization": "Bearer cst_not-a-real-token"}, "auth-invalid"),
        ({"Authorization": "Bearer x"}, "auth-invalid"),
        ({"Authorization": "Basic YWxpY2U6cGFzcw=="}, "auth-required"),
    ],
)
def test_customer_endpoints_need_a_valid_token(client: TestClient, headers, code):
    for method, path in (
        ("GET", "/v1/me/basket"),
        ("GET", "/v1/me/orders"),
        ("POST", "/v1/me/pickups"),
    ):
        response = client.request(method, path, headers=headers, json={"slot_id": 1})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == code


def test_other_customers_data_is_invisible(client: TestClient, sqlite_db: Database):
    alice = bearer(token_for(sqlite_db, "alice"))
    bob = bearer(token_for(sqlite_db, "bob"))
    sku = some_sku(client)
    client.post("/v1/me/basket/items", json={"sku": sku, "quantity": 3}, headers=alice)
    slot = future_slot(sqlite_db, "riverside")
    booking = client.post("/v1/me/pickups", json={"slot_id": slot}, headers=alice).json()
    alice_order = client.get("/v1/me/orders", headers=alice).json()["orders"][0]

    assert client.get("/v1/me/basket", headers=bob).json()["items"] == []
    assert client.get(f"/v1/me/orders/{alice_order['order_id']}", headers=bob).status_code == 404
    bob_orders = {o["order_id"] for o in client.get("/v1/me/orders", headers=bob).json()["orders"]}
    assert alice_order["order_id"] not in bob_orders
    assert client.get("/v1/me/pickups", headers=bob).json()["bookings"] == []
    # changing or cancelling another's things looks exactly like a missing thing
    for response in (
        client.patch(
            f"/v1/me/pickups/{booking['booking_id']}", json={"slot_id": slot + 1}, headers=bob
        ),
        client.delete(f"/v1/me/pickups/{booking['booking_id']}", headers=bob),
        client.delete(f"/v1/me/pickups/{booking['booking_id'] + 999}", headers=bob),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "booking-not-found"
    missing = client.get("/v1/me/orders/999999", headers=bob).json()["error"]["code"]
    hidden = client.get(f"/v1/me/orders/{alice_order['order_id']}", headers=bob)
    assert hidden.json()["error"]["code"] == missing == "order-not-found"
    # alice's things are untouched
    assert client.get("/v1/me/basket", headers=alice).json()["items"][0]["quantity"] == 3
    assert len(client.get("/v1/me/pickups", headers=alice).json()["bookings"]) == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/me/basket/items", {"sku": "X", "quantity": 1, "price": 0.01}),
        ("/v1/me/basket/items", {"sku": "X", "quantity": 1, "customer_id": 2}),
        ("/v1/me/pickups", {"slot_id": 1, "status": "active", "customer_id": 1}),
        ("/v1/me/checkout/quote", {"store_id": "riverside", "slot_id": 1, "total": 0}),
        ("/v1/me/orders", {"quote_id": "q", "status": "collected"}),
    ],
)
def test_unknown_fields_rejected_not_applied(client: TestClient, sqlite_db: Database, path, body):
    headers = bearer(token_for(sqlite_db, "alice")) | {"Idempotency-Key": "k"}
    if "sku" in body:
        body = body | {"sku": some_sku(client)}
    before = client.get("/v1/me/basket", headers=headers).json()
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid-request"
    assert client.get("/v1/me/basket", headers=headers).json() == before


def test_pin_and_token_never_logged(
    client: TestClient, sqlite_db: Database, caplog: pytest.LogCaptureFixture
):
    handle = customer_with_pin(sqlite_db)
    token = token_for(sqlite_db, handle)
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/me/pin/verify", json={"pin": DEMO_PIN}, headers=bearer(token))
        client.post("/v1/me/pin/verify", json={"pin": "98765"}, headers=bearer(token))
    assert DEMO_PIN not in caplog.text
    assert "98765" not in caplog.text
    assert token not in caplog.text
