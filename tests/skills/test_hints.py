"""Hints by voice: "stop suggesting things" turns the customer's one ``hints`` setting off, and
then neither a deal nor what goes with it is offered after an add; "turn suggestions back on"
brings them back. Against the in-memory twin (the ``shop`` fixture).

Alone, in Rasa's environment and then the project validator:
`.venv/bin/python run_assistant.py test-skill hints`.
"""

from __future__ import annotations

from skills.basket import ActionAddToBasket
from skills.hints import ActionHintsOff, ActionHintsOn
from tests.skills.conftest import entity, responses, run, slots_set, tracker


def add_flour(shop):
    text = "add flour"
    return run(
        ActionAddToBasket(), tracker(text, "add_to_basket", [entity(text, "product", "flour")])
    )


def test_stop_suggesting_things_turns_hints_off_and_no_deal_is_said(shop):
    messages, events = run(ActionHintsOff(), tracker("stop suggesting things", "hints_off"))
    assert responses(messages) == ["utter_hints_off"]
    assert events == []
    assert shop.hints is False
    assert shop.settings() == {"hints": False}
    messages, _ = add_flour(shop)  # flour is 3 for 2: said when hints are on
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]


def test_turn_suggestions_back_on_brings_the_deal_hint_back(shop):
    shop.hints = False
    messages, _ = run(ActionHintsOn(), tracker("turn suggestions back on", "hints_on"))
    assert responses(messages) == ["utter_hints_on"]
    assert shop.hints is True
    messages, events = add_flour(shop)
    assert responses(messages) == ["utter_added_items", "utter_basket_total", "utter_deal_hint"]
    assert slots_set(events)["pending"] == "deal_hint"


def test_no_more_offers_at_an_open_offer_drops_it(shop):
    _, events = add_flour(shop)
    open_offer = slots_set(events)
    assert open_offer["pending"] == "deal_hint"
    messages, events = run(
        ActionHintsOff(), tracker("no more offers", "hints_off", slots=open_offer)
    )
    assert responses(messages) == ["utter_hints_off"]
    assert slots_set(events).get("pending") is None
    assert shop.hints is False
