"""Bad input gets a clear 4xx with an error code, never a 500, and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from commerce.db import Database
from tests.commerce.conftest import bearer, token_for


@pytest.fixture
def alice(sqlite_db: Database) -> dict[str, str]:
    return bearer(token_for(sqlite_db, "alice"))


def sku(client: TestClient) -> str:
    return client.get("/v1/products/search?q=bread").json()["results"][0]["sku"]


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**9, 10**30])
def test_absurd_quantities(client: TestClient, alice, quantity):
    response = client.post(
        "/v1/me/basket/items", json={"sku": sku(client), "quantity": quantity}, headers=alice
    )
    assert_error(response, 422, "invalid-request")
    assert client.get("/v1/me/basket", headers=alice).json()["items"] == []


def test_quantity_cap_applies_to_the_merged_line(client: TestClient, alice):
    item = {"sku": sku(client), "quantity": 60}
    assert client.post("/v1/me/basket/items", json=item, headers=alice).status_code == 201
    assert_error(
        client.post("/v1/me/basket/items", json=item, headers=alice), 422, "quantity-out-of-range"
    )
    assert client.get("/v1/me/basket", headers=alice).json()["items"][0]["quantity"] == 60


def test_huge_query_and_body(client: TestClient, alice):
    assert_error(
        client.get("/v1/products/search", params={"q": "milk " * 2048}), 422, "invalid-request"
    )
    big = '{"sku": "' + "A" * 100_000 + '", "quantity": 1}'
    response = client.post(
        "/v1/me/basket/items", content=big, headers=alice | {"Content-Type": "application/json"}
    )
    assert_error(response, 413, "body-too-large")


@pytest.mark.parametrize("body", ['{"sku": "A", "quantity": 1', "not json", "[1, 2", "{'a': 1}"])
def test_malformed_json(client: TestClient, alice, body):
    response = client.post(
        "/v1/me/basket/items", content=body, headers=alice | {"Content-Type": "application/json"}
    )
    assert_error(response, 400, "malformed-json")


def test_unknown_things(client: TestClient, alice):
    assert_error(
        client.post("/v1/me/basket/items", json={"sku": "NOPE-1", "quantity": 1}, headers=alice),
        404,
        "product-not-found",
    )
    assert_error(client.get("/v1/stores/atlantis/stock/NOPE-1"), 404, "store-not-found")
    assert_error(
        client.get("/v1/stores/riverside/pickup-slots?date=2030-13-45"), 422, "invalid-request"
    )
    assert_error(
        client.get("/v1/stores/atlantis/pickup-slots?date=2030-01-01"), 404, "store-not-found"
    )
    assert_error(
        client.post("/v1/me/pickups", json={"slot_id": 99_999_999}, headers=alice),
        404,
        "slot-not-found",
    )
    assert_error(
        client.patch("/v1/me/basket/items/NOPE-1", json={"quantity": 2}, headers=alice),
        404,
        "not-in-basket",
    )
    assert_error(client.get("/v1/recipes/no-such-dish"), 404, "recipe-not-found")
    assert_error(
        client.post(
            "/v1/me/checkout/quote", json={"store_id": "atlantis", "slot_id": 1}, headers=alice
        ),
        404,
        "store-not-found",
    )
    assert_error(client.get("/v1/no/such/path"), 404, "not-found")
    assert client.get("/v1/me/basket", headers=alice).json()["items"] == []


def test_empty_basket_cannot_be_quoted(client: TestClient, sqlite_db: Database, alice):
    from tests.commerce.conftest import future_slot

    slot = future_slot(sqlite_db, "riverside")
    assert_error(
        client.post(
            "/v1/me/checkout/quote", json={"store_id": "riverside", "slot_id": slot}, headers=alice
        ),
        409,
        "basket-empty",
    )


def test_booking_a_slot_in_the_past(client: TestClient, sqlite_db: Database, alice):
    from datetime import UTC, datetime

    from sqlalchemy import select

    from commerce.models import PickupSlot

    with sqlite_db.session() as session:
        past = session.scalar(
            select(PickupSlot.id).where(PickupSlot.start < datetime.now(UTC)).limit(1)
        )
    if past is None:  # the seed starts at today's slots; before opening none has started yet
        with sqlite_db.session(write=True) as session:
            slot = session.scalar(select(PickupSlot).limit(1))
            assert slot is not None
            slot.start = datetime(2020, 1, 1, 9, tzinfo=UTC)
            past = slot.id
    assert_error(
        client.post("/v1/me/pickups", json={"slot_id": past}, headers=alice), 409, "slot-in-past"
    )


@pytest.mark.parametrize("ref", ["¹", "٣", "9" * 40])
def test_odd_digits_in_a_recipe_id_are_not_found(client: TestClient, ref: str):
    """str.isdigit() is true for "¹" and "٣"; neither is an id, nor is a 40-digit number."""
    assert_error(client.get(f"/v1/recipes/{ref}"), 404, "recipe-not-found")
