"""Privacy: the actions against the in-memory twin (skills/twin.py, the ``shop`` fixture).

Alone, in Rasa's environment and then the project validator:
`.venv/bin/python run_assistant.py test-skill privacy`.
"""

from __future__ import annotations

from typing import Any

from skills.core import ActionAffirm, ActionCancel, ActionDeny
from skills.privacy import ActionForgetMe, ActionMyData
from skills.twin import TWIN_SUBJECT
from tests.skills.conftest import act, pin_said, responses, slots_set
from tests.skills.test_checkout import ready_to_check_out


def test_what_it_knows_is_said_in_outline_without_numbers(shop):
    shop.basket_lines = {"DAI-1": 1, "BAK-1": 2}
    shop.book(2)
    messages, events = act(ActionMyData(), "what do you know about me", "my_data")
    assert responses(messages) == ["utter_my_data"]
    said = messages[0]
    assert said["name"] == "Alice Martin"
    assert said["store"] == "Greenleaf Riverside"
    assert (said["orders"], said["pickups"], said["items"]) == ("0 orders", "1 pickup", "2 items")
    assert said["pin"] == "no PIN"
    assert events == []


def asked_to_erase(shop: Any) -> dict[str, Any]:
    messages, events = act(ActionForgetMe(), "forget me", "forget_me")
    assert responses(messages) == ["utter_confirm_erase"]
    assert not shop.erased, "nothing is erased before the yes"
    return slots_set(events)


def test_a_clear_yes_erases_and_tells_the_front_end_whose_conversations_go(shop):
    shop.basket_lines = {"DAI-1": 1}
    slots = asked_to_erase(shop)
    assert slots["pending"] == "forget_me"
    messages, events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_erased"]
    assert messages[0]["custom"] == {"erased": TWIN_SUBJECT}
    assert shop.erased
    assert shop.basket_lines == {}
    assert slots_set(events)["pending"] is None


def test_anything_but_a_clear_yes_erases_nothing(shop):
    slots = asked_to_erase(shop)
    for said, intent in (("yes please wait", "affirm"), ("yes no", "affirm"), ("4321", "affirm")):
        messages, _ = act(ActionAffirm(), said, intent, slots=slots)
        assert responses(messages) != ["utter_erased"], said
    assert not shop.erased
    messages, events = act(ActionDeny(), "no", "deny", slots=slots)
    assert responses(messages) == ["utter_erase_kept"]
    assert slots_set(events)["pending"] is None
    act(ActionCancel(), "cancel", "cancel", slots=slots)
    assert not shop.erased
    assert "erase_me" not in shop.calls


def test_a_pin_customer_erases_only_with_the_pin(shop_with_pin):
    shop = shop_with_pin
    slots = asked_to_erase(shop)
    messages, events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_ask_pin_to_erase"]
    assert messages[0]["custom"] == {"expect": "pin"}
    slots = {**slots, **slots_set(events)}
    assert (slots["pending"], slots["pin_for"]) == ("pin", "erase")
    assert not shop.erased

    for _ in range(2):  # wrong PINs: asked again, nothing erased
        messages, events = pin_said(slots, None)
        assert responses(messages) == ["utter_pin_wrong"]
        slots = {**slots, **slots_set(events)}
    assert not shop.erased
    messages, events = pin_said(slots, "pt_good")
    assert responses(messages) == ["utter_erased"]
    assert shop.erased
    assert shop.orders_list == [], "no order was placed on the way"


def test_too_many_wrong_pins_erase_nothing(shop_with_pin):
    shop = shop_with_pin
    slots = asked_to_erase(shop)
    _, events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    slots = {**slots, **slots_set(events)}
    for _ in range(3):
        messages, events = pin_said(slots, None)
        slots = {**slots, **slots_set(events)}
    assert responses(messages) == ["utter_erase_pin_too_many"]
    assert slots["pending"] is None
    assert not shop.erased


def test_no_at_the_erase_pin_prompt_keeps_the_account_not_an_order(shop_with_pin):
    shop = shop_with_pin
    slots = asked_to_erase(shop)
    _, events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    slots = {**slots, **slots_set(events)}
    messages, _ = act(ActionDeny(), "no", "deny", slots=slots)
    assert responses(messages) == ["utter_erase_kept"]
    assert not shop.erased


def test_an_order_waiting_for_pickup_comes_first(shop):
    slots = ready_to_check_out(shop)
    act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert len(shop.orders_list) == 1
    messages, events = act(ActionForgetMe(), "delete my account", "forget_me")
    assert responses(messages) == ["utter_erase_open_orders"]
    assert events == []
    assert not shop.erased


def test_a_lost_answer_is_asked_again_before_a_word(shop):
    slots = asked_to_erase(shop)
    shop.lost_answers["erase_me"] = [True]  # done, but the answer never came back
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_erased"], "the repeat found the account gone"
    assert messages[0]["custom"] == {"erased": TWIN_SUBJECT}, "their conversations go too"
    assert shop.erased
