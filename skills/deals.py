"""Deals: "what's on offer", "any deals on coffee", "is the cheddar on offer at riverside";
and, after an add, a deal the customer is not using said once ("it's 3 for 2 — want two
more?": a yes adds them, anything else adds nothing).

The store is the one named (honoured or questioned, never replaced), else the conversation's
(``GET /v1/stores/{id}/deals?q=``). A hint is said once per product per conversation (slot
``deal_hints_said``), only for a multi-buy the basket line does not fill, and never when the
customer turned hints off (``hints`` of ``GET /v1/me/settings``, the one setting the
goes-with offer reads too; "stop suggesting things" by voice, ``skills/hints.py``).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from skills import base, speech
from skills.base import AtPrompt, Events, SkillAction, Turn, store_for
from skills.contract import Deal

SAID_AT_MOST = 5  # deals read out at once; the rest are counted


def offer(deal: Deal) -> str:
    """ "Mature Cheddar, 400 grams, 3 for 2" """
    product = deal["product"]
    return f"{product['name']}, {speech.size(product['size'], product['unit'])}, {deal['title']}"


class ActionDeals(SkillAction):
    """What is on offer at a store, or on what was named. A question on the side: a yes/no
    question stays open (the PIN prompt does not)."""

    action_name = "action_deals"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        store = store_for(turn)
        if store is None:
            return []
        product = turn.entity("product") or turn.entity("brand")
        found = turn.client.deals(store["store_id"], q=product)
        if not found:
            if product:
                turn.say("utter_no_deals_on", product=product, store=store["name"])
            else:
                turn.say("utter_no_deals", store=store["name"])
            return []
        said = [offer(d) for d in found[:SAID_AT_MOST]]
        more = len(found) - len(said)
        if more:
            said.append(f"{more} more {speech.noun(more, 'offer')}")
        if product:
            turn.say(
                "utter_deals_on", product=product, store=store["name"], offers=speech.join_and(said)
            )
        else:
            turn.say("utter_deals_at_store", store=store["name"], offers=speech.join_and(said))
        return []


def hint_after_add(turn: Turn, sku: str, in_basket: int) -> Events:
    """After ``sku`` was added (``in_basket`` of it now): a multi-buy the line does not fill,
    said once per product per conversation, if the customer wants hints. Sets the question."""
    said = list(turn.slot("deal_hints_said") or [])
    if sku in said:
        return []
    multibuys = [d for d in turn.client.deals(turn.store_id(), sku=sku) if d["kind"] == "multibuy"]
    if not multibuys:
        return []
    deal = multibuys[0]
    buy = int(deal["buy"] or 0)
    if buy < 2 or in_basket % buy == 0:
        return []  # already using it
    if not turn.client.settings()["hints"]:
        return []
    more = buy - in_basket % buy
    product = deal["product"]
    turn.say("utter_deal_hint", deal=deal["title"], product=product["name"], more=more)
    choice = {"kind": "deal_more", "sku": sku, "packs": more, "label": product["name"]}
    return [
        SlotSet("deal_hints_said", [*said, sku]),
        SlotSet("pending", "deal_hint"),
        SlotSet("choices", [choice]),
    ]


def take_more(turn: Turn, pending: str | None, chosen: dict[str, Any]) -> Events:
    """Yes to the hint: the packs that complete the deal go in."""
    from skills.basket import add_lines, say_total  # it imports this module

    added = add_lines(turn, [(str(chosen["sku"]), int(chosen["packs"]))])
    turn.say("utter_added_items", items=speech.join_and(added))
    say_total(turn)
    return base.closed()


def no_more(turn: Turn) -> Events:
    turn.say("utter_deal_hint_declined")
    return base.closed()


base.on_chosen("deal_more", take_more)
base.on_pending("deal_hint", yes=base.choose_first, no=no_more, needs_choice=True)
