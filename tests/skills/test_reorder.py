"""Reorder skill: last order / usual into the basket; a substitute offered for what is out."""

from __future__ import annotations

import pytest

from skills.core import ActionAffirm, ActionDeny
from skills.reorder import ActionPurchaseHistory, ActionReorder
from tests.skills.conftest import act, entity, responses, run, slots_set, tracker


def test_last_order_all_in_stock(shop):
    messages, _events = act(ActionReorder(), "order my last order again", "reorder")
    assert responses(messages) == ["utter_reordered", "utter_basket_total"]
    assert shop.basket_lines == {"DAI-2": 2, "BAK-1": 1}
    assert "reorder" in shop.calls


def test_out_of_stock_item_gets_a_substitute_offer_then_yes_adds_it(shop):
    shop.stock["DAI-2"] = 0
    messages, events = act(ActionReorder(), "my usual please", "reorder")
    assert responses(messages) == ["utter_reordered", "utter_offer_substitute"]
    assert "Semi-Skimmed Milk" in messages[1]["product"]
    slots = slots_set(events)
    assert slots["pending"] == "substitute"
    substitute = slots["choices"][0]["sku"]
    assert shop.basket_lines == {"BAK-1": 1}

    messages, _ = act(ActionAffirm(), "yes please", "affirm", slots=slots)
    assert responses(messages)[0] == "utter_added_items"
    assert shop.basket_lines == {"BAK-1": 1, substitute: 2}


def test_no_to_a_substitute_leaves_it_out(shop):
    shop.stock["DAI-2"] = 0
    _, events = act(ActionReorder(), "my usual", "reorder")
    messages, _ = act(ActionDeny(), "no thanks", "deny", slots=slots_set(events))
    assert responses(messages) == ["utter_left_out"]
    assert shop.basket_lines == {"BAK-1": 1}


def test_buy_one_thing_again(shop):
    text = "buy the sourdough again"
    messages, _ = act(ActionReorder(), text, "reorder", ("product", "sourdough"))
    assert responses(messages)[0] == "utter_added_items"
    assert shop.basket_lines == {"BAK-2": 1}


def test_a_second_reorder_asks_before_doubling_the_basket(shop):
    """ "reorder my last shop" twice silently doubled the basket (11 -> 22 items)."""
    shop.past_orders = [
        {"order_id": 7, "status": "collected", "lines": [{"sku": "DAI-4", "quantity": 1}]}
    ]
    act(ActionReorder(), "reorder my last shop", "reorder")
    assert shop.basket_lines == {"DAI-4": 1}
    messages, events = act(ActionReorder(), "reorder my last shop", "reorder")
    assert responses(messages) == ["utter_reorder_already_in_basket"]
    assert messages[0]["source"] == "your last order"
    assert shop.basket_lines == {"DAI-4": 1}, "nothing added before the yes"
    slots = slots_set(events)
    assert slots["pending"] == "reorder"

    messages, _ = act(ActionDeny(), "no", "deny", slots=slots)
    assert shop.basket_lines == {"DAI-4": 1}
    messages, _ = act(ActionAffirm(), "yes please", "affirm", slots=slots)
    assert responses(messages) == ["utter_reordered", "utter_basket_total"]
    assert shop.basket_lines == {"DAI-4": 2}, "the customer said yes to doubling it"


def test_a_reorder_into_a_basket_without_those_items_just_adds(shop):
    shop.basket_lines = {"PRO-1": 3}
    messages, _ = act(ActionReorder(), "my usual please", "reorder")
    assert responses(messages) == ["utter_reordered", "utter_basket_total"]
    assert shop.basket_lines == {"PRO-1": 3, "DAI-2": 2, "BAK-1": 1}


@pytest.mark.parametrize(
    "text", ["the stuff I normally buy", "what I usually get", "my regular shop please"]
)
def test_the_stuff_i_normally_buy_is_the_usual_not_the_last_order(shop, text):
    shop.past_orders = [
        {"order_id": 7, "status": "collected", "lines": [{"sku": "DAI-4", "quantity": 1}]}
    ]
    entities = [entity(text, "product", "stuff")] if "stuff" in text else []
    messages, _ = run(ActionReorder(), tracker(text, "reorder", entities))
    assert messages[0]["source"] == "your usual"
    assert "DAI-4" not in shop.basket_lines


@pytest.mark.parametrize("intent", ["purchase_history", "reorder"])
def test_did_i_buy_it_before_answers_from_the_history_and_changes_nothing(shop, intent):
    """It came out as reorder at 0.64 and added chocolate chips."""
    shop.bought = ["DAI-3", "BAK-1"]
    text = "did I buy oat milk before"
    state = tracker(text, intent, [entity(text, "product", "oat milk")])
    messages, events = run(
        ActionPurchaseHistory() if intent == "purchase_history" else ActionReorder(), state
    )
    assert responses(messages) == ["utter_bought_before"]
    assert messages[0]["product"].startswith("Oat Milk")
    assert (messages[0]["times"], messages[0]["last"]) == ("3 times", "1 November 2026")
    assert (shop.basket_lines, events) == ({}, [])
    assert "add_item" not in shop.calls
    assert "reorder" not in shop.calls


def test_a_near_miss_in_the_history_is_not_taken_for_the_product(shop):
    """The history's fuzzy match found chocolate chips for oat milk, and they were added."""
    shop.bought = ["BAK-1"]
    text = "did I buy oat milk before"
    messages, _ = act(ActionReorder(), text, "reorder", ("product", "oat milk"))
    assert responses(messages) == ["utter_not_bought_before"]
    text = "buy oat milk again"
    messages, _ = act(ActionReorder(), text, "reorder", ("product", "oat milk"))
    assert responses(messages) == ["utter_never_bought"]
    assert shop.basket_lines == {}
