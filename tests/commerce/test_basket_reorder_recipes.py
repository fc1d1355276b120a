"""Basket edits, buy-again with substitutes, and recipes turned into basket lines."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from commerce.db import Database
from commerce.models import BasketItem, Customer, Product, Stock
from commerce.services.common import to_base
from tests.commerce.conftest import bearer, token_for


def basket_rows(db: Database, handle: str) -> dict[str, int]:
    """The basket as stored: sku -> quantity."""
    with db.session() as session:
        rows = session.execute(
            select(Product.sku, BasketItem.quantity)
            .join(BasketItem, BasketItem.product_id == Product.id)
            .join(Customer)
            .where(Customer.handle == handle)
        ).all()
    return dict(rows)


def test_add_change_remove(client: TestClient, sqlite_db: Database):
    headers = bearer(token_for(sqlite_db, "carol"))
    milk = client.get("/v1/products/search?q=milk").json()["results"][0]
    eggs = client.get("/v1/products/search?q=eggs").json()["results"][0]
    client.post("/v1/me/basket/items", json={"sku": milk["sku"], "quantity": 1}, headers=headers)
    client.post("/v1/me/basket/items", json={"sku": milk["sku"], "quantity": 2}, headers=headers)
    body = client.post(
        "/v1/me/basket/items", json={"sku": eggs["sku"], "quantity": 1}, headers=headers
    ).json()
    assert basket_rows(sqlite_db, "carol") == {milk["sku"]: 3, eggs["sku"]: 1}
    assert body["total"] == round(3 * milk["price"] + eggs["price"], 2)
    client.patch(f"/v1/me/basket/items/{milk['sku']}", json={"quantity": 5}, headers=headers)
    client.delete(f"/v1/me/basket/items/{eggs['sku']}", headers=headers)
    assert basket_rows(sqlite_db, "carol") == {milk["sku"]: 5}
    client.delete("/v1/me/basket", headers=headers)
    assert basket_rows(sqlite_db, "carol") == {}


def test_basket_lines_carry_what_customers_also_call_the_product(
    client: TestClient, sqlite_db: Database
):
    headers = bearer(token_for(sqlite_db, "carol"))
    with sqlite_db.session() as session:
        cheddar = session.scalars(select(Product).where(Product.category == "cheddar")).first()
        assert cheddar is not None
        sku, synonyms = cheddar.sku, list(cheddar.synonyms)
    assert "cheddar cheese" in synonyms
    body = client.post(
        "/v1/me/basket/items", json={"sku": sku, "quantity": 1}, headers=headers
    ).json()
    line = next(i for i in body["items"] if i["sku"] == sku)
    assert line["synonyms"] == synonyms


def test_usual_is_what_is_bought_regularly(client: TestClient, sqlite_db: Database):
    headers = bearer(token_for(sqlite_db, "alice"))
    usual = client.get("/v1/me/usual", headers=headers).json()["items"]
    assert len(usual) >= 3
    assert all(item["share"] >= 0.4 for item in usual)
    orders = client.get("/v1/me/orders?limit=50", headers=headers).json()["orders"]
    assert len(orders) >= 10
    top = usual[0]["sku"]
    assert sum(top in {line["sku"] for line in o["lines"]} for o in orders[:10]) >= 4


def test_reorder_last_order_adds_in_stock_and_offers_substitutes(
    client: TestClient, sqlite_db: Database
):
    headers = bearer(token_for(sqlite_db, "dave"))
    last = client.get("/v1/me/orders?limit=1", headers=headers).json()["orders"][0]
    gone = last["lines"][0]
    with sqlite_db.session(write=True) as session:
        product_id = session.scalar(select(Product.id).where(Product.sku == gone["sku"]))
        session.execute(
            update(Stock)
            .where(Stock.store_id == "harbour", Stock.product_id == product_id)
            .values(quantity=0)
        )
    body = client.post(
        "/v1/me/reorder", json={"source": "last_order", "store_id": "harbour"}, headers=headers
    ).json()
    unavailable = {u["sku"]: u for u in body["unavailable"]}
    assert gone["sku"] in unavailable
    substitutes = unavailable[gone["sku"]]["substitutes"]
    assert substitutes, "an out-of-stock item comes with substitutes"
    assert all(s["category"] == unavailable[gone["sku"]]["category"] for s in substitutes)
    assert [s["score"] for s in substitutes] == sorted(
        (s["score"] for s in substitutes), reverse=True
    )
    rows = basket_rows(sqlite_db, "dave")
    assert gone["sku"] not in rows
    assert {a["sku"]: a["quantity"] for a in body["added"]} == rows


def test_buy_again_finds_a_past_purchase(client: TestClient, sqlite_db: Database):
    headers = bearer(token_for(sqlite_db, "alice"))
    bought = client.get("/v1/me/purchases", headers=headers).json()["purchases"]
    target = bought[0]
    found = client.get(
        "/v1/me/purchases", params={"q": target["name"].lower()}, headers=headers
    ).json()["purchases"]
    assert found[0]["sku"] == target["sku"]


def test_recipe_to_basket_scales_skips_and_rounds_to_packs(client: TestClient, sqlite_db: Database):
    headers = bearer(token_for(sqlite_db, "erin"))
    recipes = client.get("/v1/recipes", params={"q": "pancakes"}).json()["recipes"]
    assert recipes, "pancakes are in the recipe book"
    recipe = client.get(f"/v1/recipes/{recipes[0]['slug']}").json()
    egg_lines = [i for i in recipe["ingredients"] if i["category"] == "egg"]
    body = client.post(
        "/v1/me/basket/recipe",
        json={
            "recipe": recipe["slug"],
            "servings": recipe["servings"] * 2,
            "have": ["eggs"],
            "store_id": "riverside",
        },
        headers=headers,
    ).json()
    assert body["servings"] == recipe["servings"] * 2
    skipped = {s["category"] for s in body["skipped"] if s["reason"] == "you have it"}
    if egg_lines:
        assert "egg" in skipped
    assert all(line["category"] != "egg" for line in body["added"])
    needed = {i["category"]: i for i in recipe["ingredients"] if not i["pantry"]}
    for line in body["added"]:
        ingredient = needed[line["category"]]
        amount, base = to_base(ingredient["quantity"] * 2, ingredient["unit"])
        pack, pack_base = to_base(line["size"], line["unit"])
        assert pack_base == base
        assert line["quantity"] == math.ceil(amount / pack - 1e-9), "rounded up to whole packs"
    assert basket_rows(sqlite_db, "erin") == {a["sku"]: a["quantity"] for a in body["added"]}
