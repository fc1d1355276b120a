"""Kiosk screen rules: what a kiosk's screen is sent after a turn or a sign-in.

The basket after every turn; then what the skills' replies ask the screen to show, in their
custom payload (as a PIN prompt comes with ``expect: pin``): ``{"show": "confirm"}`` for the
Confirm / Cancel buttons, ``{"show": "slots"}`` for pickup slots to tap (``"day"``,
YYYY-MM-DD, for one day's; without it today's and the next day's with free slots). The slots are
always the kiosk's own store's: a tapped time is booked there. What the screen shows beside the
basket (``shown``) is part of the session's state, and shown again when it resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from assistant.channels import protocol as p
from assistant.channels.gateway.directory import DeviceDirectory

# Replies after which a kiosk shows pickup slots to tap.
SLOT_RESPONSES = {
    "utter_ask_pickup_time",
    "utter_slot_full_offer",
    "utter_need_pickup_first",
    "utter_no_free_slots",
}
# Days after today looked at for the next day with free slots a kiosk shows.
NEXT_DAY_LOOKAHEAD = 3
SLOTS_SHOWN = 12  # a day's free slots on screen at most


def basket_view(basket: dict[str, Any]) -> p.Basket:
    """The commerce service's basket as the screen lists it."""
    return p.Basket(
        [
            p.BasketLine(i["sku"], i["name"], i["quantity"], i["line_total"])
            for i in basket["items"]
        ],
        basket["item_count"],
        basket["total"],
    )


def slot_view(slot: dict[str, Any]) -> p.PickupSlot:
    return p.PickupSlot(
        slot_id=slot["slot_id"],
        store_id=slot["store_id"],
        start=slot["start"],
        end=slot["end"],
        capacity=slot["capacity"],
        available=slot["available"],
    )


class KioskScreen:
    """Sends a kiosk's screen its updates (``emit``), reading the basket and the slots from
    the commerce service."""

    def __init__(self, directory: DeviceDirectory, emit: Callable[[p.GatewayMessage], None]):
        self.directory = directory
        self.emit = emit
        # beside the basket: the Confirm / Cancel buttons, a day's slots ("": the next days')
        self.shown: dict[str, Any] = {"confirm": False, "slots": None}

    def after_turn(
        self, customer_token: str | None, store_id: str, payloads: Iterable[Mapping[str, Any]]
    ) -> None:
        """The basket (of a signed-in customer), then Confirm / Cancel or slots if the replies'
        payloads ask for them (each once)."""
        if customer_token is not None:
            self.emit(basket_view(self.directory.basket(customer_token)))
        shows = {str(payload.get("show")): payload for payload in payloads if "show" in payload}
        self.shown = {"confirm": "confirm" in shows, "slots": None}
        if "confirm" in shows:
            self.emit(p.ConfirmNeeded())
        if "slots" in shows:
            day = shows["slots"].get("day")
            self.send_slots(store_id, date.fromisoformat(day) if day else None)

    def replay(self, customer_token: str | None, store_id: str) -> None:
        """What the screen showed, again (a session resumed on another gateway process)."""
        if customer_token is not None:
            self.emit(basket_view(self.directory.basket(customer_token)))
            if self.shown.get("confirm"):
                self.emit(p.ConfirmNeeded())
        day = self.shown.get("slots")
        if day is not None:
            self.send_slots(store_id, date.fromisoformat(day) if day else None)

    def send_slots(self, store_id: str, day: date | None = None) -> None:
        """The free slots of ``day``, or of today and of the next day that has any (tomorrow,
        unless the store is closed then: Christmas Day)."""
        self.shown["slots"] = day.isoformat() if day else ""
        if day is not None:
            self._emit_slots(day, self._free_slots(store_id, day))
            return
        today = date.today()
        self._emit_slots(today, self._free_slots(store_id, today))
        for ahead in range(1, NEXT_DAY_LOOKAHEAD + 1):
            slots = self._free_slots(store_id, today + timedelta(days=ahead))
            if slots or ahead == NEXT_DAY_LOOKAHEAD:
                self._emit_slots(today + timedelta(days=ahead), slots)
                return

    def _free_slots(self, store_id: str, day: date) -> list[dict[str, Any]]:
        return [s for s in self.directory.slots(store_id, day) if s.get("available")]

    def _emit_slots(self, day: date, slots: list[dict[str, Any]]) -> None:
        self.emit(p.Slots(day, [slot_view(s) for s in slots[:SLOTS_SHOWN]]))
