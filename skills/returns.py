"""Returns in store: "I want to return the yoghurt from my last order".

Which order line (the product named, in the last order or the recent ones; a menu when several
fit), how many (asked when more than one was bought and none was said) and why (damaged, the
wrong item, or a change of mind: asked when not said; "I changed my mind" there is the reason,
not a cancel). The service's policy is asked before anything is read back
(``POST /v1/me/returns/check``): a refusal is said with its reason. The return authorisation
moves money, so it is made only on a clear yes to the read-back, once (one idempotency key per
read-back), and its short code is spelt out for the store's pickup desk — or it rides along
with the next pickup booked. The refund goes to the original payment, or to loyalty points when
the customer says so.
"""

from __future__ import annotations

import re
import uuid
from difflib import SequenceMatcher
from typing import Any

from rasa_sdk.events import SlotSet
from text_to_num import alpha2digit

from skills import speech
from skills.base import (
    SHOW_CONFIRM,
    AtPrompt,
    Events,
    SkillAction,
    Turn,
    closed,
    on_answer,
    on_chosen,
    on_pending,
)
from skills.client import CommerceRefused, CommerceUncertain, settle
from skills.contract import Order

REQUEST = "return_request"  # the slot: what is being returned so far
RECENT_ORDERS = 10
MENU = 3
REASONS = (  # first match wins: "the wrong one, it was off" is the wrong item
    ("wrong-item", r"wrong|not what i (ordered|asked for)|didn'?t order|mix(ed)?[ -]?up|"
                   r"someone else'?s|substitut\w*"),
    ("changed-mind", r"chang\w* (my|of) mind|don'?t (need|want|like)|didn'?t (need|want|like)|"
                     r"no longer|not needed|too many|bought too|unwanted|by mistake"),
    ("damaged", r"damaged|broken|bad|off|rotten|mouldy|moldy|leak\w*|crushed|squashed|smashed|"
                r"split|out of date|expired|faulty|spoil\w*|stale|cracked|burst|torn|dented|"
                r"faulty|defective|went off|gone off"),
)  # fmt: skip
SAID_REASON = {"damaged": "damaged", "wrong-item": "the wrong item",
               "changed-mind": "a change of mind"}  # fmt: skip
EVERYTHING = re.compile(r"\b(all|both|every|everything|whole lot|the lot)\b")
STOP = {"the", "a", "an", "my", "some", "of", "from", "last", "order", "return", "back", "it",
        "them", "pack", "packs", "please"}  # fmt: skip
REFUSALS = {
    "order-cancelled": "utter_return_order_cancelled",
    "order-not-collected": "utter_return_not_collected",
    "already-returned": "utter_return_already",
    "return-more-than-bought": "utter_return_more_than_bought",
    "return-window-closed": "utter_return_window_closed",
    "return-perishable": "utter_return_perishable",
    "order-not-found": "utter_return_not_found",
    "order-line-not-found": "utter_return_not_found",
}


def reason_in(text: str) -> str | None:
    said = text.lower()
    return next((r for r, words in REASONS if re.search(rf"\b(?:{words})\b", said)), None)


def quantity_in(text: str, bought: int) -> int | None:
    """Packs said: "two", "just 1", "all of them" (all that was bought)."""
    said = alpha2digit(text.lower(), "en", threshold=0)
    found = re.search(r"\b(\d+)\b", said)
    if found:
        return int(found[1])
    return bought if EVERYTHING.search(said) else None


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return {w.rstrip("s") for w in words if w not in STOP and len(w) > 2}


def names(product: str, line_name: str) -> bool:
    """Whether the words said name the line ("yogurt" names Greek Style Yoghurt)."""
    said, named = _stems(product), _stems(line_name)
    return bool(said) and all(
        any(w == n or SequenceMatcher(None, w, n).ratio() >= 0.8 for n in named) for w in said
    )


def returnable(orders: list[Order]) -> list[Order]:
    """Orders the customer has taken home, newest first: collected, or their pickup passed."""
    return [
        o
        for o in orders
        if o["status"] == "collected"
        or (o["status"] == "placed" and o["stage"] != "being-prepared")
    ]


def lines_named(turn: Turn, product: str) -> list[dict[str, Any]]:
    """The lines ``product`` names, one per product (its newest order), newest first; only in
    the last order when the customer said so."""
    orders = returnable(turn.client.orders(limit=RECENT_ORDERS))
    if re.search(r"\b(last|latest|recent|most recent) (order|shop|shopping|delivery|pickup)\b",
                 turn.text.lower()):  # fmt: skip
        orders = orders[:1]
    found: dict[str, dict[str, Any]] = {}
    for order in orders:
        day = speech.day(order["pickup_start"] or order["created_at"])
        for line in order["lines"]:
            if line["sku"] not in found and names(product, line["name"]):
                found[line["sku"]] = {
                    "kind": "return_line",
                    "order_id": order["order_id"],
                    "sku": line["sku"],
                    "name": line["name"],
                    "bought": line["quantity"],
                    "day": day,
                    "label": f"{line['name']} from {day}",
                }
    return list(found.values())


def refusal(turn: Turn, err: CommerceRefused, request: dict[str, Any]) -> Events:
    response = REFUSALS.get(err.code)
    if response is None:
        raise err
    turn.say(
        response,
        product=request["name"],
        returnable=err.details.get("returnable", 0),
        days=err.details.get("window_days", 30),
    )
    return [*closed(), SlotSet(REQUEST, None)]


def ask(turn: Turn, request: dict[str, Any], pending: str, response: str) -> Events:
    turn.say(response, product=request["name"], bought=request["bought"])
    return [SlotSet(REQUEST, request), SlotSet("pending", pending), SlotSet("choices", None)]


def proceed(turn: Turn, request: dict[str, Any]) -> Events:
    """Ask what is still missing (how many, why), then check with the policy and read back."""
    if "points" in turn.text.lower().split() or "point" in turn.text.lower().split():
        request["refund_to"] = "points"
    if request.get("quantity") is None:
        if request["bought"] > 1:
            return ask(turn, request, "return_quantity", "utter_ask_return_quantity")
        request["quantity"] = 1
    if request["quantity"] > request["bought"] or request["quantity"] < 1:
        request["quantity"] = None
        return ask(turn, request, "return_quantity", "utter_return_bought_only")
    if not request.get("reason"):
        return ask(turn, request, "return_reason", "utter_ask_return_reason")
    refund_to = request.get("refund_to") or "payment"
    try:
        checked = turn.client.check_return(
            request["order_id"], request["sku"], request["quantity"], request["reason"], refund_to
        )
    except CommerceRefused as err:
        return refusal(turn, err, request)
    request["key"] = f"voice-return-{uuid.uuid4().hex}"  # one per read-back: a yes makes one
    turn.say(
        "utter_return_readback",
        SHOW_CONFIRM,
        count=checked["quantity"],
        product=checked["name"],
        day=request["day"],
        reason=SAID_REASON[checked["reason"]],
        refund=speech.price(checked["refund"]),
        to="your loyalty points" if refund_to == "points" else "your original payment",
    )
    return [SlotSet(REQUEST, request), SlotSet("pending", "return"), SlotSet("choices", None)]


def authorise(turn: Turn) -> Events:
    """A clear yes to the read-back: the return is made, once (the read-back's key)."""
    request = turn.slot(REQUEST) or {}
    if not request.get("key"):
        turn.say("utter_nothing_to_confirm")
        return closed()
    refund_to = request.get("refund_to") or "payment"
    try:
        made = settle(
            lambda: turn.client.make_return(
                request["order_id"],
                request["sku"],
                request["quantity"],
                request["reason"],
                refund_to,
                request["key"],
            )
        )
    except CommerceUncertain:
        turn.say("utter_return_outcome_unknown")
        return [*closed(), SlotSet(REQUEST, None)]
    except CommerceRefused as err:
        return refusal(turn, err, request)
    assert made is not None  # a repeat with the same key answers with the return itself
    code = " ".join(made["code"])  # spelt out, one character at a time
    refund = speech.price(made["refund"])
    if made["pickup_start"]:
        when = speech.when(made["pickup_start"])
        turn.say("utter_return_with_pickup", code=code, store=made["store_name"], when=when,
                 refund=refund)  # fmt: skip
    else:
        turn.say("utter_return_at_desk", code=code, store=made["store_name"], refund=refund)
    return [*closed(), SlotSet(REQUEST, None)]


def not_made(turn: Turn) -> Events:
    turn.say("utter_return_not_made")
    return [*closed(), SlotSet(REQUEST, None)]


def quantity_answer(turn: Turn) -> Events | None:
    request = dict(turn.slot(REQUEST) or {})
    quantity = quantity_in(turn.text, int(request.get("bought") or 0))
    if quantity is None or not request:
        return None
    request["quantity"] = quantity
    request["reason"] = request.get("reason") or reason_in(turn.text)
    return proceed(turn, request)


def reason_answer(turn: Turn) -> Events | None:
    request = dict(turn.slot(REQUEST) or {})
    reason = reason_in(turn.text)
    if reason is None or not request:
        return None
    request["reason"] = reason
    return proceed(turn, request)


def line_chosen(turn: Turn, pending: str | None, chosen: dict[str, Any]) -> Events:
    """One of the lines of the menu: carry on with what was said before it."""
    said = turn.slot(REQUEST) or {}
    request = {**chosen, "quantity": said.get("quantity"), "reason": said.get("reason"),
               "refund_to": said.get("refund_to")}  # fmt: skip
    return proceed(turn, request)


class ActionReturnItem(SkillAction):
    """ "Return the yoghurt from my last order": the line, how many, why; then the read-back."""

    action_name = "action_return_item"
    at_prompt = AtPrompt.LEAVE

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        product = " ".join(e["value"] for e in turn.entities("product")) or _unnamed(turn.text)
        if not product:
            turn.say("utter_return_name_it")
            return []
        lines = lines_named(turn, product)
        if not lines:
            turn.say("utter_return_not_found", product=product)
            return []
        quantity = turn.entity("quantity")
        said = {
            "quantity": quantity_in(quantity, 0) if quantity else None,
            "reason": reason_in(turn.text),
            "refund_to": "points" if re.search(r"\bpoints?\b", turn.text.lower()) else None,
        }
        if len(lines) > 1:
            menu = lines[:MENU]
            turn.say("utter_return_which", options=speech.numbered([c["label"] for c in menu]))
            return [SlotSet(REQUEST, said), SlotSet("choices", menu),
                    SlotSet("pending", "return_line")]  # fmt: skip
        return proceed(turn, {**lines[0], **said})


FRAME = re.compile(
    r"\b(i'?d like to|i want to|i need to|can i|could i|how do i|please|return(ing)?|send|"
    r"bring|take|back|refund|money|for|a|an|the|my|some|item|items|thing|things|something|"
    r"from|of|last|order|shop|it|them|this|that|these|those|to|you|get|was|were|is|are|i|"
    r"want|wanna|would|like|because|they|its|it's|so|and|but|all|start|make|set|up)\b"
)


def _unnamed(text: str) -> str:
    """What is left of "return the X from my last order" once its frame is gone."""
    rest = FRAME.sub(" ", text.lower())
    rest = re.sub(r"[^a-z ]+", " ", rest)
    for _, words in REASONS:
        rest = re.sub(rf"\b(?:{words})\b", " ", rest)
    return " ".join(rest.split())


on_pending("return", yes=lambda turn, _: authorise(turn), no=not_made)
on_pending("return_quantity", no=not_made)
on_pending("return_reason", no=not_made)
on_answer("return_quantity", quantity_answer)
on_answer("return_reason", reason_answer)
on_chosen("return_line", line_chosen)
