"""Returns: the actions against the in-memory twin (skills/twin.py, the ``shop`` fixture).

Alone, in Rasa's environment and then the project validator:
`.venv/bin/python run_assistant.py test-skill returns`.
"""

from __future__ import annotations

from typing import Any

from skills.core import ActionAffirm, ActionCancel, ActionChooseOption, ActionDeny
from skills.returns import ActionReturnItem
from tests.skills.conftest import entity, responses, run, slots_set, tracker


def asked(text: str, product: str | None, slots: dict[str, Any] | None = None) -> tuple:
    """(messages, slots after) of "return the X ..." said to the return skill."""
    found = [entity(text, "product", product)] if product else []
    messages, events = run(ActionReturnItem(), tracker(text, "return_item", found, slots=slots))
    return messages, {**(slots or {}), **slots_set(events)}


def then(action: Any, text: str, intent: str, slots: dict[str, Any]) -> tuple:
    messages, events = run(action, tracker(text, intent, slots=slots))
    return messages, {**slots, **slots_set(events)}


def test_the_line_how_many_and_why_are_asked_and_the_policy_answers(shop):
    shop.add_collected_order({"DAI-2": 2, "BAK-1": 1})
    messages, slots = asked("i want to return the milk from my last order", "milk")
    assert responses(messages) == ["utter_ask_return_quantity"]
    assert (messages[0]["bought"], slots["pending"]) == (2, "return_quantity")
    # "just one" came out as a choice: the return skill reads the number itself
    messages, slots = then(ActionChooseOption(), "just one", "choose_option", slots)
    assert responses(messages) == ["utter_ask_return_reason"]
    assert slots["return_request"]["quantity"] == 1
    # at "why?", "I changed my mind" is the reason, not a cancel; milk comes back only faulty
    messages, slots = then(ActionCancel(), "I changed my mind", "cancel", slots)
    assert responses(messages) == ["utter_return_perishable"]
    assert (slots["pending"], shop.returns_made) == (None, [])


def test_a_return_is_read_back_and_made_once_on_a_clear_yes(shop):
    shop.add_collected_order({"DAI-2": 2, "BAK-1": 1})
    messages, slots = asked("return the white bread from my last order it was stale", "white bread")
    assert responses(messages) == ["utter_return_readback"]
    said = messages[0]
    assert (said["count"], said["product"], said["reason"], said["refund"], said["to"]) == (
        1, "White Bread", "damaged", "£0.80", "your original payment"
    )  # fmt: skip
    assert slots["pending"] == "return"
    assert shop.returns_made == [], "nothing before the yes"
    for unclear in ("yes wait", "4321"):
        messages, _ = then(ActionAffirm(), unclear, "affirm", slots)
        assert responses(messages) == ["utter_yes_unclear"], unclear
    assert shop.returns_made == []
    messages, after = then(ActionAffirm(), "yes please", "affirm", slots)
    assert responses(messages) == ["utter_return_at_desk"]
    assert (messages[0]["code"], messages[0]["store"]) == ("C K 0 0 0 1", "Greenleaf Riverside")
    assert after["pending"] is None
    # the same yes again (a retried turn): the same return, not a second one
    messages, _ = then(ActionAffirm(), "yes please", "affirm", slots)
    assert responses(messages) == ["utter_return_at_desk"]
    assert [(r["sku"], r["quantity"], r["reason"]) for r in shop.returns_made] == [
        ("BAK-1", 1, "damaged")
    ]


def test_the_product_is_found_in_the_words_when_the_nlu_tagged_none(shop):
    shop.add_collected_order({"BAK-1": 1, "DAI-4": 1})
    messages, _ = asked("I want to return the white bread from my last order, it was stale", None)
    assert responses(messages) == ["utter_return_readback"]
    assert messages[0]["product"] == "White Bread"


def test_no_at_the_read_back_makes_no_return(shop):
    shop.add_collected_order({"BAK-1": 1})
    _, slots = asked("return the bread it was the wrong one", "bread")
    assert slots["pending"] == "return"
    messages, after = then(ActionDeny(), "no", "deny", slots)
    assert responses(messages) == ["utter_return_not_made"]
    assert (after["pending"], shop.returns_made) == (None, [])


def test_points_and_the_next_pickup_are_read_back_and_kept(shop):
    shop.add_collected_order({"BAK-1": 1})
    shop.book(2)
    messages, slots = asked("refund the bread to my points it was stale", "bread")
    assert messages[0]["to"] == "your loyalty points"
    messages, _ = then(ActionAffirm(), "yes", "affirm", slots)
    assert responses(messages) == ["utter_return_with_pickup"]
    assert messages[0]["when"] == "tomorrow at 5:30 pm"
    assert shop.returns_made[0]["refund_to"] == "points"


def test_several_lines_make_a_menu(shop):
    shop.add_collected_order({"DAI-1": 1, "DAI-2": 1})
    messages, slots = asked("can I return the milk it was off", "milk")
    assert responses(messages) == ["utter_return_which"]
    assert [c["sku"] for c in slots["choices"]] == ["DAI-1", "DAI-2"]
    messages, slots = then(ActionChooseOption(), "the second one", "choose_option", slots)
    assert responses(messages) == ["utter_return_readback"]
    assert messages[0]["product"] == "Semi-Skimmed Milk"
    assert messages[0]["reason"] == "damaged", "the reason said before the menu is kept"


def test_what_cannot_come_back_is_said_with_its_reason(shop):
    messages, _ = asked("return the sourdough", "sourdough")
    assert responses(messages) == ["utter_return_not_found"]
    shop.add_collected_order({"BAK-2": 1}, days_ago=40)
    messages, slots = asked("return the sourdough it was stale", "sourdough")
    assert responses(messages) == ["utter_return_window_closed"]
    assert (messages[0]["days"], slots["pending"]) == (30, None)
    messages, _ = asked("I want to return something", None)
    assert responses(messages) == ["utter_return_name_it"]
    assert shop.returns_made == []
