"""Which product a spoken item means when adding or removing: a resemblance is asked about,
never added; "a kilo of apples" is the kilo bag; words the NLU tagged apart are one product
when the catalog names them together (the rest of the basket: ``test_basket.py``)."""

from __future__ import annotations

import pytest

from skills.basket import (
    ActionAddToBasket,
    ActionRemoveFromBasket,
)
from skills.core import ActionAffirm, ActionDeny
from tests.skills.conftest import act, entity, responses, run, slots_set, tracker

# -- a resemblance is asked about, never added (issue 11: "add some butter" heard as "add some
# butcher" added Chicken Drumsticks, found by their brand, Brackenhill Butchers, alone)


def _add(text: str, *products: str):
    return run(
        ActionAddToBasket(),
        tracker(text, "add_to_basket", [entity(text, "product", p) for p in products]),
    )


def test_a_brand_match_alone_is_asked_about_not_added(shop):
    messages, events = _add("add some butcher", "butcher")
    assert responses(messages) == ["utter_did_you_mean"]
    assert messages[0]["product"] == "butcher"
    assert messages[0]["offer"] == "Chicken Drumsticks, 1 kilo, £3.40"
    assert shop.basket_lines == {}, "nothing is added on a resemblance"
    slots = slots_set(events)
    assert slots["pending"] == "add_chosen"
    assert [c["sku"] for c in slots["choices"]] == ["MEA-1"]


def test_yes_to_did_you_mean_adds_it_and_no_adds_nothing(shop):
    _, events = _add("add some butcher", "butcher")
    asked = slots_set(events)

    messages, after = act(ActionDeny(), "no", "deny", slots=asked)
    assert responses(messages) == ["utter_ok"]
    assert shop.basket_lines == {}
    assert slots_set(after)["pending"] is None

    messages, after = act(ActionAffirm(), "yes please", "affirm", slots=asked)
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]
    assert shop.basket_lines == {"MEA-1": 1}
    assert slots_set(after)["pending"] is None


def test_a_non_yes_to_did_you_mean_adds_nothing(shop):
    _, events = _add("add some butcher", "butcher")
    messages, _ = act(ActionAffirm(), "hmm", "affirm", slots=slots_set(events))
    assert responses(messages) == ["utter_yes_unclear"]
    assert shop.basket_lines == {}


def test_a_named_product_next_to_a_resemblance_is_added_and_the_other_asked(shop):
    messages, events = _add("add milk and some butcher", "milk", "butcher")
    assert responses(messages) == ["utter_added_items", "utter_did_you_mean"]
    assert shop.basket_lines == {"DAI-1": 1}
    assert slots_set(events)["choices"][0]["sku"] == "MEA-1"


@pytest.mark.parametrize(
    ("text", "product", "sku"),
    [("add a sourdough loaf", "sourdough loaf", "BAK-2"), ("add bananas", "bananas", "PRO-1")],
)
def test_a_product_named_is_added_without_a_question(shop, text, product, sku):
    messages, _ = _add(text, product)
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]
    assert shop.basket_lines == {sku: 1}


@pytest.mark.parametrize("match", ["fuzzy", "sound", "department"])
def test_a_guessed_word_is_asked_about_not_added(shop, monkeypatch, match):
    """What the service found only by a misspelt or sound-alike word ("keyboard": Wild Bird
    Seed, by the sound of "bird"), or by its department, is asked about too."""
    found = shop.resolve

    def guessed(q, store_id, limit=5):
        resolution = found("bananas", store_id, limit)
        for result in resolution["results"]:
            result["match"] = match
        return resolution

    monkeypatch.setattr(shop, "resolve", guessed)
    messages, events = _add("add a keyboard", "keyboard")
    assert responses(messages) == ["utter_did_you_mean"]
    assert messages[0]["product"] == "keyboard"
    assert shop.basket_lines == {}
    assert slots_set(events)["choices"][0]["sku"] == "PRO-1"


def test_the_quantity_is_not_part_of_what_was_not_found():
    from skills.search import product_words

    assert product_words("a kilo of butcher", "a kilo") == "butcher"
    assert product_words("two butcher", "two") == "butcher"
    assert product_words("some butcher", None) == "butcher"
    assert product_words("butcher", None) == "butcher"


# -- "remove a kilo of apples" (issue 11: it left the Braeburn Apples in the basket)


def _apples(shop):
    from skills.twin_catalog import _product

    shop.products["PRO-2"] = _product("PRO-2", "Braeburn Apples", "apple", 1.0, "each", 0.35)
    shop.products["PRO-3"] = _product("PRO-3", "Braeburn Apples", "apple", 1.0, "kg", 2.20)
    shop.products["PRO-4"] = _product("PRO-4", "Braeburn Apples", "apple", 500.0, "g", 1.20)


def _remove(text: str, quantity: str, unit: str, product: str):
    ents = [
        entity(text, "quantity", quantity),
        entity(text, "unit", unit),
        entity(text, "product", product),
    ]
    return run(ActionRemoveFromBasket(), tracker(text, "remove_from_basket", ents))


def test_remove_a_kilo_of_apples_removes_the_kilo_bag_not_the_loose_apples(shop):
    """Two lines called Braeburn Apples: the name cannot tell them apart, the amount can."""
    _apples(shop)
    shop.basket_lines = {"PRO-3": 1, "PRO-2": 4, "DAI-1": 1}
    messages, _ = _remove("remove a kilo of apples", "a", "kilo", "apples")
    assert responses(messages)[0] == "utter_removed_items"
    assert messages[0]["items"] == "Braeburn Apples, 1 kilo"
    assert shop.basket_lines == {"PRO-2": 4, "DAI-1": 1}


def test_remove_a_kilo_of_two_kilo_bags_takes_one_bag(shop):
    _apples(shop)
    shop.basket_lines = {"PRO-2": 4, "PRO-3": 2}
    _remove("remove a kilo of apples", "a", "kilo", "apples")
    assert shop.basket_lines == {"PRO-2": 4, "PRO-3": 1}


def test_remove_a_kilo_of_half_kilo_bags_takes_two(shop):
    _apples(shop)
    shop.basket_lines = {"PRO-4": 3, "PRO-2": 4}
    messages, _ = _remove("remove a kilo of apples", "a", "kilo", "apples")
    assert shop.basket_lines == {"PRO-4": 1, "PRO-2": 4}
    assert messages[0]["items"] == "2 Braeburn Apples, 500 grams"


def test_remove_a_kilo_of_apples_with_only_loose_ones_removes_them(shop):
    """No line weighs a kilo: the apples named go, as "remove the apples" would have it."""
    _apples(shop)
    shop.basket_lines = {"PRO-2": 1, "DAI-1": 1}
    _remove("remove a kilo of apples", "a", "kilo", "apples")
    assert shop.basket_lines == {"DAI-1": 1}


# -- products the NLU tagged apart ("braeburn" and "apples"): one product when the catalog
#    names the words together, a list otherwise


def test_a_product_tagged_in_two_parts_is_one_product(shop):
    """Tagged apart, "braeburn" and "apples" were two items: both added, one line each."""
    _apples(shop)
    text = "add a kilo of braeburn apples"
    messages, events = act(
        ActionAddToBasket(),
        text,
        "add_to_basket",
        ("quantity", "a"),
        ("unit", "kilo"),
        ("product", "braeburn"),
        ("product", "apples"),
    )
    # the twin's three Braeburn packs: which one, asked once; nothing added apart
    assert responses(messages) == ["utter_product_choices"]
    assert messages[0]["options"].count("Braeburn Apples") == 3
    assert shop.basket_lines == {}
    assert slots_set(events)["pending"] == "add_choice"


def test_a_list_said_without_a_pause_stays_a_list(shop):
    text = "add milk eggs and bread"
    act(
        ActionAddToBasket(),
        text,
        "add_to_basket",
        ("product", "milk"),
        ("product", "eggs"),
        ("product", "bread"),
    )
    assert "DAI-4" in shop.basket_lines, "the eggs are a line of their own"
    assert any(sku in shop.basket_lines for sku in ("DAI-1", "DAI-2", "DAI-3")), "and the milk"


def test_one_product_runs_joins_only_what_is_said_together():
    from skills.phrases import one_product_runs

    text = "add braeburn apples and bread"
    ents = [
        entity(text, "product", "braeburn"),
        entity(text, "product", "apples"),
        entity(text, "product", "bread"),
    ]
    joined = one_product_runs(text, ents, lambda words: words == "braeburn apples")
    assert [(e["value"], e["start"], e["end"]) for e in joined] == [
        ("braeburn apples", 4, 19),
        ("bread", 24, 29),
    ]
    assert one_product_runs(text, ents, lambda words: False) == ents
