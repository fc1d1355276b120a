"""In-store pickup: book, reschedule, cancel, with natural times; nearest free slots when full."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from datetime import datetime, time, timezone
from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import (
    SHOW_SLOTS,
    AtPrompt,
    Events,
    SkillAction,
    Turn,
    choose_first,
    on_chosen,
    on_pending,
    store_for,
)
from skills.basket import change_quantity
from skills.checkout import read_back
from skills.client import CommerceRefused, CommerceUncertain, settle
from skills.contract import FoundSlot
from skills.corrections import correction_for_the_basket
from skills.store_hours import WEEKDAYS, clock

OFFERED = 3
MAX_DAYS_AHEAD = 60  # the service books pickups this many days ahead at most


# The questions whose answer is a time: booking, checkout without a pickup, moving one.
WHEN_PROMPTS = ("pickup_when", "checkout_when", "reschedule_when")


def when_said(turn: Turn) -> list[str]:
    """What the customer said the time is, fullest reading first: at a "when?" prompt the
    whole reply ("7 in the evening", whatever the NLU tagged of it), then the NLU's ``when``
    words together ("tomorrow" ... "at 5 pm": "tomorrow at 5 pm")."""
    said = [turn.text] if turn.slot("pending") in WHEN_PROMPTS and turn.text.strip() else []
    found = " ".join(str(e["value"]) for e in turn.entities("when"))
    return list(dict.fromkeys([*said, found] if found else said))


def still_asking(turn: Turn) -> list[dict[str, Any]]:
    """A "when?" prompt stays open after a time that could not be booked, for the next one."""
    pending = turn.slot("pending")
    return [SlotSet("pending", pending)] if pending in WHEN_PROMPTS else []


def closed_then(turn: Turn, store: Mapping[str, Any], found: Mapping[str, Any]) -> bool:
    """Say so when the time asked for is outside the store's opening hours ("3am")."""
    asked = found.get("requested_start")
    if not asked or found.get("slot"):
        return False
    if "opening_hours" not in store:
        store = turn.client.store(store["store_id"])
    moment = datetime.fromisoformat(asked)
    hours = store["opening_hours"].get(WEEKDAYS[moment.weekday()])
    if hours and time.fromisoformat(hours[0]) <= moment.time() < time.fromisoformat(hours[1]):
        return False
    if hours:
        turn.say(
            "utter_store_closed_then",
            store=store["name"],
            when=speech.when(asked),
            opens=clock(hours[0]),
            closes=clock(hours[1]),
        )
    else:
        turn.say("utter_store_closed_that_day", store=store["name"], when=speech.when(asked))
    return True


def slot_choice(slot: Mapping[str, Any], store: Mapping[str, Any]) -> dict[str, Any]:
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
    turn: Turn,
    found: Mapping[str, Any],
    store: Mapping[str, Any],
    mode: str,
    reason: bool = False,
) -> list[dict[str, Any]]:
    """Offer the nearest free slots; ``reason`` when the customer already heard why."""
    options = [slot_choice(s, store) for s in found.get("alternatives", [])[:OFFERED]]
    if not options:
        turn.say("utter_no_free_slots", SHOW_SLOTS, store=store["name"])
        return [SlotSet("choices", None), SlotSet("pending", None)]
    turn.say(
        "utter_free_slots_offer" if reason else "utter_slot_full_offer",
        None if reason else SHOW_SLOTS,
        store=store["name"],
        options=speech.numbered([o["label"] for o in options]),
    )
    return [SlotSet("choices", options), SlotSet("pending", mode)]


def find(turn: Turn, store: Mapping[str, Any], whens: list[str]) -> FoundSlot | None:
    """The service's slot for the first reading of the time it understands; a reason when
    none is bookable (not understood, gone, too far ahead)."""
    for when in whens:
        try:
            return turn.client.find_slot(store["store_id"], when)
        except CommerceRefused as err:
            if err.code == "when-not-understood":
                continue
            if err.code == "date-out-of-range":
                turn.say("utter_when_too_far", when=when, days=MAX_DAYS_AHEAD)
                return None
            if err.code == "date-in-past":
                turn.say("utter_when_in_past", when=when)
                return None
            if err.code == "store-closed":  # "christmas day": every store is closed
                turn.say(
                    "utter_store_closed_holiday",
                    store=store["name"],
                    holiday=err.details.get("holiday") or when,
                )
                return None
            raise
    turn.say("utter_when_not_understood", when=whens[0])
    return None


def slot_found(
    turn: Turn, found: Mapping[str, Any], store: Mapping[str, Any], mode: str
) -> list[dict[str, Any]]:
    """Book (or move to) the slot found, else say why not and offer the nearest free ones."""
    if found.get("slot") and found["slot"]["available"] > 0:
        chosen = slot_choice(found["slot"], store)
        return move_booking(turn, chosen) if mode == "reschedule" else book_slot(turn, chosen)
    return offer_alternatives(turn, found, store, mode, reason=closed_then(turn, store, found))


def book_slot(turn: Turn, choice: dict[str, Any]) -> list[dict[str, Any]]:
    try:  # a lost answer is asked for again: a repeat finds the slot booked ("already")
        settle(
            lambda: turn.client.book(choice["slot_id"]),
            done_already=lambda err: err.code == "already-booked",
        )
    except CommerceUncertain:
        turn.say("utter_pickup_outcome_unknown", when=choice["label"])
        return [SlotSet("choices", None), SlotSet("pending", None)]
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


def booked(events: list[dict[str, Any]]) -> bool:
    return any(e.get("name") == "store_id" and e.get("value") for e in events)


def move_booking(turn: Turn, choice: dict[str, Any]) -> list[dict[str, Any]]:
    bookings = turn.client.pickups()
    if not bookings:
        turn.say("utter_no_pickup")
        return [SlotSet("choices", None), SlotSet("pending", None)]
    try:  # a repeat of a move that was done answers with the booking as it now is
        settle(lambda: turn.client.reschedule(bookings[0]["booking_id"], choice["slot_id"]))
    except CommerceUncertain:
        turn.say("utter_pickup_move_unknown", when=choice["label"])
        return [SlotSet("choices", None), SlotSet("pending", None)]
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
        whens = when_said(turn)
        if not whens:
            turn.say("utter_ask_pickup_time", SHOW_SLOTS, store=store["name"])
            return [SlotSet("store_id", store["store_id"]), SlotSet("pending", "pickup_when")]
        found = find(turn, store, whens)
        if found is None:  # the reason was said; a "when?" stays open for another time
            return still_asking(turn)
        events = slot_found(turn, found, store, "slot")
        if turn.slot("pending") == "checkout_when" and booked(events):
            events += read_back(turn)  # checkout asked for the time: on to the read-back
        return events


class BookingAction(SkillAction):
    """A skill about the customer's booked pickup: a quantity correction said to it ("change
    the eggs to 2", "make it six") goes to the basket; with no booking, says so."""

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if not when_said(turn) and correction_for_the_basket(turn):
            return change_quantity(turn)
        bookings = turn.client.pickups()
        if not bookings:
            turn.say("utter_no_pickup")
            return []
        return self.handle_booking(turn, bookings[0])

    @abstractmethod
    def handle_booking(self, turn: Turn, booking: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The skill's work on the booking (the soonest one)."""


class ActionReschedulePickup(BookingAction):
    action_name = "action_reschedule_pickup"

    def handle_booking(self, turn: Turn, booking: Mapping[str, Any]) -> list[dict[str, Any]]:
        store = {"store_id": booking["store_id"], "name": booking["store_name"]}
        whens = when_said(turn)
        if not whens:
            turn.say("utter_ask_pickup_time", SHOW_SLOTS, store=store["name"])
            return [SlotSet("pending", "reschedule_when")]
        found = find(turn, store, whens)
        if found is None:
            return still_asking(turn)
        return slot_found(turn, found, store, "reschedule")


class ActionCancelPickup(BookingAction):
    action_name = "action_cancel_pickup"

    def handle_booking(self, turn: Turn, booking: Mapping[str, Any]) -> list[dict[str, Any]]:
        when = speech.when(booking["slot"]["start"])
        try:  # a repeat of a cancellation that was done finds no such booking any more
            settle(
                lambda: turn.client.cancel_pickup(booking["booking_id"]),
                done_already=lambda err: err.code == "booking-not-found",
            )
        except CommerceUncertain:
            turn.say("utter_pickup_cancel_unknown", when=when)
            return []
        except CommerceRefused as err:
            if err.code == "booking-has-order":
                turn.say("utter_pickup_has_order")
                return []
            raise
        turn.say("utter_pickup_cancelled", store=booking["store_name"], when=when)
        return []


class ActionListPickups(SkillAction):
    """ "Which pickups do I have?", "when is my pickup?": the ones to come, soonest first."""

    action_name = "action_list_pickups"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        now = datetime.now(timezone.utc)
        upcoming = sorted(
            (b for b in turn.client.pickups() if datetime.fromisoformat(b["slot"]["start"]) > now),
            key=lambda b: datetime.fromisoformat(b["slot"]["start"]),
        )
        if not upcoming:
            turn.say("utter_no_upcoming_pickup")
            return []
        spoken = [f"{b['store_name']}, {speech.when(b['slot']['start'])}" for b in upcoming]
        turn.say(
            "utter_pickups_upcoming",
            count=len(upcoming),
            noun=speech.noun(len(upcoming), "pickup"),
            pickups=speech.join_and(spoken),
        )
        return []


def slot_chosen(turn: Turn, pending: str | None, chosen: dict[str, Any]) -> Events:
    """A pickup slot chosen: the booking moved to it (when rescheduling), or it is booked."""
    return move_booking(turn, chosen) if pending == "reschedule" else book_slot(turn, chosen)


on_chosen("slot", slot_chosen)
on_pending("slot", yes=choose_first, needs_choice=True)
on_pending("reschedule", yes=choose_first, needs_choice=True)
