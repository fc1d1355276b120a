"""Product search: say price, pack size and stock; offer a numbered choice when several fit."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import SkillAction, Turn, store_for
from skills.phrases import item_phrases

Item = TypeVar("Item", bound=Mapping[str, Any])

CHOICES_OFFERED = 3
CLEAR_LEAD = 0.88  # the runner-up scoring below this share of the best means one clear answer
UNIT_BASE = {"L": 1000.0, "kg": 1000.0}
# Matches that say a product was named: a word of its name, another name of it, or its kind
# ("pasta": Penne). A hit found only by its brand or department, or only by a misspelt or
# sound-alike word, names no product ("butter" misheard as "butcher" found Brackenhill
# Butchers' drumsticks by their brand): it is offered with a question, never acted on.
NAMED = frozenset(("name", "synonym", "category"))


def base_size(item: Mapping[str, Any]) -> float:
    return float(item["size"]) * UNIT_BASE.get(item["unit"], 1.0)


def distinct(results: Sequence[Item]) -> list[Item]:
    """Results a person can tell apart by ear: one per (name, brand, size)."""
    seen, out = set(), []
    for item in results:
        key = (item["name"], item["brand"], item["size"], item["unit"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def named(item: Mapping[str, Any]) -> bool:
    """Whether the words said name ``item`` (``NAMED``), rather than only resemble it."""
    return item.get("match") in NAMED


def names_every_word(phrase: str, item: Mapping[str, Any]) -> bool:
    """Whether ``phrase`` names ``item`` (``NAMED``) with every word in its name: "braeburn
    apples" and Braeburn Apples, not "milk eggs" and Whole Milk."""
    if item.get("match") not in ("name", "synonym"):
        return False
    name = {w.rstrip("s") for w in re.findall(r"[a-z]+", str(item.get("name", "")).lower())}
    said = {w.rstrip("s") for w in re.findall(r"[a-z]+", phrase.lower())}
    return bool(said) and said <= name


def product_words(phrase: str, quantity: str | None) -> str:
    """The product as said, without its quantity: "butcher" of "a kilo of butcher"."""
    words = phrase
    if quantity and quantity.lower() in phrase.lower():
        at = phrase.lower().index(quantity.lower())
        words = phrase[:at] + phrase[at + len(quantity) :]
    words = re.sub(r"^\s*(?:of|some|any)\s+", "", words.strip(" ,."))
    return words.strip() or phrase


def did_you_mean(
    turn: Turn, said: str, results: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Nothing said names a product, only resembles one: say so and offer the closest (in
    stock, if one is), for a yes ("add some butcher": "Did you mean Chicken Drumsticks?")."""
    closest = next((r for r in results if r.get("in_stock") is not False), results[0])
    offer = as_choice(closest, closest.get("packs") or 1)
    turn.say("utter_did_you_mean", product=said, offer=offer["label"])
    return [SlotSet("choices", [offer]), SlotSet("pending", "add_chosen")]


def is_clear(results: Sequence[Mapping[str, Any]]) -> bool:
    if len(results) < 2:
        return True
    return results[1]["score"] < results[0]["score"] * CLEAR_LEAD


def as_choice(item: Mapping[str, Any], packs: int = 1, with_brand: bool = False) -> dict[str, Any]:
    described = speech.product(item)
    if with_brand and item.get("brand") and not described.startswith(item["brand"]):
        described = f"{item['brand']} {described}"
    return {
        "kind": "product",
        "sku": item["sku"],
        "label": f"{described}, {speech.price(item['price'])}",
        "name": item["name"],
        "packs": packs,
        "size": base_size(item),
        "price": item["price"],
        "in_stock": item.get("in_stock"),
        # the shelf label's unit price, for "which is cheaper per litre?" (skills/unit_price.py)
        "price_per_unit": item.get("price_per_unit"),
        "per_unit": item.get("per_unit"),
    }


def offer_choices(
    turn: Turn, results: Sequence[Mapping[str, Any]], mode: str
) -> list[dict[str, Any]]:
    """Speak a short numbered menu and remember it for "the second one"."""
    offered = results[:CHOICES_OFFERED]
    # Two offers that would sound the same ("Oat Milk, 1 litre") are told apart by brand.
    spoken = [speech.product(item) for item in offered]
    with_brand = len(set(spoken)) < len(spoken)
    options = [as_choice(item, item.get("packs") or 1, with_brand) for item in offered]
    turn.say("utter_product_choices", options=speech.numbered([o["label"] for o in options]))
    return [SlotSet("choices", options), SlotSet("pending", mode)]


def describe(turn: Turn, item: Mapping[str, Any], store_name: str) -> None:
    values = {
        "product": speech.product(item),
        "price": speech.price(item["price"]),
        "store": store_name,
    }
    if item.get("in_stock"):
        turn.say("utter_product_in_stock", **values)
    else:
        turn.say("utter_product_out_of_stock", **values)


class ActionSearchProduct(SkillAction):
    action_name = "action_search_product"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        phrases = item_phrases(turn.text, turn.tracker.latest_message.get("entities", []))
        if not phrases:
            turn.say("utter_ask_product")
            return []
        # "is it in stock at riverside": that store's stock, not the home store's
        store = store_for(turn)
        if store is None:
            return []
        resolution = turn.client.resolve(phrases[0], store["store_id"])
        results = distinct(resolution["results"])
        if not results:
            turn.say("utter_product_unknown", product=phrases[0])
            return [SlotSet("choices", None), SlotSet("pending", None)]
        if not named(results[0]):  # never an answer about something else
            return did_you_mean(
                turn, product_words(phrases[0], resolution["quantity"]["text"]), results
            )
        if is_clear(results):
            describe(turn, results[0], store["name"])
            return [
                SlotSet("choices", [as_choice(results[0], results[0].get("packs") or 1)]),
                SlotSet("pending", "add_chosen"),
            ]
        return offer_choices(turn, results, "choose_product")
