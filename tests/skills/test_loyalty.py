"""Loyalty: the balance and tier by voice; points spent only through a quote read back
before the yes, once; given back when the order is cancelled."""

from __future__ import annotations

from skills.checkout import ActionCancelOrder, ActionCheckout
from skills.core import ActionAffirm
from skills.loyalty import ActionLoyaltyBalance, ActionRedeemPoints
from tests.skills.conftest import responses, run, slots_set, tracker


def test_the_balance_worth_and_tier(shop):
    messages, events = run(
        ActionLoyaltyBalance(), tracker("how many points do I have", "loyalty_balance")
    )
    assert responses(messages) == ["utter_loyalty_balance", "utter_loyalty_next_tier"]
    assert (messages[0]["points"], messages[0]["value"], messages[0]["tier"]) == (
        420,
        "£4.20",
        "silver",
    )
    assert (messages[1]["points"], messages[1]["tier"]) == (330, "gold")
    assert events == []


def test_a_balance_question_keeps_the_read_back_open(shop):
    slots = {"pending": "order", "quote_id": "q-1"}
    _, events = run(
        ActionLoyaltyBalance(),
        tracker("how many points have i got", "loyalty_balance", slots=slots),
    )
    assert "pending" not in slots_set(events)


def read_back_with_points(shop) -> dict:
    shop.basket_lines = {"DAI-1": 2, "BAK-2": 1}  # £3.00 + £2.20 - 44p = £4.76
    shop.book(2)
    _, events = run(ActionCheckout(), tracker("check out", "checkout"))
    slots = slots_set(events)
    messages, events = run(
        ActionRedeemPoints(), tracker("use my points", "redeem_points", slots=slots)
    )
    assert responses(messages) == [
        "utter_quote_savings",
        "utter_quote_points",
        "utter_quote_readback",
    ]
    assert (messages[1]["points"], messages[1]["value"]) == (420, "£4.20")
    assert messages[2]["total"] == "£0.56"
    assert shop.orders_list == [], "nothing is spent before the yes"
    assert shop.points == 420
    return {**slots, **slots_set(events)}


def test_points_are_read_back_before_the_yes_and_spent_once(shop):
    slots = read_back_with_points(shop)
    assert slots["use_points"] is True
    assert slots["quote_id"] != "q-1"
    run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    run(ActionAffirm(), tracker("yes", "affirm", slots=slots))  # a repeated yes: one order
    assert len(shop.orders_list) == 1
    assert shop.orders_list[0]["total"] == 0.56
    assert shop.points == 0  # 420 spent, 56p paid earns nothing


def test_a_cancelled_order_gives_the_points_back(shop):
    slots = read_back_with_points(shop)
    _, events = run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    _, events = run(ActionCancelOrder(), tracker("cancel my order", "cancel_order"))
    run(ActionAffirm(), tracker("yes", "affirm", slots=slots_set(events)))
    assert shop.orders_list[0]["status"] == "cancelled"
    assert shop.points == 420


def test_use_my_points_before_checkout_waits_for_the_read_back(shop):
    messages, events = run(ActionRedeemPoints(), tracker("use my points", "redeem_points"))
    assert responses(messages) == ["utter_points_at_checkout"]
    assert slots_set(events) == {"use_points": True}
    shop.basket_lines = {"DAI-1": 1}
    shop.book(2)
    messages, _ = run(
        ActionCheckout(), tracker("check out", "checkout", slots={"use_points": True})
    )
    assert responses(messages) == ["utter_quote_points", "utter_quote_readback"]
    assert messages[1]["total"] == "£0.00"


def test_no_points_no_redemption(shop):
    shop.points = 0
    messages, events = run(ActionRedeemPoints(), tracker("use my points", "redeem_points"))
    assert responses(messages) == ["utter_no_points"]
    assert events == []
