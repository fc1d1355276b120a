"""GET /v1/products/resolve: one spoken basket item -> the right product and how many packs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from commerce.db import Database
from commerce.services.common import to_base
from tests.commerce.conftest import bearer, token_for


def resolve(client: TestClient, q: str, **params) -> dict:
    response = client.get("/v1/products/resolve", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def pack(result: dict) -> tuple[float, str]:
    """A result's pack size in ml / g / each."""
    return to_base(result["size"], result["unit"])


@pytest.mark.parametrize(
    ("phrase", "category", "size", "packs"),
    [
        ("two litres of milk", "milk", (2000.0, "ml"), 1),
        ("a dozen eggs", "egg", (12.0, "each"), 1),
        ("6 eggs", "egg", (6.0, "each"), 1),
        ("half a kilo of flour", "flour", (500.0, "g"), 1),
        ("two kilos of flour", "flour", (500.0, "g"), 4),
        ("4 pints of milk", "milk", (2272.0, "ml"), 1),
        ("2 bananas", "banana", (1.0, "each"), 2),
    ],
)
def test_best_result_fits_the_amount(client: TestClient, phrase, category, size, packs):
    body = resolve(client, phrase, store_id="riverside")
    best = body["results"][0]
    assert best["category"] == category
    assert pack(best) == pytest.approx(size)
    assert best["packs"] == packs
    assert body["query"] == phrase


@pytest.mark.parametrize(
    ("phrase", "category", "packs", "said"),
    [
        ("two loaves of bread", "bread", 2, "two loaves"),
        ("three packs of butter", "butter", 3, "three packs"),
        ("a bottle of cola", "cola", 1, "a bottle"),
    ],
)
def test_container_counts_are_packs(client: TestClient, phrase, category, packs, said):
    body = resolve(client, phrase)
    assert body["quantity"] == {"text": said, "packs": packs, "amount": None, "unit": None}
    assert body["results"][0]["category"] == category
    assert {r["packs"] for r in body["results"]} == {packs}, "whatever the pack size"


def test_two_loaves_search_bread_not_loaves(client: TestClient):
    loaves = resolve(client, "two loaves of bread")["results"]
    bread = client.get("/v1/products/search", params={"q": "bread", "limit": 5}).json()
    assert [r["sku"] for r in loaves] == [r["sku"] for r in bread["results"]]


def test_items_become_packs_of_each_product(client: TestClient):
    body = resolve(client, "a dozen eggs", limit=10)
    assert body["quantity"] == {"text": "a dozen", "packs": None, "amount": 12.0, "unit": "each"}
    by_size = {pack(r)[0]: r["packs"] for r in body["results"] if r["category"] == "egg"}
    assert by_size == {12.0: 1, 6.0: 2}, "a box of 12, or two boxes of 6"


def test_amount_on_every_result(client: TestClient):
    body = resolve(client, "two litres of milk", limit=10)
    assert body["quantity"] == {"text": "two litres", "packs": None, "amount": 2000.0, "unit": "ml"}
    for result in body["results"]:
        size, unit = pack(result)
        assert unit == "ml"
        assert (result["packs"] - 1) * size < 2000 <= result["packs"] * size


def test_no_quantity_is_one_pack(client: TestClient):
    body = resolve(client, "milk")
    assert body["quantity"] == {"text": None, "packs": None, "amount": None, "unit": None}
    assert body["results"][0]["category"] == "milk"
    assert {r["packs"] for r in body["results"]} == {1}


def test_results_carry_the_search_fields_and_limit(client: TestClient):
    results = resolve(client, "milk", limit=3)["results"]
    assert len(results) == 3
    assert set(results[0]) == {
        "sku", "name", "brand", "size", "unit", "price", "department", "category",
        "in_stock", "score", "match", "packs", "suitable_for", "price_per_unit", "per_unit",
    }  # fmt: skip
    assert {r["match"] for r in results} == {"name"}  # "milk" is in their names
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


@pytest.mark.parametrize(
    "phrase", ["a thousand litres of milk", "zero eggs", "150 loaves of bread"]
)
def test_quantity_out_of_range(client: TestClient, phrase):
    response = client.get("/v1/products/resolve", params={"q": phrase})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "quantity-out-of-range"


def test_many_items_pick_bigger_packs_within_the_limit(client: TestClient):
    best = resolve(client, "200 bananas")["results"][0]
    assert best["packs"] <= 99
    assert best["packs"] * pack(best)[0] >= 200


def test_unknown_product_is_an_empty_answer(client: TestClient):
    body = resolve(client, "two flibbertigibbets")
    assert body["results"] == []


def test_unknown_store_refused(client: TestClient):
    response = client.get("/v1/products/resolve", params={"q": "milk", "store_id": "nowhere"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "store-not-found"


def test_resolved_line_goes_into_the_basket(any_client: TestClient, any_db: Database):
    """What the add-to-basket skill does: resolve, then add the first in-stock result's packs."""
    headers = bearer(token_for(any_db, "alice"))
    results = resolve(any_client, "a dozen eggs", store_id="riverside")["results"]
    chosen = next(r for r in results if r["in_stock"])
    added = any_client.post(
        "/v1/me/basket/items",
        json={"sku": chosen["sku"], "quantity": chosen["packs"]},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    line = next(i for i in added.json()["items"] if i["sku"] == chosen["sku"])
    assert line["quantity"] * line["size"] >= 12
