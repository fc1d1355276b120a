"""Buy again: "my last order", "my usual", "buy the coffee again"; substitutes for what is out."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import SkillAction, Turn
from skills.basket import add_lines, say_total
from skills.search import as_choice

USUAL = re.compile(r"\b(usual|regular|normal|always|every week|weekly)\b")
LAST = re.compile(r"\b(last|previous|same as|again)\b")


def offer_substitute(turn: Turn, missing: dict[str, Any], store: str) -> list[dict[str, Any]]:
    options = missing["substitutes"]
    if not options:
        turn.say("utter_unavailable_no_substitute", product=speech.product(missing))
        return []
    first = options[0]
    turn.say(
        "utter_offer_substitute",
        product=speech.product(missing),
        substitute=f"{speech.product(first)}, {speech.price(first['price'])}",
    )
    choices = [as_choice(option, int(missing.get("quantity") or 1)) for option in options]
    return [SlotSet("choices", choices), SlotSet("pending", "substitute")]


class ActionReorder(SkillAction):
    action_name = "action_reorder"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        text = turn.text.lower()
        product = turn.entity("product")
        if product and not USUAL.search(text):
            return self.buy_again(turn, product)
        source = "usual" if USUAL.search(text) else "last_order"
        store = turn.store_id()
        result = turn.client.reorder(source, store)
        added = [speech.product(item, item["quantity"]) for item in result["added"]]
        if added:
            turn.say(
                "utter_reordered",
                source="your usual" if source == "usual" else "your last order",
                items=speech.join_and(added),
            )
        unavailable = result["unavailable"]
        if not unavailable:
            say_total(turn)
            return [SlotSet("choices", None), SlotSet("pending", None)]
        if len(unavailable) > 1:
            turn.say(
                "utter_several_unavailable",
                items=speech.join_and(speech.product(u) for u in unavailable[1:]),
            )
        return offer_substitute(turn, unavailable[0], store)

    def buy_again(self, turn: Turn, product: str) -> list[dict[str, Any]]:
        bought = turn.client.purchases(q=product, limit=1)
        if not bought:
            turn.say("utter_never_bought", product=product)
            return []
        item = bought[0]
        added = add_lines(turn, [(item["sku"], 1)])
        turn.say("utter_added_items", items=speech.join_and(added))
        say_total(turn)
        return []
