"""Search skill: one clear answer with price, size and stock; a numbered choice otherwise."""

from __future__ import annotations

import pytest

from skills.search import ActionSearchProduct
from tests.skills.conftest import act, entity, responses, run, slots_set, tracker


def test_clear_answer_says_price_size_and_stock(shop):
    text = "do you have sourdough"
    messages, events = act(ActionSearchProduct(), text, "search_product", ("product", "sourdough"))
    assert responses(messages) == ["utter_product_in_stock"]
    assert messages[0]["product"] == "Sourdough Loaf, 400 grams"
    assert messages[0]["price"] == "£2.20"
    assert messages[0]["store"] == "Greenleaf Riverside"
    assert slots_set(events)["pending"] == "add_chosen"


def test_out_of_stock_is_said(shop):
    shop.stock["BAK-2"] = 0
    text = "do you have sourdough"
    messages, _ = act(ActionSearchProduct(), text, "search_product", ("product", "sourdough"))
    assert responses(messages) == ["utter_product_out_of_stock"]


def test_several_fits_get_a_menu(shop):
    text = "search for milk"
    messages, events = act(ActionSearchProduct(), text, "search_product", ("product", "milk"))
    assert responses(messages) == ["utter_product_choices"]
    assert len(slots_set(events)["choices"]) == 3


def test_offers_that_sound_the_same_are_told_apart_by_brand(shop):
    shop.products["DAI-2"]["name"] = "Whole Milk"
    shop.products["DAI-2"]["size"] = shop.products["DAI-1"]["size"]
    shop.products["DAI-2"]["unit"] = shop.products["DAI-1"]["unit"]
    shop.products["DAI-2"]["brand"] = "Dale Farm"
    text = "search for whole milk"
    messages, events = act(ActionSearchProduct(), text, "search_product", ("product", "whole milk"))
    labels = [c["label"] for c in slots_set(events)["choices"]]
    assert any(label.startswith("Dale Farm Whole Milk") for label in labels), labels
    assert "Dale Farm Whole Milk" in messages[0]["options"]


def searched(text: str, product: str, store: str | None = None) -> list[dict]:
    entities = [entity(text, "product", product)]
    if store:
        entities.append(entity(text, "store", store))
    messages, _ = run(ActionSearchProduct(), tracker(text, "search_product", entities))
    return messages


@pytest.mark.parametrize(
    ("text", "store"),
    [
        ("is sourdough in stock at harbour", "harbour"),
        ("is sourdough in stock at the harbour store", None),  # named, but not tagged
    ],
)
def test_stock_is_answered_for_the_store_named_not_the_home_store(shop, text, store):
    """ "is romanesco in stock at riverside" was answered with the home store's stock."""
    shop.store_stock["harbour"] = {"BAK-2": 0}
    messages = searched(text, "sourdough", store)
    assert responses(messages) == ["utter_product_out_of_stock"]
    assert messages[0]["store"] == "Greenleaf Harbour"


def test_a_store_that_cannot_be_matched_is_questioned_not_replaced(shop):
    text = "is sourdough in stock at the moon shop"
    messages, events = act(
        ActionSearchProduct(),
        text,
        "search_product",
        ("product", "sourdough"),
        ("store", "moon shop"),
    )
    assert responses(messages) == ["utter_store_unknown_named"]
    assert "resolve" not in shop.calls, "nothing was answered about another store"
    assert events == []


def test_a_brand_match_alone_is_not_answered_as_the_product(shop):
    """ "Is there any butcher": no product is called that; Chicken Drumsticks are only made by
    Brackenhill Butchers. Never an answer about something else: it asks."""
    text = "do you have butcher"
    messages, events = act(ActionSearchProduct(), text, "search_product", ("product", "butcher"))
    assert responses(messages) == ["utter_did_you_mean"]
    assert messages[0]["product"] == "butcher"
    assert "Chicken Drumsticks" in messages[0]["offer"]
    slots = slots_set(events)
    assert (slots["pending"], slots["choices"][0]["sku"]) == ("add_chosen", "MEA-1")
    assert shop.basket_lines == {}
