"""Reorder skill: last order / usual into the basket; a substitute offered for what is out."""

from __future__ import annotations

from skills.core import ActionAffirm, ActionDeny
from skills.reorder import ActionReorder
from tests.skills.conftest import entity, responses, run, slots_set, tracker


def test_last_order_all_in_stock(shop):
    messages, _events = run(ActionReorder(), tracker("order my last order again", "reorder"))
    assert responses(messages) == ["utter_reordered", "utter_basket_total"]
    assert shop.basket_lines == {"DAI-2": 2, "BAK-1": 1}
    assert "reorder" in shop.calls


def test_out_of_stock_item_gets_a_substitute_offer_then_yes_adds_it(shop):
    shop.stock["DAI-2"] = 0
    messages, events = run(ActionReorder(), tracker("my usual please", "reorder"))
    assert responses(messages) == ["utter_reordered", "utter_offer_substitute"]
    assert "Semi-Skimmed Milk" in messages[1]["product"]
    slots = slots_set(events)
    assert slots["pending"] == "substitute"
    substitute = slots["choices"][0]["sku"]
    assert shop.basket_lines == {"BAK-1": 1}

    messages, _ = run(ActionAffirm(), tracker("yes please", "affirm", slots=slots))
    assert responses(messages)[0] == "utter_added_items"
    assert shop.basket_lines == {"BAK-1": 1, substitute: 2}


def test_no_to_a_substitute_leaves_it_out(shop):
    shop.stock["DAI-2"] = 0
    _, events = run(ActionReorder(), tracker("my usual", "reorder"))
    messages, _ = run(ActionDeny(), tracker("no thanks", "deny", slots=slots_set(events)))
    assert responses(messages) == ["utter_left_out"]
    assert shop.basket_lines == {"BAK-1": 1}


def test_buy_one_thing_again(shop):
    text = "buy the sourdough again"
    messages, _ = run(
        ActionReorder(), tracker(text, "reorder", [entity(text, "product", "sourdough")])
    )
    assert responses(messages)[0] == "utter_added_items"
    assert shop.basket_lines == {"BAK-2": 1}
