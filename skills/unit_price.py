"""Unit price: "which is cheaper per litre, oat milk or almond milk?", "what's the price per
kilo of carrots?", "which is the best value?" (of the options just read out).

Every product the service returns carries its shelf label's unit price (``price_per_unit`` per
``per_unit``: litre, kg or item). A product named is looked up at the conversation's store and
its packs compared: the best value (lowest unit price) and, when it is another pack, the
cheapest to buy. Two or more named are compared by their best-value packs. Nothing named:
the options of the menu just read out ("one, ...; two, ...") are compared, and the menu stays
open, so "the second one" still picks from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from skills import speech
from skills.base import AtPrompt, SkillAction, Turn
from skills.contract import SearchResult
from skills.phrases import item_phrases
from skills.search import Item, distinct

CANDIDATES = 20  # packs looked at per product named
FILLER = frozenset(("the", "a", "an", "of", "some", "pack", "bag", "big", "small", "one", "your"))
# "per 100 grams" / "per 100 ml": the label's unit price, tenth of the kilo or litre price
PER_HUNDRED = re.compile(r"\b(?:per|a|each) (?:100|hundred) ?(?:g|grams?|ml|millilit(?:re|er)s?)\b")


def unit_price(item: Mapping[str, Any], hundred: bool) -> str:
    amount, per = float(item["price_per_unit"]), str(item["per_unit"])
    if hundred and per in ("litre", "kg"):
        return speech.price(amount / 10) + (" per 100 ml" if per == "litre" else " per 100 grams")
    return speech.per_unit(amount, per)


def stems(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower())} - FILLER


def packs_of(turn: Turn, phrase: str) -> list[SearchResult]:
    """The packs a product phrase names at the conversation's store, those with a unit price:
    every one whose name (with its kind) has all the phrase's words ("oat milk": oat milks of
    every brand and size, not whole milk), else the top match's own product line."""
    found = [
        r
        for r in distinct(turn.client.search(phrase, turn.store_id(), limit=CANDIDATES))
        if r.get("price_per_unit") is not None
    ]
    if not found:
        return []
    wanted = stems(phrase)
    named = [r for r in found if wanted and wanted <= stems(f"{r['name']} {r['category']}")]
    return named or [r for r in found if r["name"] == found[0]["name"]]


def best_value(items: Sequence[Item]) -> Item:
    return min(items, key=lambda i: (float(i["price_per_unit"]), float(i["price"])))


class ActionComparePrices(SkillAction):
    """Unit prices compared; nothing is added. A question on the side: an open menu or yes/no
    stays open (the PIN prompt does not)."""

    action_name = "action_compare_prices"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        hundred = bool(PER_HUNDRED.search(turn.text.lower()))
        phrases = [
            p for p in item_phrases(turn.text, turn.tracker.latest_message.get("entities", [])) if p
        ]
        named = turn.entities("product")
        if not named:
            return self.compare_menu(turn, hundred)
        if len(named) == 1:
            return self.one_product(
                turn, phrases[0] if phrases else str(named[0]["value"]), hundred
            )
        return self.several(turn, [str(e["value"]) for e in named], hundred)

    def compare_menu(self, turn: Turn, hundred: bool) -> list[dict[str, Any]]:
        """ "Which is cheaper per litre?" after a menu: its options by unit price."""
        choices = [c for c in turn.slot("choices") or [] if c.get("kind") == "product"]
        priced = [c for c in choices if c.get("price_per_unit") is not None]
        if len(priced) < 2:
            turn.say("utter_ask_compare_what")
            return []
        if len({c["per_unit"] for c in priced}) > 1:  # a litre against a kilo: no fair comparison
            turn.say("utter_units_differ")
            return []
        best = min(priced, key=lambda c: (float(c["price_per_unit"]), float(c["price"])))
        turn.say(
            "utter_best_value_of_options",
            option=speech.NUMBER_WORDS[choices.index(best)],
            product=best["label"],
            unit_price=unit_price(best, hundred),
            others=speech.join_and(
                f"number {speech.NUMBER_WORDS[choices.index(c)]} {unit_price(c, hundred)}"
                for c in priced
                if c is not best
            ),
        )
        return []

    def one_product(self, turn: Turn, phrase: str, hundred: bool) -> list[dict[str, Any]]:
        packs = packs_of(turn, phrase)
        if not packs:
            turn.say("utter_product_unknown", product=phrase)
            return []
        best = best_value(packs)
        turn.say(
            "utter_unit_price",
            product=speech.product(best),
            price=speech.price(float(best["price"])),
            unit_price=unit_price(best, hundred),
        )
        cheapest = min(packs, key=lambda i: float(i["price"]))
        if cheapest["sku"] != best["sku"]:
            turn.say(
                "utter_cheapest_pack",
                product=speech.product(cheapest),
                price=speech.price(float(cheapest["price"])),
                unit_price=unit_price(cheapest, hundred),
            )
        return []

    def several(self, turn: Turn, names: list[str], hundred: bool) -> list[dict[str, Any]]:
        bests: list[Mapping[str, Any]] = []  # each with a unit price (packs_of)
        for name in names:
            packs = packs_of(turn, name)
            if not packs:
                turn.say("utter_product_unknown", product=name)
                return []
            bests.append(best_value(packs))
        if len({b["per_unit"] for b in bests}) > 1:
            turn.say("utter_units_differ")
            return []
        if len({b["sku"] for b in bests}) < len(bests):
            # two names found the same product: nothing to compare, say its price
            return self.one_product(turn, names[0], hundred)
        ranked = sorted(bests, key=lambda b: float(b["price_per_unit"]))
        turn.say(
            "utter_cheaper_per_unit",
            cheaper=ranked[0]["name"],
            unit_price=unit_price(ranked[0], hundred),
            product=speech.product(ranked[0]),
            others=speech.join_and(f"{b['name']} at {unit_price(b, hundred)}" for b in ranked[1:]),
        )
        return []
