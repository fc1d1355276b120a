"""One commerce contract (``skills.contract``): the same scenarios against the in-memory twin
and against the real commerce service (a real SQLite database, over HTTP with
``CommerceClient``), so the twin cannot drift from the service.

Every answer is checked against its ``TypedDict`` (every key, no extra one, each value's
type), and each scenario checks what the answers mean: the basket's lines, the booking in
the pickups, the one order per idempotency key, the refusal codes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
import requests

from skills import contract
from skills.client import CommerceClient, CommerceRefused
from skills.contract import Commerce
from skills.twin import InMemoryCommerce

ROOT = Path(__file__).resolve().parents[2]
APP_PYTHON = ROOT / ".venv" / "bin" / "python"  # the service runs in the app's environment


# -- the shape check -------------------------------------------------------------------------
def conforms(value: Any, kind: Any, where: str = "answer") -> list[str]:
    """What in ``value`` does not match the type ``kind`` (a TypedDict, list, union, scalar)."""
    origin = get_origin(kind)
    if kind is Any:
        return []
    if origin in (Union, types.UnionType):
        options = [conforms(value, option, where) for option in get_args(kind)]
        return [] if any(not o for o in options) else min(options, key=len)
    if origin is Literal:
        return [] if value in get_args(kind) else [f"{where}: {value!r} is not one of {kind}"]
    if kind is type(None):
        return [] if value is None else [f"{where}: {value!r} is not None"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} is not a list"]
        return [
            p for i, v in enumerate(value) for p in conforms(v, get_args(kind)[0], f"{where}[{i}]")
        ]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} is not a dict"]
        return [p for k, v in value.items() for p in conforms(v, get_args(kind)[1], f"{where}.{k}")]
    if isinstance(kind, type) and hasattr(kind, "__required_keys__"):  # a TypedDict
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} is not a {kind.__name__}"]
        hints = get_type_hints(kind)
        problems = [f"{where}: no key {k!r}" for k in kind.__required_keys__ - value.keys()]
        problems += [f"{where}: extra key {k!r}" for k in value.keys() - hints.keys()]
        for key in value.keys() & hints.keys():
            problems += conforms(value[key], hints[key], f"{where}.{key}")
        return problems
    if kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not a number"]
    if kind is int and isinstance(value, bool):
        return [f"{where}: {value!r} is not an int"]
    return [] if isinstance(value, kind) else [f"{where}: {value!r} is not {kind.__name__}"]


def answer(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a ``Commerce`` method and check its answer against the declared return type."""
    declared = get_type_hints(getattr(Commerce, method.__name__), vars(contract))["return"]
    value = method(*args, **kwargs)
    assert conforms(value, declared, method.__name__) == []
    return value


def refused(call: Callable[[], Any], status: int, code: str) -> None:
    with pytest.raises(CommerceRefused) as err:
        call()
    assert (err.value.status, err.value.code) == (status, code)


def test_the_shape_check_finds_missing_extra_and_mistyped_keys() -> None:
    slot = {"slot_id": 1, "store_id": "x", "start": "s", "end": "e", "capacity": 2}
    assert conforms(slot, contract.Slot) == ["answer: no key 'available'"]
    assert conforms({**slot, "available": 1, "price": 2}, contract.Slot) == [
        "answer: extra key 'price'"
    ]
    assert conforms({**slot, "available": "1"}, contract.Slot) == [
        "answer.available: '1' is not int"
    ]
    assert conforms([{**slot, "available": 1}], list[contract.Slot]) == []
    assert conforms("name", contract.Match) == []
    assert conforms("guess", contract.Match) == [
        "answer: 'guess' is not one of " + str(contract.Match)
    ]


# -- the two implementations -----------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """The real commerce service on a fresh SQLite file: (base URL, alice's token, database)."""
    assert APP_PYTHON.exists(), "the app environment is missing: run `make setup`"
    folder = tmp_path_factory.mktemp("contract")
    database = f"sqlite:///{folder / 'commerce.db'}"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    log = (folder / "service.log").open("wb")
    process = subprocess.Popen(
        [str(APP_PYTHON), "run_assistant.py", "catalog", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--database-url", database],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _answers(f"{base}/v1/health"):
            assert process.poll() is None, (folder / "service.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the commerce service did not start"
            time.sleep(0.3)
        token = subprocess.run(
            [str(APP_PYTHON), "run_assistant.py", "catalog", "token", "alice",
             "--database-url", database],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        yield base, token, database
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(params=["twin", "service"])
def shop(request: pytest.FixtureRequest) -> Commerce:
    if request.param == "twin":
        return InMemoryCommerce()
    base, token, _ = request.getfixturevalue("service")
    http = CommerceClient(base, token)
    http.clear_basket()
    for booking in http.pickups():
        http.cancel_pickup(booking["booking_id"])
    return http


# -- the scenarios ---------------------------------------------------------------------------
STORE = "riverside"  # a store both know


def test_catalog_answers(shop: Commerce) -> None:
    stores = answer(shop.stores)
    assert STORE in [s["store_id"] for s in stores]
    assert answer(shop.store, STORE)["store_id"] == STORE
    assert [s["store_id"] for s in answer(shop.stores, q="river side")] == [STORE]
    refused(lambda: shop.store("nowhere"), 404, "store-not-found")
    found = answer(shop.search, "milk", STORE, limit=3)
    assert found
    assert all("milk" in (p["name"] + " " + p["category"]).lower() for p in found)
    assert {p["match"] for p in found} == {"name"}  # "Whole Milk": a word of the name
    # "butcher" names no product, only a brand (Brackenhill Butchers): the answer says so
    by_brand = answer(shop.search, "butcher", STORE, limit=3)
    assert by_brand
    assert all("Butchers" in p["brand"] and p["match"] == "brand" for p in by_brand)
    assert {r["match"] for r in answer(shop.resolve, "a kilo of butcher", STORE)["results"]} == {
        "brand"
    }
    resolved = answer(shop.resolve, "two litres of milk", STORE)
    assert resolved["results"]
    assert all(r["packs"] >= 1 for r in resolved["results"])
    # a weight or volume is an amount, not packs (how a removal finds the line it names)
    assert resolved["quantity"] == {"text": "two litres", "packs": None, "amount": 2000.0,
                                    "unit": "ml"}  # fmt: skip
    assert answer(shop.resolve, "a kilo of flour", STORE)["quantity"] == {
        "text": "a kilo", "packs": None, "amount": 1000.0, "unit": "g"
    }  # fmt: skip
    assert [r["slug"] for r in answer(shop.recipes, q="pancakes")][:1] == ["pancakes"]
    assert answer(shop.me)["handle"] == "alice"


def test_basket_lines_change_as_asked(shop: Commerce) -> None:
    sku = answer(shop.search, "milk", STORE, limit=1)[0]["sku"]
    lines = lambda basket: [(i["sku"], i["quantity"]) for i in basket["items"]]  # noqa: E731
    assert lines(answer(shop.add_item, sku, 2)) == [(sku, 2)]
    assert lines(answer(shop.change_item, sku, 3)) == [(sku, 3)]
    assert answer(shop.basket, STORE)["item_count"] == 3
    assert lines(answer(shop.remove_item, sku)) == []
    refused(lambda: shop.remove_item(sku), 404, "not-in-basket")
    refused(lambda: shop.add_item(sku, 100), 422, "invalid-request")
    answer(shop.add_item, sku, 60)
    refused(lambda: shop.add_item(sku, 60), 422, "quantity-out-of-range")  # 120 in one line
    refused(lambda: shop.add_item("NO-SUCH-SKU", 1), 404, "product-not-found")
    answer(shop.add_item, sku, 1)
    assert answer(shop.clear_basket)["items"] == []


def test_a_pickup_is_booked_listed_and_cancelled(shop: Commerce) -> None:
    found = answer(shop.find_slot, STORE, "tomorrow at 5 pm")
    slot = found["slot"] or found["alternatives"][0]
    booking = answer(shop.book, slot["slot_id"])
    assert (booking["status"], booking["slot"]["slot_id"]) == ("active", slot["slot_id"])
    assert booking["booking_id"] in [b["booking_id"] for b in answer(shop.pickups)]
    cancelled = answer(shop.cancel_pickup, booking["booking_id"])
    assert cancelled["status"] == "cancelled"
    assert booking["booking_id"] not in [b["booking_id"] for b in answer(shop.pickups)]


def test_one_order_per_key_and_it_can_be_cancelled(shop: Commerce) -> None:
    found = answer(shop.find_slot, STORE, "tomorrow at 5 pm")
    slot = found["slot"] or found["alternatives"][0]
    refused(lambda: shop.quote(STORE, slot["slot_id"]), 409, "basket-empty")
    sku = answer(shop.search, "bread", STORE, limit=1)[0]["sku"]
    answer(shop.add_item, sku, 1)
    quote = answer(shop.quote, STORE, slot["slot_id"])
    assert [(line["sku"], line["quantity"]) for line in quote["lines"]] == [(sku, 1)]
    assert quote["pin_required"] is False
    key = uuid.uuid4().hex
    order = answer(shop.place_order, quote["quote_id"], key)
    assert (order["status"], order["stage"]) == ("placed", "being-prepared")
    assert answer(shop.place_order, quote["quote_id"], key)["order_id"] == order["order_id"]
    assert [o["order_id"] for o in answer(shop.orders)].count(order["order_id"]) == 1
    assert answer(shop.basket)["items"] == []
    assert answer(shop.cancel_order, order["order_id"])["status"] == "cancelled"
    refused(lambda: shop.cancel_order(order["order_id"]), 409, "order-not-cancellable")


def test_buy_again_and_recipes_answer_in_shape(shop: Commerce) -> None:
    answer(shop.usual)
    answer(shop.purchases, q="milk")
    reorder = answer(shop.reorder, "usual", STORE)
    assert reorder["store_id"] == STORE
    recipe = answer(shop.recipe_to_basket, "pancakes", STORE, 2, [])
    assert recipe["recipe"]["slug"] == "pancakes"
    assert recipe["added"]
    answer(shop.clear_basket)


def test_stores_by_distance_answer_in_shape(shop: Commerce) -> None:
    here = answer(shop.store, STORE)
    assert (here["latitude"], here["longitude"]) != (None, None)
    near = answer(shop.stores, near=f"{here['latitude']},{here['longitude']}")
    assert near[0]["store_id"] == STORE
    assert near[0]["distance_km"] == pytest.approx(0, abs=0.05)
    distances = [s["distance_km"] for s in near]
    assert distances == sorted(distances)
    nearest = answer(shop.nearest_stores)
    assert nearest["measured_from"] in ("home", "home store")
    distances = [s["distance_km"] for s in nearest["stores"]]
    assert distances == sorted(distances)


def test_recipes_by_diet_and_one_recipe_answer_in_shape(shop: Commerce) -> None:
    vegan = answer(shop.recipes, diets=["vegan"], limit=10)
    assert vegan
    assert all("vegan" in r["tags"] for r in vegan)
    quick = answer(shop.recipes, quick=True, limit=10)
    assert quick
    assert all(r["minutes"] <= 30 or "quick" in r["tags"] for r in quick)
    pancakes = answer(shop.recipe, "pancakes")
    assert pancakes["slug"] == "pancakes"
    assert {"flour", "milk"} <= {i["category"] for i in pancakes["ingredients"]}
    refused(lambda: shop.recipe("no-such-recipe"), 404, "recipe-not-found")


def test_products_carry_their_unit_price(shop: Commerce) -> None:
    per_base = {"L": ("litre", 1.0), "ml": ("litre", 0.001), "kg": ("kg", 1.0), "g": ("kg", 0.001)}
    for product in answer(shop.search, "milk", STORE, limit=3):
        per, factor = per_base.get(product["unit"], ("item", 1.0))
        assert product["per_unit"] == per
        expected = product["price"] / (product["size"] * factor)
        assert product["price_per_unit"] == pytest.approx(expected, abs=0.006)


def test_which_store_has_it_and_what_goes_with_it(shop: Commerce) -> None:
    sku = answer(shop.search, "milk", STORE, limit=1)[0]["sku"]
    having = answer(shop.stores_with, sku)
    assert having["product"]["sku"] == sku
    assert having["stores"], "the milk is on some shelf"
    assert all(s["stock"]["sku"] == sku and s["stock"]["quantity"] > 0 for s in having["stores"])
    here = answer(shop.store, STORE)
    near = answer(shop.stores_with, sku, near=f"{here['latitude']},{here['longitude']}")
    distances = [s["distance_km"] for s in near["stores"]]
    assert distances == sorted(distances)
    from_home = answer(shop.nearest_stores_with, sku)
    assert from_home["measured_from"] in ("home", "home store")
    refused(lambda: shop.stores_with("NO-SUCH-SKU"), 404, "product-not-found")
    together = answer(shop.bought_together, sku, STORE)
    assert together["product"]["sku"] == sku
    assert all(s["sku"] != sku and s["lift"] > 1 for s in together["suggestions"])
    refused(lambda: shop.bought_together("NO-SUCH-SKU"), 404, "product-not-found")
    assert answer(shop.settings) == {"hints": True}
    assert answer(shop.change_settings, False) == {"hints": False}
    assert answer(shop.settings) == {"hints": False}
    assert answer(shop.change_settings, True) == {"hints": True}


@pytest.fixture(params=["twin", "service"])
def leaving(request: pytest.FixtureRequest) -> Commerce:
    """A customer without a PIN of the scenario's own: the erasure ends them."""
    if request.param == "twin":
        return InMemoryCommerce()
    base, _, database = request.getfixturevalue("service")
    token = subprocess.run(
        [str(APP_PYTHON), "run_assistant.py", "catalog", "token", "carol",
         "--database-url", database],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    return CommerceClient(base, token)


def test_erasure_waits_for_an_open_order_then_ends_the_account(leaving: Commerce) -> None:
    shop = leaving
    subject = answer(shop.me)["subject"]
    found = answer(shop.find_slot, STORE, "tomorrow at 5 pm")
    slot = found["slot"] or found["alternatives"][0]
    answer(shop.add_item, answer(shop.search, "bread", STORE, limit=1)[0]["sku"], 1)
    quote = answer(shop.quote, STORE, slot["slot_id"])
    order = answer(shop.place_order, quote["quote_id"], uuid.uuid4().hex)
    refused(lambda: shop.erase_me(), 409, "erase-open-orders")
    answer(shop.cancel_order, order["order_id"])
    erased = answer(shop.erase_me)
    assert erased["erased"] is True
    assert erased["subject"] == subject
    refused(lambda: shop.me(), 401, "auth-invalid")


def test_deals_and_points_answer_alike(shop: Commerce) -> None:
    offers = answer(shop.deals, STORE)
    assert offers
    assert all(d["store_id"] == STORE for d in offers)
    refused(lambda: shop.deals("nowhere"), 404, "store-not-found")
    assert answer(shop.deals, STORE, q="zzzz") == []
    multibuy = next(d for d in offers if d["kind"] == "multibuy")
    sku = multibuy["product"]["sku"]
    assert [d["deal_id"] for d in answer(shop.deals, STORE, sku=sku)] == [multibuy["deal_id"]]
    mine = answer(shop.loyalty)
    assert mine["tier"] in ("green", "silver", "gold")
    assert mine["value"] == pytest.approx(mine["points"] / 100)
    found = answer(shop.find_slot, STORE, "tomorrow at 5 pm")
    slot = found["slot"] or found["alternatives"][0]
    answer(shop.add_item, sku, int(multibuy["buy"] or 0))
    price = multibuy["product"]["price"]
    free = int(multibuy["buy"] or 0) - int(multibuy["pay"] or 0)
    quote = answer(shop.quote, STORE, slot["slot_id"])
    assert [(s["sku"], s["deal"]) for s in quote["savings"]] == [(sku, multibuy["title"])]
    assert quote["savings_total"] == pytest.approx(price * free)
    assert quote["total"] == pytest.approx(quote["subtotal"] - quote["savings_total"])
    with_points = answer(shop.quote, STORE, slot["slot_id"], use_points=True)
    spent = min(mine["points"], round(quote["total"] * 100))
    assert with_points["points_used"] == spent
    assert with_points["total"] == pytest.approx(quote["total"] - spent / 100)
    answer(shop.clear_basket)


def test_a_return_is_checked_made_once_and_listed(shop: Commerce) -> None:
    if isinstance(shop, InMemoryCommerce):
        shop.add_collected_order({"DAI-2": 2, "BAK-1": 1})
    order = next(o for o in answer(shop.orders, limit=20) if o["status"] == "collected")
    line = order["lines"][0]
    args = (order["order_id"], line["sku"], 1, "damaged")
    checked = answer(shop.check_return, *args)
    assert checked["refund"] == pytest.approx(line["unit_price"])
    assert checked["returnable"] >= 1
    key = uuid.uuid4().hex
    made = answer(shop.make_return, *args, "payment", key)
    assert (made["status"], made["refund"], made["quantity"]) == ("authorised",
                                                                  checked["refund"], 1)  # fmt: skip
    assert made["code"]
    assert answer(shop.make_return, *args, "payment", key)["return_id"] == made["return_id"]
    assert [r["return_id"] for r in answer(shop.returns)].count(made["return_id"]) == 1
    refused(lambda: shop.make_return(*args, "points", key), 409, "idempotency-key-reused")
    too_many = (order["order_id"], line["sku"], line["quantity"], "damaged")
    refused(lambda: shop.check_return(*too_many), 409,
            "already-returned" if line["quantity"] == 1 else "return-more-than-bought")  # fmt: skip
    refused(lambda: shop.check_return(2_000_000, line["sku"], 1, "damaged"), 404,
            "order-not-found")  # fmt: skip


def test_what_the_customer_tells_the_shop_is_kept(shop: Commerce) -> None:
    if isinstance(shop, InMemoryCommerce):
        shop.add_collected_order({"PRO-1": 6})
    order = next(o for o in answer(shop.orders, limit=20) if o["status"] == "collected")
    line = order["lines"][0]
    staff = answer(shop.tell_the_shop, "the staff at riverside were great", STORE)
    assert (staff["store_id"], staff["category"], staff["sentiment"]) == (STORE, "staff",
                                                                         "positive")  # fmt: skip
    about = answer(shop.tell_the_shop, "they were bad", None, line["sku"])
    assert (about["sku"], about["product_name"], about["order_id"]) == (
        line["sku"], line["name"], order["order_id"]
    )  # fmt: skip
    assert (about["category"], about["sentiment"]) == ("product-quality", "negative")
    refused(lambda: shop.tell_the_shop("it was off", None, "NO-SUCH-SKU"), 404,
            "product-not-found")  # fmt: skip
