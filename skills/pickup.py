"""In-store pickup: book, reschedule, cancel, with natural times; nearest free slots when full."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import SkillAction, Turn
from skills.basket import change_quantity, is_correction
from skills.client import CommerceRefused

OFFERED = 3


def store_for(turn: Turn) -> dict[str, Any] | None:
    """The store named in this turn, else the conversation's store; None if unknown."""
    named = turn.entity("store")
    if named:
        found = turn.client.stores(q=named)
        if not found:
            turn.say("utter_store_unknown_named", store=named)
            return None
        return found[0]
    return turn.client.store(turn.store_id())


def when_said(turn: Turn) -> str | None:
    return turn.entity("when")


def slot_choice(slot: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "slot",
        "slot_id": slot["slot_id"],
        "store_id": store["store_id"],
        "store_name": store["name"],
        "label": speech.when(slot["start"]),
        "size": 0,
        "price": 0,
    }


def offer_alternatives(
    turn: Turn, found: dict[str, Any], store: dict[str, Any], mode: str
) -> list[dict[str, Any]]:
    options = [slot_choice(s, store) for s in found.get("alternatives", [])[:OFFERED]]
    if not options:
        turn.say("utter_no_free_slots", store=store["name"])
        return [SlotSet("choices", None), SlotSet("pending", None)]
    turn.say(
        "utter_slot_full_offer",
        store=store["name"],
        options=speech.numbered([o["label"] for o in options]),
    )
    return [SlotSet("choices", options), SlotSet("pending", mode)]


def find(turn: Turn, store: dict[str, Any], when: str) -> dict[str, Any] | None:
    try:
        return turn.client.find_slot(store["store_id"], when)
    except CommerceRefused as err:
        if err.code in ("when-not-understood", "date-out-of-range"):
            turn.say("utter_when_not_understood", when=when)
            return None
        if err.code == "date-in-past":
            turn.say("utter_when_in_past", when=when)
            return None
        raise


def book_slot(turn: Turn, choice: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        turn.client.book(choice["slot_id"])
    except CommerceRefused as err:
        if err.code == "already-booked":
            turn.say("utter_pickup_already_booked", when=choice["label"])
            return [SlotSet("choices", None), SlotSet("pending", None)]
        if err.code == "slot-full":
            store = {"store_id": choice["store_id"], "name": choice["store_name"]}
            return offer_alternatives(turn, err.details, store, "slot")
        raise
    turn.say("utter_pickup_booked", store=choice["store_name"], when=choice["label"])
    return [
        SlotSet("choices", None),
        SlotSet("pending", None),
        SlotSet("store_id", choice["store_id"]),
    ]


def move_booking(turn: Turn, choice: dict[str, Any]) -> list[dict[str, Any]]:
    bookings = turn.client.pickups()
    if not bookings:
        turn.say("utter_no_pickup")
        return [SlotSet("choices", None), SlotSet("pending", None)]
    try:
        turn.client.reschedule(bookings[0]["booking_id"], choice["slot_id"])
    except CommerceRefused as err:
        if err.code == "slot-full":
            store = {"store_id": choice["store_id"], "name": choice["store_name"]}
            return offer_alternatives(turn, err.details, store, "reschedule")
        if err.code == "store-mismatch":
            turn.say("utter_pickup_other_store")
            return [SlotSet("choices", None), SlotSet("pending", None)]
        raise
    turn.say("utter_pickup_moved", store=choice["store_name"], when=choice["label"])
    return [SlotSet("choices", None), SlotSet("pending", None)]


class ActionBookPickup(SkillAction):
    action_name = "action_book_pickup"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if turn.slot("pending") == "reschedule_when":  # "tomorrow at six" answers "when?"
            return ActionReschedulePickup().handle(turn)
        store = store_for(turn)
        if store is None:
            return []
        when = when_said(turn)
        if not when:
            turn.say("utter_ask_pickup_time", store=store["name"])
            return [SlotSet("store_id", store["store_id"]), SlotSet("pending", "pickup_when")]
        found = find(turn, store, when)
        if found is None:
            return []
        if found.get("slot") and found["slot"]["available"] > 0:
            return book_slot(turn, slot_choice(found["slot"], store))
        return offer_alternatives(turn, found, store, "slot")


class ActionReschedulePickup(SkillAction):
    action_name = "action_reschedule_pickup"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if turn.entity("product") and not when_said(turn) and is_correction(turn):
            return change_quantity(turn)  # "change the eggs to 2" is about the basket
        bookings = turn.client.pickups()
        if not bookings:
            turn.say("utter_no_pickup")
            return []
        booking = bookings[0]
        store = {"store_id": booking["store_id"], "name": booking["store_name"]}
        when = when_said(turn)
        if not when:
            turn.say("utter_ask_pickup_time", store=store["name"])
            return [SlotSet("pending", "reschedule_when")]
        found = find(turn, store, when)
        if found is None:
            return []
        if found.get("slot") and found["slot"]["available"] > 0:
            return move_booking(turn, slot_choice(found["slot"], store))
        return offer_alternatives(turn, found, store, "reschedule")


class ActionCancelPickup(SkillAction):
    action_name = "action_cancel_pickup"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if turn.entity("product") and not when_said(turn) and is_correction(turn):
            return change_quantity(turn)  # "change the eggs to 2" is about the basket
        bookings = turn.client.pickups()
        if not bookings:
            turn.say("utter_no_pickup")
            return []
        booking = bookings[0]
        try:
            turn.client.cancel_pickup(booking["booking_id"])
        except CommerceRefused as err:
            if err.code == "booking-has-order":
                turn.say("utter_pickup_has_order")
                return []
            raise
        turn.say(
            "utter_pickup_cancelled",
            store=booking["store_name"],
            when=speech.when(booking["slot"]["start"]),
        )
        return []
