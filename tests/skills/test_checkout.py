"""Checkout: the quote read back; an order only on an explicit yes (and PIN ticket), once."""

from __future__ import annotations

import pytest

from skills.basket import ActionAddToBasket, ActionRemoveFromBasket
from skills.checkout import ActionCancelOrder, ActionCheckout, ActionOrderStatus
from skills.core import ActionAffirm, ActionChooseOption, ActionDeny, ActionOutOfScope
from skills.pickup import ActionReschedulePickup
from tests.skills.conftest import act, entity, pin_said, responses, run, slots_set, tracker


def ready_to_check_out(shop) -> dict:
    shop.basket_lines = {"DAI-1": 1, "BAK-1": 2}
    shop.book(2)
    messages, events = act(ActionCheckout(), "check out", "checkout")
    assert responses(messages) == ["utter_quote_readback"]
    assert messages[0]["custom"] == {"show": "confirm"}, "a kiosk shows Confirm / Cancel"
    assert messages[0]["total"] == "£3.10"
    assert messages[0]["count"] == 3
    return slots_set(events)


def test_yes_places_exactly_one_order(shop):
    slots = ready_to_check_out(shop)
    assert slots["pending"] == "order"
    assert shop.orders_list == [], "nothing is ordered before the yes"
    messages, events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1
    # the same yes delivered twice (a retry) reuses the idempotency key: still one order
    act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert len(shop.orders_list) == 1
    assert slots_set(events)["quote_id"] is None


def test_a_lukewarm_yes_asks_again_and_buys_nothing(shop):
    slots = ready_to_check_out(shop)
    # what the classifier makes of "uh" or a cough: affirm, at 0.66
    messages, events = act(ActionAffirm(), "uh", "affirm", slots=slots, confidence=0.66)
    assert responses(messages) == ["utter_yes_unclear"]
    assert events == [], "the question is still open"
    assert shop.orders_list == []
    assert "place_order" not in shop.calls
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1


def test_no_places_nothing(shop):
    slots = ready_to_check_out(shop)
    messages, _ = act(ActionDeny(), "no", "deny", slots=slots)
    assert responses(messages) == ["utter_order_not_placed"]
    assert shop.orders_list == []
    assert shop.basket_lines == {"DAI-1": 1, "BAK-1": 2}


def test_yes_without_a_question_buys_nothing(shop):
    shop.basket_lines = {"DAI-1": 1}
    messages, _ = act(ActionAffirm(), "yes", "affirm")
    assert responses(messages) == ["utter_nothing_to_confirm"]
    assert "place_order" not in shop.calls


def test_pin_account_needs_the_ticket(shop_with_pin):
    shop = shop_with_pin
    slots = ready_to_check_out(shop)
    messages, events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_ask_pin"]
    assert messages[0]["custom"] == {"expect": "pin"}
    slots = {**slots, **slots_set(events)}
    messages, events = pin_said(slots, None)
    assert responses(messages) == ["utter_pin_wrong"]
    assert shop.orders_list == []
    slots = {**slots, **slots_set(events)}
    messages, _ = pin_said(slots, "pt_good")
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1


def test_checkout_without_pickup_asks_for_one(shop):
    shop.basket_lines = {"DAI-1": 1}
    messages, _ = act(ActionCheckout(), "check out", "checkout")
    assert responses(messages) == ["utter_need_pickup_first"]
    assert messages[0]["custom"] == {"show": "slots"}, "a kiosk shows slots to tap"


def test_order_status(shop):
    messages, _ = act(ActionOrderStatus(), "where is my order", "order_status")
    assert responses(messages) == ["utter_no_orders"]
    slots = ready_to_check_out(shop)
    act(ActionAffirm(), "yes", "affirm", slots=slots)
    messages, _ = act(ActionOrderStatus(), "where is my order", "order_status")
    assert responses(messages) == ["utter_order_status"]
    assert messages[0]["stage"] == "being prepared"


def test_a_kiosk_order_needs_a_touch_not_a_spoken_yes(shop):
    slots = ready_to_check_out(shop)
    kiosk = {"confirm_by": "touch"}
    messages, events = act(ActionAffirm(), "yes", "affirm", slots=slots, metadata=kiosk)
    assert responses(messages) == ["utter_press_confirm"]
    assert messages[0]["custom"] == {"show": "confirm"}
    assert shop.orders_list == [], "a spoken yes at a kiosk buys nothing"
    assert "pending" not in slots_set(events), "the order still waits for the touch"
    touched = {**kiosk, "touched": True}
    messages, _ = act(ActionAffirm(), "/affirm", "affirm", slots=slots, metadata=touched)
    assert responses(messages) == ["utter_order_placed"]
    assert messages[0]["custom"] == {}, "the placed order asks nothing of the screen"
    assert len(shop.orders_list) == 1


def test_a_second_order_uses_the_new_booking_not_the_used_one(shop):
    slots = ready_to_check_out(shop)
    act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert len(shop.orders_list) == 1
    shop.basket_lines = {"DAI-1": 1}
    messages, _ = act(ActionCheckout(), "check out", "checkout")
    assert responses(messages) == ["utter_need_pickup_first"], "the used booking is not reused"
    shop.book(3)
    messages, events = act(ActionCheckout(), "check out", "checkout")
    assert responses(messages) == ["utter_quote_readback"]
    assert shop.quotes[slots_set(events)["quote_id"]]["slot_id"] == 3


# --- the confirmation policy at the read-back: a yes is a yes only when it is one -------------


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        # what the classifier made of them in the field: all affirm, most above the old 0.8 bar
        ("4321", "affirm", 0.85),
        ("1111", "affirm", 0.85),
        ("!!!???", "affirm", 0.56),
        ("wait", "affirm", 0.49),
        ("yes?", "affirm", 0.9),
        ("ok wait", "affirm", 0.9),
    ],
)
def test_a_reply_that_is_not_a_yes_places_nothing_and_asks_again(shop, text, intent, confidence):
    slots = ready_to_check_out(shop)
    messages, events = act(ActionAffirm(), text, intent, slots=slots, confidence=confidence)
    assert responses(messages) == ["utter_yes_unclear"]
    assert events == [], "the question is still open"
    assert "place_order" not in shop.calls
    assert shop.basket_lines == {"DAI-1": 1, "BAK-1": 2}
    messages, _ = act(ActionAffirm(), "yes please", "affirm", slots=slots)
    assert responses(messages) == ["utter_order_placed"]


@pytest.mark.parametrize("text", ["4321", "!!!???", "what's the weather"])
def test_out_of_scope_at_the_read_back_asks_again_and_the_question_stays_open(shop, text):
    """The sentence-embedding NLU files numbers and noise under out_of_scope: at a read-back
    that is an unclear answer, not "I can't help with that"; a yes after it still orders."""
    slots = ready_to_check_out(shop)
    messages, events = act(ActionOutOfScope(), text, "out_of_scope", slots=slots)
    assert responses(messages) == ["utter_yes_unclear"]
    assert events == [], "the question is still open"
    assert shop.orders_list == []
    messages, _ = act(ActionAffirm(), "yes please", "affirm", slots=slots)
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1


@pytest.mark.parametrize("text", ["12", "wait"])
def test_an_unsure_guess_at_the_read_back_asks_again_and_changes_nothing(shop, text):
    """ "12" read as a request at 0.54: at an open yes/no an unsure guess is not acted on."""
    slots = ready_to_check_out(shop)
    messages, events = act(ActionAddToBasket(), text, "add_to_basket", slots=slots, confidence=0.54)
    assert responses(messages) == ["utter_yes_unclear"]
    assert events == [], "the question is still open"
    assert shop.basket_lines == {"DAI-1": 1, "BAK-1": 2}
    assert shop.orders_list == []


def test_an_unsure_correction_at_the_read_back_is_still_a_correction(shop):
    slots = ready_to_check_out(shop)
    messages, _ = act(
        ActionAddToBasket(), "make it one", "add_to_basket", slots=slots, confidence=0.57
    )
    # a correction, not an unclear answer: with two lines in the basket it asks which one
    assert responses(messages) == ["utter_ask_change"]
    assert shop.orders_list == []


def test_out_of_scope_with_nothing_awaited_says_what_the_assistant_does(shop):
    messages, events = act(ActionOutOfScope(), "what's the weather", "out_of_scope")
    assert responses(messages) == ["utter_out_of_scope"]
    assert events == []


def test_a_hesitation_read_as_deny_places_nothing(shop):
    slots = ready_to_check_out(shop)
    messages, _ = act(ActionDeny(), "I'm not sure", "deny", slots=slots)
    assert responses(messages) == ["utter_order_not_placed"]
    assert shop.orders_list == []


def test_make_that_1_at_the_read_back_changes_the_basket_and_reads_back_again(shop):
    shop.basket_lines = {"DAI-4": 3}
    shop.book(2)
    _, events = act(ActionCheckout(), "check out", "checkout")
    slots = slots_set(events)
    first_quote = slots["quote_id"]
    # "make that 1" came out as affirm at 0.90 and placed an order; now it is a correction
    messages, events = act(ActionAffirm(), "make that 1", "affirm", slots=slots)
    assert responses(messages) == ["utter_quantity_changed", "utter_quote_readback"]
    assert "place_order" not in shop.calls
    assert shop.basket_lines == {"DAI-4": 1}
    assert messages[1]["count"] == 1
    slots = {**slots, **slots_set(events)}
    assert slots["pending"] == "order"
    assert slots["quote_id"] != first_quote
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_order_placed"]
    assert [(line["sku"], line["quantity"]) for line in shop.orders_list[0]["lines"]] == [
        ("DAI-4", 1)
    ]


def test_change_the_eggs_to_2_read_as_reschedule_changes_the_eggs(shop):
    shop.basket_lines = {"DAI-4": 1, "BAK-1": 1}
    shop.book(2)
    _, events = act(ActionCheckout(), "check out", "checkout")
    slots = slots_set(events)
    text = "change the eggs to 2"
    state = tracker(
        text,
        "reschedule_pickup",
        [entity(text, "product", "eggs"), entity(text, "quantity", "2")],
        slots=slots,
    )
    messages, events = run(ActionReschedulePickup(), state)
    assert responses(messages) == ["utter_quantity_changed", "utter_quote_readback"]
    assert shop.basket_lines == {"DAI-4": 2, "BAK-1": 1}
    assert [b["slot"]["slot_id"] for b in shop.bookings] == [2], "the pickup did not move"
    assert "place_order" not in shop.calls
    assert slots_set(events)["pending"] == "order"


def test_no_make_it_four_changes_the_quantity(shop):
    shop.basket_lines = {"BAK-1": 2}
    shop.book(2)
    _, events = act(ActionCheckout(), "check out", "checkout")
    messages, _ = act(ActionDeny(), "no, make it four", "deny", slots=slots_set(events))
    assert responses(messages) == ["utter_quantity_changed", "utter_quote_readback"]
    assert shop.basket_lines == {"BAK-1": 4}
    assert shop.orders_list == []


def test_an_unresolvable_correction_asks_and_drops_the_quote(shop):
    slots = ready_to_check_out(shop)  # two lines: which one is "that"?
    messages, events = act(ActionChooseOption(), "make that 1", "choose_option", slots=slots)
    assert responses(messages) == ["utter_ask_change"]
    assert shop.basket_lines == {"DAI-1": 1, "BAK-1": 2}
    slots = {**slots, **slots_set(events)}
    assert slots["quote_id"] is None
    assert slots["pending"] is None
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_nothing_to_confirm"]
    assert "place_order" not in shop.calls


def test_adding_at_the_read_back_reads_the_new_order_back(shop):
    slots = ready_to_check_out(shop)
    text = "add some bananas"
    messages, events = act(
        ActionAddToBasket(), text, "add_to_basket", ("product", "bananas"), slots=slots
    )
    assert responses(messages) == ["utter_added_items", "utter_quote_readback"]
    assert messages[1]["count"] == 4
    assert slots_set(events)["quote_id"] != slots["quote_id"]
    assert shop.orders_list == []


def test_removing_at_the_read_back_reads_the_new_order_back(shop):
    slots = ready_to_check_out(shop)
    text = "remove the bread"
    messages, events = act(
        ActionRemoveFromBasket(), text, "remove_from_basket", ("product", "bread"), slots=slots
    )
    assert responses(messages) == ["utter_removed_items", "utter_quote_readback"]
    assert slots_set(events)["quote_id"] != slots["quote_id"]
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots={**slots, **slots_set(events)})
    assert [(line["sku"], line["quantity"]) for line in shop.orders_list[0]["lines"]] == [
        ("DAI-1", 1)
    ]


def test_place_my_order_at_the_read_back_is_the_yes(shop):
    slots = ready_to_check_out(shop)
    messages, _ = act(ActionCheckout(), "place my order", "checkout", slots=slots)
    assert responses(messages) == ["utter_order_placed"]
    assert len(shop.orders_list) == 1


def test_a_yes_at_the_pin_prompt_asks_for_the_pin_again(shop_with_pin):
    slots = {**ready_to_check_out(shop_with_pin), "pending": "pin"}
    messages, _events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_ask_pin"]
    assert messages[0]["custom"] == {"expect": "pin"}
    assert shop_with_pin.orders_list == []


def placed_order(shop) -> int:
    slots = ready_to_check_out(shop)
    act(ActionAffirm(), "yes", "affirm", slots=slots)
    (order,) = shop.orders_list
    return int(order["order_id"])


def test_cancel_an_order_being_prepared_after_a_yes(shop):
    order_id = placed_order(shop)
    messages, events = act(ActionCancelOrder(), "cancel my order", "cancel_order")
    assert responses(messages) == ["utter_ask_cancel_order"]
    assert messages[0]["order_id"] == order_id
    assert shop.orders_list[0]["status"] == "placed", "nothing cancelled before the yes"
    slots = slots_set(events)
    assert slots["pending"] == "cancel_order"

    for unclear in ("4321", "wait"):
        messages, _ = act(ActionAffirm(), unclear, "affirm", slots=slots)
        assert responses(messages) == ["utter_yes_unclear"]
    assert shop.orders_list[0]["status"] == "placed"
    messages, _ = act(ActionAffirm(), "yes please", "affirm", slots=slots)
    assert responses(messages) == ["utter_order_cancelled"]
    assert shop.orders_list[0]["status"] == "cancelled"
    assert shop.pickups() == [], "its pickup slot was released"


def test_no_keeps_the_order(shop):
    placed_order(shop)
    _, events = act(ActionCancelOrder(), "cancel my order", "cancel_order")
    messages, _ = act(ActionDeny(), "no", "deny", slots=slots_set(events))
    assert responses(messages) == ["utter_order_kept"]
    assert shop.orders_list[0]["status"] == "placed"


def test_an_order_ready_for_pickup_is_not_cancelled(shop):
    placed_order(shop)
    shop.orders_list[0]["stage"] = "ready-for-pickup"
    messages, events = act(ActionCancelOrder(), "cancel my order", "cancel_order")
    assert responses(messages) == ["utter_order_too_late_to_cancel"]
    assert "cancel_order" not in shop.calls
    assert events == []


def test_nothing_to_cancel(shop):
    messages, _ = act(ActionCancelOrder(), "cancel my order", "cancel_order")
    assert responses(messages) == ["utter_no_order_to_cancel"]


def test_cancel_the_order_at_the_read_back_places_nothing_and_cancels_nothing(shop):
    slots = ready_to_check_out(shop)
    messages, events = act(ActionCancelOrder(), "cancel the order", "cancel_order", slots=slots)
    assert responses(messages) == ["utter_order_not_placed"]
    assert shop.orders_list == []
    assert slots_set(events)["quote_id"] is None


@pytest.mark.parametrize("code", ["slot-in-past", "store-closed"])
def test_a_booked_pickup_that_cannot_be_quoted_asks_for_a_new_time(shop, code):
    """A pickup booked for a time that has gone, or for Christmas Day, said "Sorry, I
    couldn't do that" at checkout."""
    shop.basket_lines = {"DAI-1": 1}
    shop.book(2)
    shop.slot_refusals[2] = code
    messages, events = act(ActionCheckout(), "check out", "checkout")
    assert responses(messages) == ["utter_quote_slot_gone"]
    slots = slots_set(events)
    assert (slots["pending"], slots["quote_id"]) == ("checkout_when", None)
    assert shop.orders_list == []


# -- honest outcomes: a yes whose answer is lost is settled before the customer hears a word --


def test_an_order_placed_whose_answer_was_lost_is_reported_placed(shop):
    slots = ready_to_check_out(shop)
    shop.lost_answers["place_order"] = [True]  # placed, but the answer timed out
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_order_placed"]
    assert messages[0]["order_id"] == shop.orders_list[0]["order_id"]
    assert len(shop.orders_list) == 1, "asked again with the same key: still one order"
    assert shop.calls.count("place_order") == 2


def test_an_order_never_placed_whose_answer_was_lost_is_reported_not_placed(shop):
    slots = ready_to_check_out(shop)
    shop.lost_answers["place_order"] = [False]  # the request never arrived ...
    shop.expired_quotes.add(slots["quote_id"])  # ... and asked again, the quote has gone
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages) == ["utter_quote_expired"]  # "... so the order was not placed"
    assert shop.orders_list == []


@pytest.mark.parametrize("placed", [True, False])
def test_an_order_with_no_answer_at_all_is_reported_unknown(shop, placed):
    slots = ready_to_check_out(shop)
    shop.lost_answers["place_order"] = [placed] + [False] * 50  # the service never answers
    messages, events = act(ActionAffirm(), "yes", "affirm", slots=slots)
    # neither "placed" nor "nothing was changed": the customer is told it is not known yet
    assert responses(messages) == ["utter_order_outcome_unknown"]
    assert len(shop.orders_list) == int(placed)
    assert slots_set(events)["quote_id"] is None
    messages, _ = act(ActionOrderStatus(), "where is my order", "order_status")
    assert responses(messages) == ["utter_order_status" if placed else "utter_no_orders"]


def test_a_cancellation_done_whose_answer_was_lost_is_reported_done(shop):
    order_id = placed_order(shop)
    _, events = act(ActionCancelOrder(), "cancel my order", "cancel_order")
    shop.lost_answers["cancel_order"] = [True]
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots_set(events))
    assert responses(messages) == ["utter_order_cancelled"]
    assert messages[0]["order_id"] == order_id
    assert shop.orders_list[0]["status"] == "cancelled"


@pytest.mark.parametrize("cancelled", [True, False])
def test_a_cancellation_with_no_answer_is_reported_unknown(shop, cancelled):
    placed_order(shop)
    _, events = act(ActionCancelOrder(), "cancel my order", "cancel_order")
    shop.lost_answers["cancel_order"] = [cancelled] + [False] * 50
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots_set(events))
    assert responses(messages) == ["utter_order_cancel_unknown"]
    assert shop.orders_list[0]["status"] == ("cancelled" if cancelled else "placed")


def test_a_basket_change_whose_answer_was_lost_does_not_claim_nothing_changed(shop):
    shop.lost_answers["add_item"] = [True]
    text = "add eggs"
    messages, _ = act(ActionAddToBasket(), text, "add_to_basket", ("product", "eggs"))
    assert responses(messages) == ["utter_service_uncertain"]
    assert shop.basket_lines == {"DAI-4": 1}


def test_a_service_that_is_down_still_changed_nothing(shop):
    shop.fail = True
    messages, _ = act(ActionOrderStatus(), "where is my order", "order_status")
    assert responses(messages) == ["utter_service_unavailable"]
