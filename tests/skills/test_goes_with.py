"""Goes well with, against the in-memory twin: on request, offered once after an add (a clear
yes adds it, anything else adds nothing), never again for the same product, never with hints
off."""

from __future__ import annotations

import pytest

from skills.basket import ActionAddToBasket
from skills.core import ActionAffirm, ActionDeny
from skills.goes_with import ActionGoesWith
from skills.search import ActionSearchProduct
from tests.skills.conftest import entity, responses, run, slots_set, tracker

# flour goes with eggs (strongly) and whole milk (weakly); sourdough only weakly with milk
PAIRS = {
    "PAN-1": [("DAI-4", 6.5, 0.62, 9, 4), ("DAI-1", 2.1, 0.41, 6, 3)],
    "BAK-2": [("DAI-1", 1.8, 0.22, 4, 2)],
}


@pytest.fixture
def pairs(shop):
    shop.together = PAIRS
    shop.deal_list = []  # after an add a deal goes first (one hint a turn): none here
    return shop


def add(text: str, product: str, slots: dict | None = None):
    return run(
        ActionAddToBasket(),
        tracker(text, "add_to_basket", [entity(text, "product", product)], slots=slots),
    )


def test_asked_what_goes_with_a_product(pairs):
    text = "what goes well with plain flour"
    messages, events = run(
        ActionGoesWith(), tracker(text, "goes_with", [entity(text, "product", "plain flour")])
    )
    assert responses(messages) == ["utter_goes_well_with", "utter_goes_with_offer"]
    assert messages[0]["product"] == "Plain Flour"
    assert messages[0]["items"] == "Free Range Large Eggs and Whole Milk"
    assert messages[1]["offer"] == "Free Range Large Eggs, pack of 12, £2.75"
    slots = slots_set(events)
    assert slots["pending"] == "goes_with"
    assert [c["sku"] for c in slots["choices"]] == ["DAI-4"]
    assert slots["hinted"] == ["PAN-1", "DAI-4"]
    assert pairs.basket_lines == {}, "asking adds nothing"


def test_asked_without_entities_reads_the_words_after_with(pairs):
    messages, _ = run(ActionGoesWith(), tracker("what goes with plain flour", "goes_with"))
    assert responses(messages)[0] == "utter_goes_well_with"


def test_nothing_known_goes_with_it(pairs):
    text = "what goes with bananas"
    messages, events = run(
        ActionGoesWith(), tracker(text, "goes_with", [entity(text, "product", "bananas")])
    )
    assert responses(messages) == ["utter_goes_with_nothing"]
    assert slots_set(events)["pending"] is None


def test_out_of_stock_suggestions_are_not_offered(pairs):
    pairs.store_stock["riverside"] = {"DAI-4": 0}
    text = "what goes with plain flour"
    messages, events = run(
        ActionGoesWith(), tracker(text, "goes_with", [entity(text, "product", "plain flour")])
    )
    assert messages[0]["items"] == "Whole Milk"
    assert [c["sku"] for c in slots_set(events)["choices"]] == ["DAI-1"]


def test_offered_once_after_an_add_and_a_yes_adds_it(pairs):
    messages, events = add("add plain flour", "plain flour")
    assert responses(messages) == [
        "utter_added_items",
        "utter_basket_total",
        "utter_goes_with_hint",
    ]
    assert messages[2]["product"] == "Plain Flour"
    assert messages[2]["offer"] == "Free Range Large Eggs, pack of 12, £2.75"
    slots = slots_set(events)
    assert slots["pending"] == "goes_with"
    assert pairs.basket_lines == {"PAN-1": 1}
    messages, events = run(ActionAffirm(), tracker("yes please", "affirm", slots=slots))
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]
    assert pairs.basket_lines == {"PAN-1": 1, "DAI-4": 1}
    assert slots_set(events)["pending"] is None


@pytest.mark.parametrize("reply", ["4321", "maybe", "wait", "yes?"])
def test_anything_but_a_clear_yes_adds_nothing(pairs, reply):
    _, events = add("add plain flour", "plain flour")
    run(ActionAffirm(), tracker(reply, "affirm", slots=slots_set(events), confidence=0.9))
    assert pairs.basket_lines == {"PAN-1": 1}


def test_a_no_adds_nothing_and_closes_it(pairs):
    _, events = add("add plain flour", "plain flour")
    messages, events = run(ActionDeny(), tracker("no thanks", "deny", slots=slots_set(events)))
    assert responses(messages) == ["utter_ok"]
    assert slots_set(events)["pending"] is None
    assert pairs.basket_lines == {"PAN-1": 1}


def test_a_new_request_leaves_it(pairs):
    _, events = add("add plain flour", "plain flour")
    slots = slots_set(events)
    text = "is there any bread"
    _, events = run(
        ActionSearchProduct(),
        tracker(text, "search_product", [entity(text, "product", "bread")], slots=slots),
    )
    assert slots_set(events)["pending"] != "goes_with"
    assert pairs.basket_lines == {"PAN-1": 1}


def test_never_offered_again_for_the_same_product(pairs):
    _, events = add("add plain flour", "plain flour")
    slots = {**slots_set(events), "pending": None, "choices": None}
    messages, events = add("add another plain flour", "plain flour", slots)
    assert "utter_goes_with_hint" not in responses(messages)
    assert "pending" not in slots_set(events) or slots_set(events)["pending"] is None


def test_weak_pairs_and_what_is_in_the_basket_are_not_offered(pairs):
    messages, _ = add("add sourdough", "sourdough")  # milk: in 22 % of its orders only
    assert "utter_goes_with_hint" not in responses(messages)
    pairs.basket_lines["DAI-4"] = 1
    messages, events = add("add plain flour", "plain flour")
    # the eggs are in the basket: the next strong one (whole milk: 41 %, lift 2.1)
    assert [c["sku"] for c in slots_set(events)["choices"]] == ["DAI-1"]
    assert "utter_goes_with_hint" in responses(messages)


def test_hints_off_offers_nothing(pairs):
    pairs.hints = False
    messages, events = add("add plain flour", "plain flour")
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]
    assert slots_set(events)["pending"] is None
