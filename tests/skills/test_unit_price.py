"""Unit price: per litre, kilo or item, and which is the better value, against the twin.

Alone, in Rasa's environment and then the project validator:
`.venv/bin/python run_assistant.py test-skill unit_price`.
"""

from __future__ import annotations

import pytest

from skills.search import ActionSearchProduct
from skills.unit_price import ActionComparePrices
from tests.skills.conftest import act, entity, responses, run, slots_set, tracker


def test_which_is_cheaper_per_litre_of_two_named(shop):
    text = "which is cheaper per litre, oat milk or whole milk"
    ents = [entity(text, "product", "oat milk"), entity(text, "product", "whole milk")]
    messages, events = run(ActionComparePrices(), tracker(text, "compare_prices", ents))
    assert responses(messages) == ["utter_cheaper_per_unit"]
    # whole milk: £1.50 for 2 litres is £0.75 a litre; oat milk £1.80 a litre
    assert messages[0]["cheaper"] == "Whole Milk"
    assert messages[0]["unit_price"] == "£0.75 a litre"
    assert messages[0]["others"] == "Oat Milk at £1.80 a litre"
    assert events == []
    assert shop.basket_lines == {}


def test_the_price_per_kilo_of_one_product(shop):
    text = "what's the price per kilo of plain flour"
    messages, _ = act(ActionComparePrices(), text, "compare_prices", ("product", "plain flour"))
    assert responses(messages) == ["utter_unit_price"]
    assert messages[0]["unit_price"] == "£0.63 a kilo"  # £0.95 for 1.5 kilos


def test_the_best_value_pack_and_the_cheapest_to_buy_differ(shop):
    text = "which bread is the best value"
    messages, _ = act(ActionComparePrices(), text, "compare_prices", ("product", "bread"))
    assert responses(messages) == ["utter_unit_price"]
    assert messages[0]["product"] == "White Bread, 800 grams"
    assert messages[0]["unit_price"] == "£1.00 a kilo"


def test_per_100_grams_is_a_tenth_of_the_kilo_price(shop):
    text = "how much is white bread per 100 grams"
    messages, _ = act(ActionComparePrices(), text, "compare_prices", ("product", "white bread"))
    assert messages[0]["unit_price"] == "£0.10 per 100 grams"


def test_the_options_just_read_out_are_compared_and_stay_open(shop):
    text = "find milk"
    _, events = act(ActionSearchProduct(), text, "search_product", ("product", "milk"))
    slots = slots_set(events)
    assert len(slots["choices"]) == 3
    messages, events = act(
        ActionComparePrices(), "which one is cheaper per litre", "compare_prices", slots=slots
    )
    assert responses(messages) == ["utter_best_value_of_options"]
    best = next(c for c in slots["choices"] if c["sku"] == "DAI-1")
    assert messages[0]["option"] == ["one", "two", "three"][slots["choices"].index(best)]
    assert messages[0]["unit_price"] == "£0.75 a litre"
    assert "pending" not in slots_set(events), "the menu is still open for 'the first one'"


def test_nothing_to_compare_asks_what(shop):
    messages, _ = act(ActionComparePrices(), "which is the best value", "compare_prices")
    assert responses(messages) == ["utter_ask_compare_what"]


def test_a_litre_is_not_compared_with_a_kilo(shop):
    text = "which is cheaper per unit, oat milk or plain flour"
    ents = [entity(text, "product", "oat milk"), entity(text, "product", "plain flour")]
    messages, _ = run(ActionComparePrices(), tracker(text, "compare_prices", ents))
    assert responses(messages) == ["utter_units_differ"]


@pytest.mark.parametrize("pending", ["order", "pin"])
def test_a_side_question_at_a_prompt(shop, pending):
    text = "how much is oat milk per litre"
    _, events = act(
        ActionComparePrices(),
        text,
        "compare_prices",
        ("product", "oat milk"),
        slots={"pending": pending, "quote_id": "q-1"},
    )
    left = slots_set(events)
    if pending == "pin":
        assert left["pending"] is None, "the PIN prompt is left"
    else:
        assert "pending" not in left, "a yes still answers the read-back"
