"""Conversation basics: choices, yes/no with nothing pending, cancel, repeat."""

from __future__ import annotations

import pytest

from skills.basket import ActionAddToBasket, ActionViewBasket
from skills.checkout import ActionProvidePin
from skills.core import (
    ActionCancel,
    ActionChooseOption,
    ActionGoodbye,
    ActionGreet,
    ActionHelp,
    ActionRepeat,
)
from skills.phrases import item_phrases, pick_option
from tests.skills.conftest import act, responses, slots_set

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
    messages, events = act(ActionChooseOption(), "the second one", "choose_option", slots=slots)
    assert responses(messages)[0] == "utter_added_items"
    assert shop.basket_lines == {"DAI-1": 2}
    assert slots_set(events)["pending"] is None


def test_unclear_choice_repeats_the_menu(shop):
    choices = [{"kind": "product", "sku": "DAI-3", "label": MENU[2], "size": 1, "price": 1}]
    messages, _ = act(ActionChooseOption(), "hmm", "choose_option", slots={"choices": choices})
    assert responses(messages) == ["utter_which_one"]
    assert shop.basket_lines == {}


def test_cancel_clears_what_was_pending(shop):
    messages, events = act(
        ActionCancel(), "cancel", "cancel", slots={"pending": "order", "quote_id": "q"}
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
    messages, _ = act(ActionRepeat(), "say that again", "repeat", events=events)
    assert messages[0]["text"] == "Added 1 Whole Milk. Your basket has 1 items."


# --- always a way out: a new request leaves any prompt ------------------------------------------

PIN_PROMPT = {"pending": "pin", "quote_id": "q-1", "pin_required": True, "pin_tries": 1}


def test_a_new_request_at_the_pin_prompt_leaves_it(shop_with_pin):
    shop_with_pin.basket_lines = {"DAI-1": 1}
    messages, events = act(
        ActionViewBasket(), "what's in my basket", "view_basket", slots=PIN_PROMPT
    )
    assert responses(messages) == ["utter_basket_contents"]
    assert "expect" not in str(messages), "the PIN is no longer asked for"
    left = slots_set(events)
    assert left["pending"] is None
    assert left["quote_id"] is None
    assert left["pin_tries"] is None
    assert shop_with_pin.orders_list == []


def test_a_side_question_keeps_a_yes_no_question_open(shop):
    shop.basket_lines = {"DAI-1": 1}
    slots = {"pending": "order", "quote_id": "q-1"}
    _, events = act(ActionViewBasket(), "what's in my basket", "view_basket", slots=slots)
    assert "pending" not in slots_set(events), "a yes still answers the read-back"


@pytest.mark.parametrize(
    ("pending", "choices"),
    [
        ("order", None),
        ("slot", [{"kind": "slot", "slot_id": 2, "store_id": "riverside", "label": "x"}]),
        ("add_choice", [{"kind": "product", "sku": "DAI-3", "label": "Oat Milk"}]),
        ("pickup_when", None),
        ("empty_basket", None),
    ],
)
def test_a_new_request_at_any_prompt_leaves_it(shop, pending, choices):
    slots = {"pending": pending, "choices": choices, "quote_id": "q-1"}
    if pending == "order":
        shop.book(2)
    text = "add some bananas"
    _, events = act(ActionAddToBasket(), text, "add_to_basket", ("product", "bananas"), slots=slots)
    left = slots_set(events)
    if pending == "order":  # added at the read-back: read back again, a new quote
        assert left["pending"] == "order"
        assert left["quote_id"] != "q-1"
    else:
        assert left["pending"] is None
        assert left["choices"] is None
    assert shop.orders_list == []


@pytest.mark.parametrize("pending", ["pin", "order", "slot", "empty_basket", "pickup_when"])
def test_cancel_leaves_any_prompt_and_changes_nothing(shop, pending):
    shop.basket_lines = {"DAI-1": 1}
    slots = {"pending": pending, "quote_id": "q-1", "pin_tries": 2}
    messages, events = act(ActionCancel(), "never mind", "cancel", slots=slots)
    assert responses(messages) == ["utter_cancelled"]
    assert slots_set(events)["pending"] is None
    assert slots_set(events)["pin_tries"] is None
    assert shop.basket_lines == {"DAI-1": 1}
    assert shop.orders_list == []


def test_digits_among_words_at_the_pin_prompt_are_no_attempt(shop_with_pin):
    slots = {**PIN_PROMPT, "pin_tries": 2}
    messages, events = act(
        ActionProvidePin(),
        "/provide_pin",
        "provide_pin",
        slots=slots,
        metadata={"pin_unclear": True},
    )
    assert responses(messages) == ["utter_pin_digits_only"]
    assert messages[0]["custom"] == {"expect": "pin"}
    assert events == [], "not counted: a third wrong PIN would have refused the order"


def test_repeat_at_the_pin_prompt_asks_for_the_pin_again(shop_with_pin):
    messages, _ = act(ActionRepeat(), "say that again", "repeat", slots=PIN_PROMPT)
    assert responses(messages) == ["utter_ask_pin"]
    assert messages[0]["custom"] == {"expect": "pin"}


@pytest.mark.parametrize(
    ("action", "text", "intent", "answer"),
    [
        (ActionHelp(), "help", "help", "utter_help"),
        (ActionGreet(), "hello", "greet", "utter_greet"),
        (ActionGoodbye(), "goodbye", "goodbye", "utter_goodbye"),
    ],
)
def test_help_hello_and_goodbye_at_the_pin_prompt_leave_it(
    shop_with_pin, action, text, intent, answer
):
    """ "help" at the PIN prompt answered, and the dialogue still waited for the PIN."""
    messages, events = act(action, text, intent, slots=PIN_PROMPT)
    assert responses(messages) == [answer]
    assert "expect" not in str(messages), "the PIN is no longer asked for"
    left = slots_set(events)
    assert (left["pending"], left["quote_id"], left["pin_tries"]) == (None, None, None)
    assert shop_with_pin.orders_list == []


def test_help_at_the_read_back_keeps_the_yes_no_open(shop):
    slots = {"pending": "order", "quote_id": "q-1"}
    messages, events = act(ActionHelp(), "what can you do", "help", slots=slots)
    assert responses(messages) == ["utter_help"]
    assert "pending" not in slots_set(events)


def test_goodbye_leaves_a_yes_no_question(shop):
    slots = {"pending": "empty_basket"}
    _, events = act(ActionGoodbye(), "bye", "goodbye", slots=slots)
    assert slots_set(events)["pending"] is None


def test_hello_at_a_yes_no_question_keeps_it(shop):
    slots = {"pending": "empty_basket"}
    messages, events = act(ActionGreet(), "hello", "greet", slots=slots)
    assert responses(messages) == ["utter_greet"]
    assert "pending" not in slots_set(events)


def test_help_names_every_skill():
    """Help omitted store hours and order status; each skill's request is in it now."""
    from pathlib import Path

    import yaml

    domain = yaml.safe_load((Path(__file__).parents[2] / "domain" / "core.yml").read_text())
    said = domain["responses"]["utter_help"][0]["text"].lower()
    for words in (
        "find a product", "in stock", "vegan", "compare prices", "add, change or remove",
        "empty it", "reorder", "bought something before", "recipe", "ingredients", "pickups",
        "place your order", "cancel it", "store is open", "where it is", "nearest",
        "what i know about you", "forget you",
        "which has something in stock", "goes well with", "stop suggesting things",
    ):  # fmt: skip
        assert words in said, words


def test_each_skill_registers_the_follow_ups_of_its_own_questions():
    import skills.core  # noqa: F401  (imports every skill that asks a question)
    from skills.base import CHOSEN, FOLLOW_UPS, on_pending

    def owner(follow) -> str:
        return (follow.yes or follow.no).__module__

    assert {pending: owner(f) for pending, f in FOLLOW_UPS.items()} == {
        "order": "skills.checkout",
        "pin": "skills.checkout",
        "cancel_order": "skills.checkout",
        "forget_me": "skills.privacy",
        "empty_basket": "skills.basket",
        "add_chosen": "skills.base",  # a yes chooses the product offered
        "substitute": "skills.base",
        "slot": "skills.base",
        "reschedule": "skills.base",
        "reorder": "skills.reorder",
        "recipe": "skills.recipes",
        "deal_hint": "skills.base",  # a yes takes the packs offered
        "goes_with": "skills.goes_with",  # a yes adds what goes with what was added
        "return": "skills.returns",
        "return_quantity": "skills.returns",
        "return_reason": "skills.returns",
    }
    assert {kind: f.__module__ for kind, f in CHOSEN.items()} == {
        "product": "skills.basket",
        "recipe": "skills.recipes",
        "slot": "skills.pickup",
        "deal_more": "skills.deals",
        "return_line": "skills.returns",
    }
    from skills.base import ANSWER_READERS, on_answer

    assert {pending: f.__module__ for pending, f in ANSWER_READERS.items()} == {
        "return_quantity": "skills.returns",
        "return_reason": "skills.returns",
        "feedback_text": "skills.feedback",
    }
    with pytest.raises(ValueError, match="'return_reason' has its answer reader already"):
        on_answer("return_reason", lambda turn: None)
    with pytest.raises(ValueError, match="'order' has its follow-ups already"):
        on_pending("order", yes=lambda turn, choices: [])  # another module's: refused
    assert FOLLOW_UPS["order"].yes.__module__ == "skills.checkout"
