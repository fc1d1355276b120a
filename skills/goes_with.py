"""Goes well with: what people buy with a product, from every customer's orders.

On request ("what goes with salmon", "what should I buy with spaghetti"): the products the
service finds in the same orders more often than by chance (``GET /v1/products/{sku}/
bought-together``), up to three, and the first one in stock offered for a yes.

After an add (``offer_after_add``, called by the basket skill): at most one suggestion a
turn, and only a strong one ("people who buy spaghetti often add parmesan — add one?": in at
least ``OFFER_CONFIDENCE`` of that product's orders, ``OFFER_LIFT`` times likelier than in
any), in stock at the store and not in the basket. A clear yes adds it; anything else adds
nothing (a no closes the question, a new request leaves it). Never offered twice about the
same product in a conversation (slot ``hinted``), and never when the customer turned hints off
(``hints`` in their settings, ``PATCH /v1/me/settings``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import AtPrompt, Events, SkillAction, Turn, closed, on_pending
from skills.contract import Suggestion
from skills.phrases import item_phrases
from skills.search import as_choice, distinct, named

SPOKEN = 3  # suggestions said on request
OFFER_CONFIDENCE = 0.3  # "often": at least this share of the product's orders hold it
OFFER_LIFT = 2.0  # and this many times likelier with it than in any order
# Without a product entity, the product is what follows "with" ("what goes with the salmon").
AFTER_WITH = re.compile(r"\b(?:with|alongside|beside|and)\s+(?:a |an |the |some |my )?(.+)$")


def asked_about(turn: Turn) -> str | None:
    phrases = item_phrases(turn.text, turn.tracker.latest_message.get("entities", []))
    if turn.entities("product") and phrases:
        return phrases[0]
    found = AFTER_WITH.search(turn.text.lower().strip(" ?.!"))
    return found.group(1).strip() if found else None


def in_stock(suggestions: Iterable[Suggestion]) -> list[Suggestion]:
    return [s for s in suggestions if s.get("in_stock") is not False]


def offer(turn: Turn, suggestion: Suggestion, hinted: list[str]) -> Events:
    """The question "add one?" about ``suggestion``, and what it leaves open."""
    return [
        SlotSet("choices", [as_choice(suggestion)]),
        SlotSet("pending", "goes_with"),
        SlotSet("hinted", hinted),
    ]


class ActionGoesWith(SkillAction):
    """ "What goes with salmon?": what people buy with it, and the first offered."""

    action_name = "action_goes_with"
    at_prompt = AtPrompt.LEAVE

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        phrase = asked_about(turn)
        if not phrase:
            turn.say("utter_ask_product")
            return []
        store_id = turn.store_id()
        results = distinct(turn.client.resolve(phrase, store_id)["results"])
        if not results or not named(results[0]):  # never an answer about something else
            turn.say("utter_product_unknown", product=phrase)
            return closed()
        product = results[0]
        found = turn.client.bought_together(product["sku"], store_id)
        suggestions = in_stock(found["suggestions"])
        if not suggestions:
            turn.say("utter_goes_with_nothing", product=product["name"])
            return closed()
        names = [s["name"] for s in suggestions[:SPOKEN]]
        turn.say("utter_goes_well_with", product=product["name"], items=speech.join_and(names))
        first = suggestions[0]
        turn.say("utter_goes_with_offer", offer=as_choice(first)["label"])
        hinted = [*(turn.slot("hinted") or []), product["sku"], first["sku"]]
        return offer(turn, first, hinted)


def strong(suggestion: Suggestion) -> bool:
    return suggestion["confidence"] >= OFFER_CONFIDENCE and suggestion["lift"] >= OFFER_LIFT


def offer_after_add(turn: Turn, added: list[str]) -> Events:
    """After an add: at most one strong suggestion for what was added (the first product
    added that has one), unless hints are off or it was offered about before."""
    hinted: list[str] = list(turn.slot("hinted") or [])
    fresh = [sku for sku in added if sku not in hinted]
    if not fresh:
        return []
    store_id = turn.store_id()
    in_basket: set[str] | None = None
    for sku in fresh:
        found = turn.client.bought_together(sku, store_id)
        candidates = [s for s in in_stock(found["suggestions"]) if strong(s)]
        if not candidates:
            continue
        if in_basket is None:
            in_basket = {line["sku"] for line in turn.client.basket()["items"]}
        candidates = [s for s in candidates if s["sku"] not in in_basket | set(hinted)]
        if not candidates:
            continue
        if not turn.client.settings()["hints"]:
            return []
        first = candidates[0]
        label = as_choice(first)["label"]
        turn.say("utter_goes_with_hint", product=found["product"]["name"], offer=label)
        return offer(turn, first, [*hinted, sku, first["sku"]])
    return []


def accept(turn: Turn, choices: list[dict[str, Any]]) -> Events:
    """A clear yes to the suggestion: one pack of it in the basket."""
    from skills.basket import add_lines, say_total  # it imports this module

    added = add_lines(turn, [(choices[0]["sku"], int(choices[0].get("packs") or 1))])
    turn.say("utter_added_items", items=speech.join_and(added))
    say_total(turn)
    return closed()


on_pending("goes_with", yes=accept, needs_choice=True)
