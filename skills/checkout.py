"""Checkout: read the quote back, place the order only on an explicit yes (and PIN), once."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from skills import privacy, speech
from skills.base import (
    EXPECT_PIN,
    SHOW_CONFIRM,
    SHOW_SLOTS,
    AtPrompt,
    Events,
    SkillAction,
    Turn,
    closed,
    on_pending,
)
from skills.client import CommerceRefused, CommerceUncertain, settle
from skills.contract import Order, Quote
from skills.yesno import Answer, decide

MAX_PIN_TRIES = 3
STAGES = {
    "being-prepared": "being prepared",
    "ready-for-pickup": "ready for pickup",
    "collected": "collected",
    "cancelled": "cancelled",
}
CLEAR = ("quote_id", "pin_required", "pin_tries", "pin_for", "pending", "choices", "use_points")


def cleared() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in CLEAR]


def idempotency_key(quote_id: str) -> str:
    """One key per quote: however often the action runs, the service makes one order."""
    return f"voice-{quote_id}"


def place(turn: Turn, pin_ticket: Any = None) -> list[dict[str, Any]]:
    quote_id = turn.slot("quote_id")
    if not quote_id:
        turn.say("utter_nothing_to_confirm")
        return []
    try:  # an answer lost on the way is asked for again, with the same key, before a word
        order = settle(
            lambda: turn.client.place_order(quote_id, idempotency_key(quote_id), pin_ticket)
        )
    except CommerceUncertain:  # still no answer: neither "placed" nor "not placed" is true
        turn.say("utter_order_outcome_unknown")
        return cleared()
    except CommerceRefused as err:
        response = {
            "quote-expired": "utter_quote_expired",
            "price-changed": "utter_quote_changed",
            "stock-changed": "utter_quote_changed",
            "points-changed": "utter_quote_changed",
            "slot-full": "utter_quote_slot_gone",
            "slot-in-past": "utter_quote_slot_gone",
            "pin-locked": "utter_pin_locked",
            "pin-required": "utter_ask_pin",
            "pin-ticket-invalid": "utter_pin_wrong",
        }.get(err.code)
        if response is None:
            raise
        turn.say(response)
        return [] if err.code in ("pin-required", "pin-ticket-invalid") else cleared()
    assert order is not None  # a repeat with the same key answers with the order itself
    turn.say(
        "utter_order_placed",
        order_id=order["order_id"],
        store=order["store_name"],
        when=speech.when(order["pickup_start"]),
        total=speech.price(order["total"]),
    )
    return cleared()


def confirm(turn: Turn) -> list[dict[str, Any]]:
    """The customer said yes to the quote: ask for the PIN if the account has one."""
    # At a kiosk an order needs a touch on the screen's Confirm button, so talk in the
    # background can never buy anything; the gateway marks the button's "yes".
    if turn.metadata.get("confirm_by") == "touch" and not turn.metadata.get("touched"):
        turn.say("utter_press_confirm", SHOW_CONFIRM)
        return []
    if turn.slot("pin_required"):
        turn.say("utter_ask_pin", EXPECT_PIN)
        return [SlotSet("pending", "pin")]
    return place(turn)


def say_money(turn: Turn, quote: Quote) -> None:
    """What the quote saves with deals and pays with points, before its read-back."""
    savings = quote.get("savings") or []
    if savings:
        deals = [f"{s['name']}, {s['deal']}" for s in savings]
        total = speech.price(quote.get("savings_total") or 0.0)
        turn.say("utter_quote_savings", saving=total, deals=speech.join_and(deals))
    points = quote.get("points_used") or 0
    if points:
        value = speech.price(quote.get("points_value") or 0.0)
        turn.say(
            "utter_quote_points", points=points, noun=speech.noun(points, "point"), value=value
        )


def read_back(turn: Turn, use_points: bool | None = None) -> list[dict[str, Any]]:
    """Quote the basket for the booked pickup and read it back; the order then waits for a yes.

    Called again after a correction at the read-back, so a yes always answers the quote the
    customer last heard. The store's deals are taken off; the loyalty points too when asked
    (``use_points``, else slot ``use_points``): both are said before the question."""
    if use_points is None:
        use_points = bool(turn.slot("use_points"))
    basket = turn.client.basket()
    if not basket["items"]:
        turn.say("utter_basket_empty")
        return cleared()
    # The newest booking no order uses yet: an earlier order keeps its own pickup.
    bookings = sorted(
        (b for b in turn.client.pickups() if not b.get("order_id")),
        key=lambda b: b["booking_id"],
        reverse=True,
    )
    if not bookings:
        turn.say("utter_need_pickup_first", SHOW_SLOTS)
        return [SlotSet("pending", "checkout_when")]  # the time, then on to the read-back
    booking = bookings[0]
    try:
        quote = turn.client.quote(booking["store_id"], booking["slot"]["slot_id"], use_points)
    except CommerceRefused as err:
        if err.code == "out-of-stock":
            names = [i["name"] for i in basket["items"] if i["sku"] in err.details["skus"]]
            turn.say(
                "utter_quote_out_of_stock",
                items=speech.join_and(names),
                store=booking["store_name"],
            )
            return cleared()
        if err.code in ("slot-in-past", "store-closed", "slot-not-found"):
            # the pickup booked has started, or falls on a day the store is closed: a new time
            turn.say("utter_quote_slot_gone")
            return [*cleared(), SlotSet("pending", "checkout_when")]
        raise
    count = sum(line["quantity"] for line in quote["lines"])
    say_money(turn, quote)
    turn.say(
        "utter_quote_readback",
        SHOW_CONFIRM,
        count=count,
        noun=speech.noun(count, "item"),
        total=speech.price(quote["total"]),
        store=quote["store_name"],
        when=speech.when(quote["slot"]["start"] if quote["slot"] else None),
    )
    return [
        SlotSet("quote_id", quote["quote_id"]),
        SlotSet("pin_required", bool(quote["pin_required"])),
        SlotSet("pin_tries", 0),
        SlotSet("pending", "order"),
        SlotSet("choices", None),
    ]


class ActionCheckout(SkillAction):
    action_name = "action_checkout"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        # "place my order" said at the read-back is the yes to it, not a new checkout
        if (
            turn.slot("pending") == "order"
            and turn.slot("quote_id")
            and decide(turn.text) == Answer.YES
        ):
            return confirm(turn)
        return read_back(turn)


class ActionProvidePin(SkillAction):
    """The front end checked the spoken PIN with the service; only its ticket reaches here."""

    action_name = "action_provide_pin"
    at_prompt = AtPrompt.ANSWER
    reasks_when_unsure = False

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if turn.slot("pending") != "pin":
            turn.say("utter_nothing_to_confirm")
            return []
        ticket = turn.secrets.get("pin_ticket")  # handed over by the front end, not in Rasa
        erasing = turn.slot("pin_for") == "erase"
        if ticket:
            return privacy.erase(turn, ticket) if erasing else place(turn, ticket)
        if turn.metadata.get("pin_unclear"):  # digits among other words: no attempt is counted
            turn.say("utter_pin_digits_only", EXPECT_PIN)
            return []
        tries = int(turn.slot("pin_tries") or 0) + 1
        if tries >= MAX_PIN_TRIES:
            turn.say("utter_erase_pin_too_many" if erasing else "utter_pin_too_many")
            return cleared()
        turn.say("utter_pin_wrong", EXPECT_PIN)
        return [SlotSet("pin_tries", tries)]


class ActionOrderStatus(SkillAction):
    action_name = "action_order_status"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        orders = turn.client.orders(limit=5)
        open_orders = [o for o in orders if o["status"] == "placed"]
        if open_orders:
            order = open_orders[0]
            turn.say(
                "utter_order_status",
                order_id=order["order_id"],
                stage=STAGES.get(order["stage"], order["stage"]),
                store=order["store_name"],
                when=speech.when(order["pickup_start"]),
            )
        elif orders:
            turn.say("utter_last_order_collected", store=orders[0]["store_name"])
        else:
            turn.say("utter_no_orders")
        return []


def open_order(turn: Turn) -> Order | None:
    """The newest placed order, or None."""
    return next((o for o in turn.client.orders(limit=5) if o["status"] == "placed"), None)


class ActionCancelOrder(SkillAction):
    """ "Cancel my order": while it is still being prepared, after a yes (skills.core)."""

    action_name = "action_cancel_order"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if turn.slot("pending") in ("order", "pin"):  # "cancel the order" at the read-back
            return not_placed(turn)
        order = open_order(turn)
        if order is None:
            turn.say("utter_no_order_to_cancel")
            return []
        if order["stage"] != "being-prepared":
            turn.say("utter_order_too_late_to_cancel", order_id=order["order_id"])
            return []
        turn.say(
            "utter_ask_cancel_order",
            order_id=order["order_id"],
            total=speech.price(order["total"]),
            store=order["store_name"],
            when=speech.when(order["pickup_start"]),
        )
        choice = {"kind": "order", "order_id": order["order_id"], "label": str(order["order_id"])}
        return [SlotSet("choices", [choice]), SlotSet("pending", "cancel_order")]


def cancel_order(turn: Turn, order_id: int) -> list[dict[str, Any]]:
    """The customer said yes to cancelling ``order_id``."""
    try:  # a lost answer is asked for again: a repeat finds the order cancelled
        settle(
            lambda: turn.client.cancel_order(order_id),
            done_already=lambda err: (
                err.code == "order-not-cancellable" and err.details.get("stage") == "cancelled"
            ),
        )
    except CommerceUncertain:
        turn.say("utter_order_cancel_unknown", order_id=order_id)
        return cleared()
    except CommerceRefused as err:
        if err.code != "order-not-cancellable":
            raise
        turn.say("utter_order_too_late_to_cancel", order_id=order_id)
        return cleared()
    turn.say("utter_order_cancelled", order_id=order_id)
    return cleared()


def ask_pin_again(turn: Turn) -> Events:
    turn.say("utter_ask_pin", EXPECT_PIN)
    return []


def not_placed(turn: Turn) -> Events:
    """No to the read-back (or at the PIN prompt): the order is not placed."""
    turn.say("utter_order_not_placed")
    return cleared()


def pin_refused(turn: Turn) -> Events:
    """No at the PIN prompt: of an erasure, the account is kept; of an order, none is placed."""
    return privacy.kept(turn) if turn.slot("pin_for") == "erase" else not_placed(turn)


def order_kept(turn: Turn) -> Events:
    turn.say("utter_order_kept")
    return closed()


on_pending("order", yes=lambda turn, _: confirm(turn), no=not_placed)
# At the PIN prompt a yes is no PIN: it is asked for again.
on_pending("pin", yes=lambda turn, _: ask_pin_again(turn), no=pin_refused, any_answer=True)
on_pending(
    "cancel_order",
    yes=lambda turn, choices: cancel_order(turn, int(choices[0]["order_id"])),
    no=order_kept,
    needs_choice=True,
)
