"""Privacy: "what do you know about me" and "forget me".

What the shop keeps is said in outline, never the numbers a room should not hear (phone and
loyalty number are in the export, ``GET /v1/me/export``). Erasing the account
(``DELETE /v1/me``) happens only on a clear yes to a question that says what it means, and
then the PIN of a customer who has one; an order still waiting for pickup stops it first.
After it the reply carries ``{"erased": subject}``: the front end erases the conversations
filed under it (``assistant/conversations.py``) and ends the session.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import EXPECT_PIN, PROMPT_SLOTS, AtPrompt, Events, SkillAction, Turn, on_pending
from skills.client import CommerceRefused, CommerceUncertain, settle

ERASE = "forget_me"  # the pending question: "erase your account?"
ORDERS_COUNTED = 50  # "50 orders or more" past this


def cleared() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in PROMPT_SLOTS]


def ask_pin_to_erase(turn: Turn) -> list[dict[str, Any]]:
    turn.say("utter_ask_pin_to_erase", EXPECT_PIN)
    return [SlotSet("pending", "pin"), SlotSet("pin_for", "erase"), SlotSet("pin_tries", 0)]


def erase(turn: Turn, pin_ticket: str | None = None) -> list[dict[str, Any]]:
    """Erase the customer; an answer lost on the way is asked for again before a word (a
    repeat refused because the account is gone means the first one did it)."""
    subject = turn.client.me()["subject"]  # known before: a repeat finds the account gone
    try:
        erased = settle(
            lambda: turn.client.erase_me(pin_ticket),
            done_already=lambda err: err.code in ("auth-invalid", "customer-erased"),
        )
    except CommerceUncertain:
        turn.say("utter_erase_unknown")
        return cleared()
    except CommerceRefused as err:
        if err.code == "erase-open-orders":
            turn.say("utter_erase_open_orders")
            return cleared()
        if err.code in ("pin-required", "pin-ticket-invalid"):
            return ask_pin_to_erase(turn)
        if err.code == "pin-locked":
            turn.say("utter_erase_pin_locked")
            return cleared()
        raise
    if erased:
        subject = erased["subject"]
    turn.dispatcher.utter_message(response="utter_erased", json_message={"erased": subject})
    return cleared()


def confirmed(turn: Turn) -> list[dict[str, Any]]:
    """The customer said a clear yes to "erase your account?": the PIN first, if they have one."""
    if turn.client.me()["has_pin"]:
        return ask_pin_to_erase(turn)
    return erase(turn)


class ActionMyData(SkillAction):
    """What the shop keeps about the customer, in outline; a side question."""

    action_name = "action_my_data"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        me = turn.client.me()
        home = turn.client.store(me["home_store_id"])
        orders = len(turn.client.orders(limit=ORDERS_COUNTED))
        pickups = len(turn.client.pickups())
        items = len(turn.client.basket()["items"])
        turn.say(
            "utter_my_data",
            name=me["name"],
            store=home["name"],
            orders=f"{orders}{' or more' if orders >= ORDERS_COUNTED else ''} "
            + speech.noun(orders, "order"),
            pickups=f"{pickups} {speech.noun(pickups, 'pickup')}",
            items=f"{items} {speech.noun(items, 'item')}",
            pin="a PIN, kept only as a scrambled check" if me["has_pin"] else "no PIN",
        )
        return []


class ActionForgetMe(SkillAction):
    """Asks before anything is erased; an order waiting for pickup comes first."""

    action_name = "action_forget_me"
    at_prompt = AtPrompt.LEAVE

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        waiting = [o for o in turn.client.orders(limit=ORDERS_COUNTED) if o["status"] == "placed"]
        if waiting:
            turn.say("utter_erase_open_orders")
            return []
        turn.say("utter_confirm_erase")
        return [SlotSet("pending", ERASE), SlotSet("choices", None)]


def kept(turn: Turn) -> Events:
    """No to erasing the account (or at its PIN prompt): nothing is erased."""
    turn.say("utter_erase_kept")
    return cleared()


on_pending(ERASE, yes=lambda turn, _: confirmed(turn), no=kept)
