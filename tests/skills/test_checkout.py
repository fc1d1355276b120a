"""Checkout: the quote read back; an order only on an explicit yes (and PIN ticket), once."""

from __future__ import annotations

from skills.checkout import ActionCheckout, ActionOrderStatus, ActionProvidePin
from skills.core import ActionAffirm, ActionDeny
from tests.skills.conftest import responses, run, slots_set, tracker


def ready_to_check_out(shop) -> dict:
    shop.basket_lines = {"DAI-1": 1, "BAK-1": 2}
    shop.book(2)
    messages, events = run(ActionCheckout(), tracker("check out", "checkout"))
    assert responses(messages) == ["utter_quote_readback"]
    assert messages[0]["total"] == "£3.10"
    assert messages[0]["count"] == 3
    return slots_set(events)


def test_yes_places_exactly_one_order(shop):
    slots = ready_to_check_out(shop)
    assert slots["pending"] == "order"
    assert shop.orders_list == [], "nothing is ordered before the yes"
    messages, events = run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1
    # the same yes delivered twice (a retry) reuses the idempotency key: still one order
    run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    assert len(shop.orders_list) == 1
    assert slots_set(events)["quote_id"] is None


def test_a_lukewarm_yes_asks_again_and_buys_nothing(shop):
    slots = ready_to_check_out(shop)
    # what the classifier makes of "uh" or a cough: affirm, at 0.66
    messages, events = run(ActionAffirm(), tracker("uh", "affirm", slots=slots, confidence=0.66))
    assert responses(messages) == ["utter_yes_unclear"]
    assert events == [], "the question is still open"
    assert shop.orders_list == []
    assert "place_order" not in shop.calls
    messages, _ = run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1


def test_no_places_nothing(shop):
    slots = ready_to_check_out(shop)
    messages, _ = run(ActionDeny(), tracker("no", "deny", slots=slots))
    assert responses(messages) == ["utter_order_not_placed"]
    assert shop.orders_list == []
    assert shop.basket_lines == {"DAI-1": 1, "BAK-1": 2}


def test_yes_without_a_question_buys_nothing(shop):
    shop.basket_lines = {"DAI-1": 1}
    messages, _ = run(ActionAffirm(), tracker("yes", "affirm"))
    assert responses(messages) == ["utter_nothing_to_confirm"]
    assert "place_order" not in shop.calls


def test_pin_account_needs_the_ticket(shop_with_pin):
    shop = shop_with_pin
    slots = ready_to_check_out(shop)
    messages, events = run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    assert responses(messages) == ["utter_ask_pin"]
    assert messages[0]["custom"] == {"expect": "pin"}
    slots = {**slots, **slots_set(events)}
    messages, events = run(
        ActionProvidePin(),
        tracker("/provide_pin", "provide_pin", slots=slots, metadata={"pin_ticket": None}),
    )
    assert responses(messages) == ["utter_pin_wrong"]
    assert shop.orders_list == []
    slots = {**slots, **slots_set(events)}
    messages, _ = run(
        ActionProvidePin(),
        tracker("/provide_pin", "provide_pin", slots=slots, metadata={"pin_ticket": "pt_good"}),
    )
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1


def test_checkout_without_pickup_asks_for_one(shop):
    shop.basket_lines = {"DAI-1": 1}
    messages, _ = run(ActionCheckout(), tracker("check out", "checkout"))
    assert responses(messages) == ["utter_need_pickup_first"]


def test_order_status(shop):
    messages, _ = run(ActionOrderStatus(), tracker("where is my order", "order_status"))
    assert responses(messages) == ["utter_no_orders"]
    slots = ready_to_check_out(shop)
    run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    messages, _ = run(ActionOrderStatus(), tracker("where is my order", "order_status"))
    assert responses(messages) == ["utter_order_status"]
    assert messages[0]["stage"] == "being prepared"


def test_a_kiosk_order_needs_a_touch_not_a_spoken_yes(shop):
    slots = ready_to_check_out(shop)
    kiosk = {"confirm_by": "touch"}
    messages, events = run(ActionAffirm(), tracker("yes", "affirm", slots=slots, metadata=kiosk))
    assert responses(messages) == ["utter_press_confirm"]
    assert shop.orders_list == [], "a spoken yes at a kiosk buys nothing"
    assert "pending" not in slots_set(events), "the order still waits for the touch"
    touched = {**kiosk, "touched": True}
    messages, _ = run(ActionAffirm(), tracker("/affirm", "affirm", slots=slots, metadata=touched))
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1


def test_a_second_order_uses_the_new_booking_not_the_used_one(shop):
    slots = ready_to_check_out(shop)
    run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    assert len(shop.orders_list) == 1
    shop.basket_lines = {"DAI-1": 1}
    messages, _ = run(ActionCheckout(), tracker("check out", "checkout"))
    assert responses(messages) == ["utter_need_pickup_first"], "the used booking is not reused"
    shop.book(3)
    messages, events = run(ActionCheckout(), tracker("check out", "checkout"))
    assert responses(messages) == ["utter_quote_readback"]
    assert shop.quotes[slots_set(events)["quote_id"]]["slot_id"] == 3
