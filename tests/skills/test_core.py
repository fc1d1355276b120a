"""Conversation basics: choices, yes/no with nothing pending, cancel, repeat."""

from __future__ import annotations

from skills.core import ActionCancel, ActionChooseOption, ActionRepeat
from skills.phrases import item_phrases, pick_option
from tests.skills.conftest import responses, run, slots_set, tracker

MENU = [
    "Whole Milk, 2 litres, £1.50",
    "Semi-Skimmed Milk, 1 pint, £0.65",
    "Oat Milk, 1 litre, £1.80",
]


def test_pick_option_understands_the_ways_people_choose():
    sizes, prices = [2000.0, 568.0, 1000.0], [1.5, 0.65, 1.8]
    assert pick_option("the second one", MENU, sizes, prices) == 1
    assert pick_option("number three", MENU, sizes, prices) == 2
    assert pick_option("the big one", MENU, sizes, prices) == 0
    assert pick_option("the small one", MENU, sizes, prices) == 1
    assert pick_option("the cheapest", MENU, sizes, prices) == 1
    assert pick_option("the 2 litre one", MENU, sizes, prices) == 0
    assert pick_option("oat please", MENU, sizes, prices) == 2
    assert pick_option("the last one", MENU, sizes, prices) == 2
    assert pick_option("what", MENU, sizes, prices) is None


def test_item_phrases_without_entities_strip_the_carrier_words():
    assert item_phrases("can you add two litres of milk to my basket please", []) == [
        "two litres of milk"
    ]
    assert item_phrases("add it", []) == []


def test_choose_from_a_product_menu_adds_it(shop):
    choices = [
        {
            "kind": "product",
            "sku": "DAI-3",
            "label": MENU[2],
            "packs": 1,
            "size": 1000,
            "price": 1.8,
        },
        {
            "kind": "product",
            "sku": "DAI-1",
            "label": MENU[0],
            "packs": 2,
            "size": 2000,
            "price": 1.5,
        },
    ]
    slots = {"choices": choices, "pending": "add_choice"}
    messages, events = run(
        ActionChooseOption(), tracker("the second one", "choose_option", slots=slots)
    )
    assert responses(messages)[0] == "utter_added_items"
    assert shop.basket_lines == {"DAI-1": 2}
    assert slots_set(events)["pending"] is None


def test_unclear_choice_repeats_the_menu(shop):
    choices = [{"kind": "product", "sku": "DAI-3", "label": MENU[2], "size": 1, "price": 1}]
    messages, _ = run(
        ActionChooseOption(), tracker("hmm", "choose_option", slots={"choices": choices})
    )
    assert responses(messages) == ["utter_which_one"]
    assert shop.basket_lines == {}


def test_cancel_clears_what_was_pending(shop):
    messages, events = run(
        ActionCancel(), tracker("cancel", "cancel", slots={"pending": "order", "quote_id": "q"})
    )
    assert responses(messages) == ["utter_cancelled"]
    assert slots_set(events)["pending"] is None
    assert slots_set(events)["quote_id"] is None


def test_repeat_says_the_last_turn_again(shop):
    events = [
        {"event": "user", "text": "hello"},
        {"event": "bot", "text": "Hello! What can I get for you?"},
        {"event": "user", "text": "add milk"},
        {"event": "bot", "text": "Added 1 Whole Milk."},
        {"event": "bot", "text": "Your basket has 1 items."},
        {"event": "user", "text": "say that again"},
    ]
    messages, _ = run(ActionRepeat(), tracker("say that again", "repeat", events=events))
    assert messages[0]["text"] == "Added 1 Whole Milk. Your basket has 1 items."
