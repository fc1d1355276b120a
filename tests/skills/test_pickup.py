"""Pickup skills: book with a natural time, nearest free slots when full, move, cancel."""

from __future__ import annotations

from skills.core import ActionChooseOption
from skills.pickup import ActionBookPickup, ActionCancelPickup, ActionReschedulePickup
from tests.skills.conftest import entity, responses, run, slots_set, tracker


def book(text: str, when: str, slots=None):
    return run(
        ActionBookPickup(), tracker(text, "book_pickup", [entity(text, "when", when)], slots=slots)
    )


def test_book_a_free_slot(shop):
    messages, _ = book("book a pickup tomorrow at five", "tomorrow at five")
    assert responses(messages) == ["utter_pickup_booked"]
    assert messages[0]["store"] == "Greenleaf Riverside"
    assert messages[0]["when"].startswith("tomorrow at")
    assert [b["slot"]["slot_id"] for b in shop.bookings] == [1]


def test_full_slot_offers_the_nearest_then_the_second_one_books_it(shop):
    messages, events = book("book a pickup when it is full", "when it is full")
    assert responses(messages) == ["utter_slot_full_offer"]
    slots = slots_set(events)
    assert slots["pending"] == "slot"
    assert shop.bookings == []
    messages, _ = run(ActionChooseOption(), tracker("the second one", "choose_option", slots=slots))
    assert responses(messages) == ["utter_pickup_booked"]
    assert [b["slot"]["slot_id"] for b in shop.bookings] == [slots["choices"][1]["slot_id"]]


def test_no_time_asks_when(shop):
    messages, events = run(ActionBookPickup(), tracker("book a pickup", "book_pickup"))
    assert responses(messages) == ["utter_ask_pickup_time"]
    assert slots_set(events)["pending"] == "pickup_when"


def test_reschedule_and_cancel(shop):
    shop.book(1)
    shop.slots[0]["available"] = 0  # the time asked for next is another slot
    text = "move my pickup to tomorrow at six"
    messages, _ = run(
        ActionReschedulePickup(),
        tracker(text, "reschedule_pickup", [entity(text, "when", "tomorrow at six")]),
    )
    assert responses(messages) == ["utter_pickup_moved"]
    assert shop.bookings[0]["slot"]["slot_id"] == 2
    messages, _ = run(ActionCancelPickup(), tracker("cancel my pickup", "cancel_pickup"))
    assert responses(messages) == ["utter_pickup_cancelled"]
    assert shop.pickups() == []
    messages, _ = run(ActionCancelPickup(), tracker("cancel my pickup", "cancel_pickup"))
    assert responses(messages) == ["utter_no_pickup"]
