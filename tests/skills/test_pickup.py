"""Pickup skills: book with a natural time, nearest free slots when full, move, cancel."""

from __future__ import annotations

import pytest

from skills.checkout import ActionCheckout
from skills.core import (
    ActionAffirm,
    ActionChooseOption,
    ActionDeny,
    ActionOutOfScope,
    ActionRephrase,
)
from skills.pickup import (
    ActionBookPickup,
    ActionCancelPickup,
    ActionListPickups,
    ActionReschedulePickup,
)
from tests.skills.conftest import act, responses, slots_set


def book(text: str, when: str, slots=None):
    return act(ActionBookPickup(), text, "book_pickup", ("when", when), slots=slots)


def test_book_a_free_slot(shop):
    messages, _ = book("book a pickup tomorrow at five", "tomorrow at five")
    assert responses(messages) == ["utter_pickup_booked"]
    assert messages[0]["store"] == "Greenleaf Riverside"
    assert messages[0]["when"].startswith("tomorrow at")
    assert [b["slot"]["slot_id"] for b in shop.bookings] == [1]


def test_full_slot_offers_the_nearest_then_the_second_one_books_it(shop):
    messages, events = book("book a pickup when it is full", "when it is full")
    assert responses(messages) == ["utter_slot_full_offer"]
    assert messages[0]["custom"] == {"show": "slots"}, "a kiosk shows slots to tap"
    slots = slots_set(events)
    assert slots["pending"] == "slot"
    assert shop.bookings == []
    messages, _ = act(ActionChooseOption(), "the second one", "choose_option", slots=slots)
    assert responses(messages) == ["utter_pickup_booked"]
    assert messages[0]["custom"] == {}
    assert [b["slot"]["slot_id"] for b in shop.bookings] == [slots["choices"][1]["slot_id"]]


def test_no_time_asks_when(shop):
    messages, events = act(ActionBookPickup(), "book a pickup", "book_pickup")
    assert responses(messages) == ["utter_ask_pickup_time"]
    assert messages[0]["custom"] == {"show": "slots"}
    assert slots_set(events)["pending"] == "pickup_when"


def test_reschedule_and_cancel(shop):
    shop.book(1)
    shop.slots[0]["available"] = 0  # the time asked for next is another slot
    text = "move my pickup to tomorrow at six"
    messages, _ = act(
        ActionReschedulePickup(), text, "reschedule_pickup", ("when", "tomorrow at six")
    )
    assert responses(messages) == ["utter_pickup_moved"]
    assert shop.bookings[0]["slot"]["slot_id"] == 2
    messages, _ = act(ActionCancelPickup(), "cancel my pickup", "cancel_pickup")
    assert responses(messages) == ["utter_pickup_cancelled"]
    assert shop.pickups() == []
    messages, _ = act(ActionCancelPickup(), "cancel my pickup", "cancel_pickup")
    assert responses(messages) == ["utter_no_pickup"]


# How the classifier filed time answers at "when would you like to pick it up?" (trained model,
# before these fixes): each must be the time, never a yes, a no or "please rephrase".
TIME_ANSWERS = [
    ("tomorrow at 11am", "book_pickup", ActionBookPickup),
    ("7 in the evening", "out_of_scope", ActionOutOfScope),
    ("half five", "nlu_fallback", ActionRephrase),
    ("noon", "deny", ActionDeny),
    ("in two hours", "choose_option", ActionChooseOption),
    ("3am", "affirm", ActionAffirm),
]


@pytest.mark.parametrize(("text", "intent", "action"), TIME_ANSWERS)
def test_any_time_answer_at_the_when_prompt_books_that_time(shop, text, intent, action):
    messages, events = act(
        action(), text, intent, slots={"pending": "pickup_when", "store_id": "riverside"}
    )
    assert responses(messages) == ["utter_pickup_booked"]
    assert shop.whens[0] == text, "the whole reply is the time asked for"
    assert len(shop.bookings) == 1
    assert slots_set(events)["pending"] is None


def test_the_time_answers_checkout_and_goes_on_to_the_read_back(shop):
    """Checkout without a pickup asks the time; the answer books it and reads back (no loop)."""
    shop.basket_lines = {"DAI-1": 1}
    messages, events = act(ActionCheckout(), "check out", "checkout")
    assert responses(messages) == ["utter_need_pickup_first"]
    slots = slots_set(events)
    messages, events = act(ActionOutOfScope(), "7 in the evening", "out_of_scope", slots=slots)
    assert responses(messages) == ["utter_pickup_booked", "utter_quote_readback"]
    assert slots_set(events)["pending"] == "order"
    assert shop.orders_list == [], "the read-back waits for a yes"


def test_a_partly_tagged_time_is_read_whole(shop):
    """The NLU tagged only "evening" of "7 in the evening" at the prompt: 7 pm is asked for."""
    text = "7 in the evening"
    act(
        ActionBookPickup(),
        text,
        "book_pickup",
        ("when", "evening"),
        slots={"pending": "pickup_when"},
    )
    assert shop.whens == ["7 in the evening"]


def test_when_words_from_first_to_last_are_one_time(shop):
    text = "book a pickup tomorrow at riverside at 5 pm"
    act(ActionBookPickup(), text, "book_pickup", ("when", "tomorrow"), ("when", "at 5 pm"))
    assert shop.whens == ["tomorrow at 5 pm"]


def test_a_time_the_store_is_closed_gets_the_reason_and_the_nearest_free_times(shop):
    shop.closed_times["3am"] = "2027-06-17T03:00:00+01:00"
    messages, events = act(ActionAffirm(), "3am", "affirm", slots={"pending": "pickup_when"})
    assert responses(messages) == ["utter_store_closed_then", "utter_free_slots_offer"]
    assert messages[0] == {
        **messages[0],
        "store": "Greenleaf Riverside",
        "when": "tomorrow at 3 am",
        "opens": "7 am",
        "closes": "10 pm",
    }
    assert slots_set(events)["pending"] == "slot"
    assert shop.bookings == []


@pytest.mark.parametrize(
    ("code", "answer"),
    [
        ("date-out-of-range", "utter_when_too_far"),
        ("date-in-past", "utter_when_in_past"),
        ("when-not-understood", "utter_when_not_understood"),
        ("store-closed", "utter_store_closed_holiday"),
    ],
)
def test_an_impossible_time_gets_a_reason_and_the_question_stays_open(shop, code, answer):
    shop.when_refusals["christmas day"] = code
    messages, events = act(
        ActionRephrase(), "christmas day", "nlu_fallback", slots={"pending": "pickup_when"}
    )
    assert responses(messages) == [answer]
    assert slots_set(events) == {"pending": "pickup_when"}
    assert shop.bookings == []


def test_out_of_scope_and_rephrase_answer_as_before_without_a_when_prompt(shop):
    messages, _ = act(ActionOutOfScope(), "what's the weather", "out_of_scope")
    assert responses(messages) == ["utter_out_of_scope"]
    messages, _ = act(ActionRephrase(), "half five", "nlu_fallback")
    assert responses(messages) == ["utter_please_rephrase"]
    assert shop.calls == []


def test_no_at_the_when_prompt_is_still_a_no(shop):
    messages, _ = act(ActionDeny(), "no thanks", "deny", slots={"pending": "pickup_when"})
    assert responses(messages) == ["utter_ok"]
    assert shop.bookings == []


def test_which_pickups_lists_the_ones_to_come_soonest_first(shop, clock):
    messages, _ = act(ActionListPickups(), "which pickups do I have", "list_pickups")
    assert responses(messages) == ["utter_no_upcoming_pickup"]
    shop.book(3)
    shop.book(1)
    messages, _ = act(ActionListPickups(), "when is my pickup", "list_pickups")
    assert responses(messages) == ["utter_pickups_upcoming"]
    assert (messages[0]["count"], messages[0]["noun"]) == (2, "pickups")
    assert messages[0]["pickups"].startswith("Greenleaf Riverside, tomorrow at")
    first, second = (shop.slots[0]["start"], shop.slots[2]["start"])
    assert first < second
    clock.move_to("2027-06-18T12:00:00+01:00")  # both have gone: nothing to come
    messages, _ = act(ActionListPickups(), "when is my pickup", "list_pickups")
    assert responses(messages) == ["utter_no_upcoming_pickup"]


def test_one_pickup_is_said_in_the_singular(shop):
    shop.book(1)
    messages, _ = act(ActionListPickups(), "when is my pickup", "list_pickups")
    assert (messages[0]["count"], messages[0]["noun"]) == (1, "pickup")


@pytest.mark.parametrize("pending", ["checkout_when", "pickup_when"])
def test_christmas_day_is_closed_and_the_time_is_asked_again(shop, pending):
    """ "christmas day" at checkout booked a slot on the day every store is closed."""
    shop.basket_lines = {"PRO-1": 6}
    shop.when_refusals["christmas day"] = "store-closed"
    messages, events = act(
        ActionBookPickup(), "christmas day", "book_pickup", slots={"pending": pending}
    )
    assert responses(messages) == ["utter_store_closed_holiday"]
    assert messages[0]["holiday"] == "Christmas Day"
    assert slots_set(events) == {"pending": pending}
    assert shop.bookings == []
    assert shop.orders_list == []


# -- honest outcomes: a booking, move or cancellation whose answer is lost is settled first --


@pytest.mark.parametrize("done", [True, False])
def test_a_booking_whose_answer_was_lost_is_asked_again(shop, done):
    shop.lost_answers["book"] = [done]  # booked (or not), but the answer timed out
    messages, _ = book("book a pickup tomorrow at five", "tomorrow at five")
    # asked again: "already booked" (the first did it) or booked now: booked either way
    assert responses(messages) == ["utter_pickup_booked"]
    assert [b["slot"]["slot_id"] for b in shop.bookings] == [1], "one booking, not two"
    assert shop.calls.count("book") == 2


@pytest.mark.parametrize("done", [True, False])
def test_a_booking_with_no_answer_at_all_is_reported_unknown(shop, done):
    shop.lost_answers["book"] = [done] + [False] * 50
    messages, _ = book("book a pickup tomorrow at five", "tomorrow at five")
    assert responses(messages) == ["utter_pickup_outcome_unknown"]
    assert messages[0]["when"].startswith("tomorrow at")
    assert len(shop.pickups()) == int(done)


def test_a_move_and_a_cancellation_whose_answers_were_lost_are_reported_done(shop):
    shop.book(1)
    shop.slots[0]["available"] = 0
    shop.lost_answers["reschedule"] = [True]
    text = "move my pickup to tomorrow at six"
    messages, _ = act(
        ActionReschedulePickup(), text, "reschedule_pickup", ("when", "tomorrow at six")
    )
    assert responses(messages) == ["utter_pickup_moved"]
    assert shop.bookings[0]["slot"]["slot_id"] == 2
    shop.lost_answers["cancel_pickup"] = [True]
    messages, _ = act(ActionCancelPickup(), "cancel my pickup", "cancel_pickup")
    assert responses(messages) == ["utter_pickup_cancelled"]
    assert shop.pickups() == []


@pytest.mark.parametrize("done", [True, False])
def test_a_cancellation_with_no_answer_is_reported_unknown(shop, done):
    shop.book(1)
    shop.lost_answers["cancel_pickup"] = [done] + [False] * 50
    messages, _ = act(ActionCancelPickup(), "cancel my pickup", "cancel_pickup")
    assert responses(messages) == ["utter_pickup_cancel_unknown"]
    assert len(shop.pickups()) == int(not done)
