"""Everyday requests the service answers (issue 11 part 6): dietary words in product search,
unit prices, the nearest store, recipes ranked by fit and filtered by diet, and days every
store is closed."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from time_machine import TimeMachineFixture

from commerce.db import Database
from commerce.diet import read_wishes, suits
from commerce.seed.catalog import generate_products
from commerce.services.common import price_per_unit
from commerce.services.pickups import closed_dates, closed_on
from commerce.services.stores import distance_km
from tests.commerce.conftest import bearer, token_for

CATALOG = {(p.name, p.brand, p.size, p.unit): p for p in generate_products()}


def product(name: str):
    return next(p for (n, *_), p in CATALOG.items() if n == name)


# --- dietary words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "diets", "quick", "rest"),
    [
        ("vegan sausages", {"vegan"}, False, "sausages"),
        ("gluten free pasta", {"gluten-free"}, False, "pasta"),
        ("gluten-free bread", {"gluten-free"}, False, "bread"),
        ("veggie burgers", {"vegetarian"}, False, "burgers"),
        ("plant based milk", {"vegan"}, False, "milk"),
        ("quick vegetarian dinner", {"vegetarian"}, True, "dinner"),
        ("semi skimmed milk", set(), False, "semi skimmed milk"),
    ],
)
def test_diet_and_quick_words_are_read_out_of_a_query(said, diets, quick, rest):
    wishes = read_wishes(said)
    assert (set(wishes.diets), wishes.quick, wishes.rest) == (diets, quick, rest)


@pytest.mark.parametrize(
    ("name", "vegan", "vegetarian", "gluten_free"),
    [
        ("Oat Milk", True, True, True),
        ("Whole Milk", False, True, True),
        ("Coconut Yoghurt", True, True, True),
        ("Greek Yoghurt", False, True, True),
        ("Vegan Sausages", True, True, False),
        ("Pork Sausages", False, False, False),
        ("Lamb's Lettuce", True, True, True),
        ("Beef Tomatoes", True, True, True),
        ("Parmesan", False, False, True),  # animal rennet
        ("Gluten-Free Penne", True, True, True),
        ("Penne", True, True, False),
        ("Free Range Large Eggs", False, True, True),
        ("Clear Honey", False, True, True),
        ("Jelly Babies", False, False, None),  # gelatine
        ("Hazelnut Milk Chocolate", False, True, True),
        ("Butter Beans", True, True, True),
    ],
)
def test_what_suits_a_diet_is_read_from_the_catalog(name, vegan, vegetarian, gluten_free):
    assert suits(product(name)) == {
        "vegan": vegan,
        "vegetarian": vegetarian,
        "gluten-free": gluten_free,
    }


def test_non_food_is_neither_suitable_nor_unsuitable():
    household = next(p for p in CATALOG.values() if p.department == "household")
    assert set(suits(household).values()) == {None}


def search(client: TestClient, q: str, limit: int = 5) -> list[dict]:
    response = client.get("/v1/products/search", params={"q": q, "limit": limit})
    assert response.status_code == 200, response.text
    return response.json()["results"]


@pytest.mark.parametrize(
    ("query", "diet", "unwanted"),
    [
        ("vegan milk", "vegan", "Whole Milk"),
        ("vegan sausages", "vegan", "Pork Sausages"),
        ("vegetarian sausages", "vegetarian", "Pork Sausages"),
        ("gluten free pasta", "gluten-free", "Penne"),
        ("gluten free bread", "gluten-free", "Farmhouse White Loaf"),
        ("vegan mayo", "vegan", "Mayonnaise"),
    ],
)
def test_a_diet_in_a_search_puts_what_suits_it_first_and_leaves_out_what_does_not(
    client: TestClient, query, diet, unwanted
):
    results = search(client, query)
    assert results, query
    assert diet in results[0]["suitable_for"], results[0]
    assert unwanted not in {r["name"] for r in results}


def test_a_diet_nothing_suits_finds_nothing_rather_than_something_else(client: TestClient):
    """ "vegan cheese" found cottage cheese; the catalog has no vegan cheese."""
    assert all("vegan" in r["suitable_for"] for r in search(client, "vegan cheese"))


def test_resolve_honours_the_diet_too(client: TestClient):
    results = client.get("/v1/products/resolve", params={"q": "two litres of vegan milk"}).json()
    assert results["results"][0]["suitable_for"][:1] == ["vegan"]


def test_quick_puts_what_cooks_in_minutes_first(client: TestClient):
    results = search(client, "quick rice")
    assert any(w in results[0]["name"] for w in ("Microwave", "Easy Cook")), results[0]


# --- unit prices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "size", "unit", "expected"),
    [
        (165, 2, "L", (0.83, "litre")),
        (99, 568, "ml", (1.74, "litre")),
        (95, 1.5, "kg", (0.63, "kg")),
        (80, 800, "g", (1.0, "kg")),
        (275, 12, "each", (0.23, "item")),
    ],
)
def test_the_unit_price_is_per_litre_kilo_or_item(cents, size, unit, expected):
    assert price_per_unit(cents, size, unit) == expected


def test_every_product_carries_its_unit_price(client: TestClient):
    for item in search(client, "semi skimmed milk", limit=5):
        assert item["per_unit"] == "litre"
        litres = item["size"] / (1000 if item["unit"] == "ml" else 1)
        assert item["price_per_unit"] == pytest.approx(item["price"] / litres, abs=0.01)


# --- stores: where and which is nearest ---------------------------------------------------------


def test_distances_are_great_circle_km():
    riverside, northgate = (52.19852, -1.72618), (52.21984, -1.70472)
    assert distance_km(riverside, northgate) == pytest.approx(2.78, abs=0.05)
    assert distance_km(riverside, riverside) == 0


def test_stores_near_a_point_nearest_first(client: TestClient):
    stores = client.get("/v1/stores", params={"near": "52.2198,-1.7047"}).json()["stores"]
    assert [s["store_id"] for s in stores] == ["northgate", "old-town", "riverside", "harbour"]
    assert stores[0]["distance_km"] < 0.1
    assert stores[-1]["distance_km"] > 300  # Port Wren is on Jersey
    assert {"latitude", "longitude", "address"} <= set(stores[0])


@pytest.mark.parametrize("near", ["north", "52.2", "91,0", "nan,nan", "1,2,3"])
def test_a_point_that_is_none_is_refused(client: TestClient, near):
    response = client.get("/v1/stores", params={"near": near})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid-request"


def test_my_nearest_store_is_measured_from_home_and_home_stays_private(
    client: TestClient, sqlite_db: Database
):
    response = client.get("/v1/me/stores/nearest", headers=bearer(token_for(sqlite_db, "alice")))
    assert response.status_code == 200
    body = response.json()
    assert body["measured_from"] == "home"
    distances = [s["distance_km"] for s in body["stores"]]
    assert distances == sorted(distances)
    assert "home_latitude" not in response.text


def test_without_a_home_point_the_home_store_is_the_origin(client: TestClient, sqlite_db: Database):
    from sqlalchemy import update

    from commerce.models import Customer

    with sqlite_db.session(write=True) as session:
        session.execute(
            update(Customer)
            .where(Customer.handle == "bob")
            .values(home_latitude=None, home_longitude=None)
        )
    body = client.get("/v1/me/stores/nearest", headers=bearer(token_for(sqlite_db, "bob"))).json()
    assert body["measured_from"] == "home store"
    assert body["stores"][0]["store_id"] == "northgate"  # bob's home store
    assert body["stores"][0]["distance_km"] == 0


def test_nearest_needs_a_customer(client: TestClient):
    assert client.get("/v1/me/stores/nearest").status_code == 401


# --- recipes: filtered by diet and quick, ranked by fit -----------------------------------------


def recipes(client: TestClient, path: str = "/v1/recipes", headers=None, **params) -> list[dict]:
    response = client.get(path, params={"limit": 50, **params}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["recipes"]


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"diet": "vegan"}, lambda r: "vegan" in r["tags"]),
        ({"diet": "vegetarian"}, lambda r: {"vegan", "vegetarian"} & set(r["tags"])),
        ({"diet": "gluten-free"}, lambda r: "gluten-free" in r["tags"]),
        ({"quick": "true"}, lambda r: r["minutes"] <= 30 or "quick" in r["tags"]),
        ({"q": "vegan curry"}, lambda r: "vegan" in r["tags"] and "Curry" in r["name"]),
        ({"q": "something quick and vegetarian"}, lambda r: r["minutes"] <= 30),
    ],
)
def test_recipes_filtered_by_diet_and_quick(client: TestClient, params, check):
    found = recipes(client, **params)
    assert found, params
    assert all(check(r) for r in found), [r["name"] for r in found]


def test_vegetarian_includes_vegan(client: TestClient):
    vegetarian = {r["slug"] for r in recipes(client, diet="vegetarian")}
    assert {r["slug"] for r in recipes(client, diet="vegan")} <= vegetarian


def test_recipes_are_ranked_by_fit_not_by_name(client: TestClient):
    dinners = recipes(client, meal="dinner")
    names = [r["name"] for r in dinners]
    assert names != sorted(names), "not alphabetical"
    fits = [r["fit"] for r in dinners]
    assert fits == sorted(fits, reverse=True)
    assert dinners[0]["minutes"] <= dinners[-1]["minutes"]


def test_my_recipes_rank_what_i_buy_anyway_higher(client: TestClient, sqlite_db: Database):
    mine = recipes(
        client,
        "/v1/me/recipes",
        headers=bearer(token_for(sqlite_db, "alice")),
        meal="dinner",
    )
    assert any(r["bought_share"] > 0 for r in mine)
    public = {r["slug"]: r["fit"] for r in recipes(client, meal="dinner")}
    for recipe in mine:
        assert recipe["fit"] == pytest.approx(
            public[recipe["slug"]] + 40 * recipe["bought_share"], abs=0.5
        )


def test_a_named_recipe_still_comes_first(client: TestClient):
    assert recipes(client, q="lasagne")[0]["slug"] == "lasagne"
    assert recipes(client, q="spag bol")[0]["slug"] == "spaghetti-bolognese"


# --- days every store is closed -----------------------------------------------------------------


def test_christmas_day_is_closed_everywhere():
    assert closed_on(date(2027, 12, 25)) == "Christmas Day"
    assert closed_on(date(2027, 12, 24)) is None
    assert closed_dates(date(2027, 12, 1), 30) == [{"date": "2027-12-25", "name": "Christmas Day"}]


def test_stores_say_their_closed_days_ahead(client: TestClient, time_machine: TimeMachineFixture):
    # 00:30 on 26 October in Wrenford (British Summer Time), still the 25th in UTC: the sixty
    # days ahead of the store's own day reach Christmas Day, those of UTC's would not
    time_machine.move_to("2027-10-25T23:30:00+00:00", tick=True)
    store = client.get("/v1/stores/riverside").json()
    assert store["closed_dates"] == closed_dates(date(2027, 10, 26))
    assert {"date": "2027-12-25", "name": "Christmas Day"} in store["closed_dates"]


def test_no_pickup_slots_on_christmas_day():
    from commerce.models import Store
    from commerce.services.pickups import slot_times

    store = Store(
        id="x",
        name="X",
        address="",
        timezone="Europe/London",
        opening_hours={d: ["08:00", "20:00"] for d in ("friday", "saturday")},
        slot_minutes=30,
        slot_capacity=4,
    )
    assert slot_times(store, date(2027, 12, 25)) == []  # a Saturday
    assert slot_times(store, date(2027, 12, 24))  # a Friday
