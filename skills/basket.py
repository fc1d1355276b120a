"""Basket: add (several items per sentence, quantities onto packs), remove, change, read back."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import (
    AtPrompt,
    Events,
    SkillAction,
    Turn,
    choose_first,
    closed,
    on_chosen,
    on_pending,
)
from skills.checkout import cleared, read_back
from skills.client import CommerceRefused
from skills.contract import Basket, BasketLine, ResolvedProduct
from skills.corrections import basket_lines_for, is_correction, line_meant
from skills.deals import hint_after_add
from skills.goes_with import offer_after_add
from skills.phrases import closest, item_phrases, number, one_product_runs
from skills.quantity_words import new_quantity
from skills.search import (
    Item,
    did_you_mean,
    distinct,
    is_clear,
    named,
    names_every_word,
    offer_choices,
    product_words,
)

READ_BACK_ITEMS = 5  # read this many lines aloud, then "and N more"
# The whole basket, not a line of it: "empty my basket", "clear the cart", "remove everything"
# (and "start my basket again": ``starts_afresh``).
EVERYTHING = re.compile(
    r"\b(empty|clear|wipe)\b|\b(everything|all of it|all items|all the items|all my items)\b",
    re.IGNORECASE,
)
START_AFRESH = re.compile(
    r"\bstart (?:my |the |a |our )?(?:shopping )?(?:basket |list |cart |trolley |order )?"
    r"(?:again|over|afresh|from scratch|from the beginning|from zero)\b"
    r"|\b(?:new|fresh|clean|empty) (?:basket|list|cart|trolley)\b|\bstart afresh\b",
)
# ... unless it says which old basket to start from: "start from my last basket"
PREVIOUS = re.compile(r"\b(last|previous|usual|same|before|last time|from my)\b")


def choose_in_stock(results: Sequence[Item]) -> tuple[Item | None, bool]:
    """(the product to add, whether the customer should rather be asked)."""
    top = results[0]
    if top.get("in_stock") is False:
        for other in results[1:4]:
            if other.get("in_stock") and other["category"] == top["category"]:
                return None, True
    return top, not is_clear(results)


def add_lines(turn: Turn, lines: list[tuple[str, int]]) -> list[str]:
    """Add (sku, packs) lines; return what was added, as spoken."""
    added = []
    for sku, packs in lines:
        basket = turn.client.add_item(sku, packs)
        turn.touched.append(sku)
        item = next(i for i in basket["items"] if i["sku"] == sku)
        added.append(speech.product(item, packs))
    return added


def say_total(turn: Turn) -> Basket:
    """Say the basket's count and total (the conversation's store's deals taken off); return
    the basket."""
    basket = turn.client.basket(turn.store_id())
    count = basket["item_count"]
    turn.say(
        "utter_basket_total",
        count=count,
        noun=speech.noun(count, "item"),
        total=speech.price(basket["total"]),
    )
    return basket


def last_line(turn: Turn, basket: Basket) -> tuple[str, int]:
    """The line this turn added last, and how many of it ``basket`` holds."""
    sku = turn.touched[-1]
    return sku, next((i["quantity"] for i in basket["items"] if i["sku"] == sku), 0)


def product_entities(turn: Turn) -> list[dict[str, Any]]:
    """The turn's entities, with products tagged apart that together name one product in the
    catalog joined ("a kilo of braeburn apples": one line, not Braeburn and Apples)."""
    store = turn.store_id()

    def one_product(words: str) -> bool:
        results = turn.client.resolve(words, store)["results"]
        return bool(results) and names_every_word(words, results[0])

    return one_product_runs(turn.text, turn.tracker.latest_message.get("entities", []), one_product)


class ActionAddToBasket(SkillAction):
    action_name = "action_add_to_basket"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if is_correction(turn):
            return change_quantity(turn)
        phrases = item_phrases(turn.text, product_entities(turn))
        if not phrases:
            return self.add_last_mentioned(turn)
        store = turn.store_id()
        to_add: list[tuple[str, int]] = []
        unknown: list[str] = []
        ask: list[ResolvedProduct] | None = None
        # what was said that names no product but resembles one ("butcher"), and the closest
        guess: tuple[str, list[ResolvedProduct]] | None = None
        # Resolve everything first, so a refusal on one item leaves the basket as it was.
        for phrase in phrases:
            try:
                resolution = turn.client.resolve(phrase, store)
            except CommerceRefused as err:
                if err.code == "quantity-out-of-range":
                    turn.say("utter_quantity_out_of_range_for", product=phrase)
                    return []
                raise
            results = distinct(resolution["results"])
            if not results:
                unknown.append(phrase)
                continue
            if not named(results[0]):  # never added on a resemblance: asked about, one at a time
                said = product_words(phrase, resolution["quantity"]["text"])
                if guess is None:
                    guess = (said, results)
                else:
                    unknown.append(said)
                continue
            chosen, unsure = choose_in_stock(results)
            if chosen is not None and (not unsure or len(phrases) > 1):
                to_add.append((chosen["sku"], int(chosen.get("packs") or 1)))
            elif ask is None:
                ask = [r for r in results if r.get("in_stock") is not False] or results
        added = add_lines(turn, to_add)
        events: list[dict[str, Any]] = []
        if added:
            turn.say("utter_added_items", items=speech.join_and(added))
        if guess is not None and ask is not None:
            unknown.append(guess[0])  # one question at a time: the menu first
            guess = None
        if unknown:
            turn.say("utter_product_unknown", product=speech.join_and(unknown))
        if ask is not None:
            events += offer_choices(turn, ask, "add_choice")
        elif guess is not None:
            events += did_you_mean(turn, *guess)
        elif added and turn.slot("pending") == "order":
            events += read_back(turn)  # added at the read-back: the quote heard is redone
        elif added:
            basket = say_total(turn)
            events += [SlotSet("choices", None), SlotSet("pending", None)]
            # one hint a turn: a deal the line does not fill, else what goes well with it
            hint = hint_after_add(turn, *last_line(turn, basket))
            events += hint or offer_after_add(turn, [sku for sku, _ in to_add])
        return events

    def add_last_mentioned(self, turn: Turn) -> list[dict[str, Any]]:
        """ "Add it" after a search: the product just described."""
        choices = turn.slot("choices") or []
        if turn.slot("pending") == "add_chosen" and len(choices) == 1:
            chosen = choices[0]
            packs = number(turn.entity("quantity")) or int(chosen.get("packs") or 1)
            added = add_lines(turn, [(chosen["sku"], packs)])
            turn.say("utter_added_items", items=speech.join_and(added))
            say_total(turn)
            return [SlotSet("choices", None), SlotSet("pending", None)]
        turn.say("utter_ask_product")
        return []


class ActionRemoveFromBasket(SkillAction):
    action_name = "action_remove_from_basket"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if is_correction(turn):
            return change_quantity(turn)
        phrases = item_phrases(turn.text, product_entities(turn))
        basket = turn.client.basket()
        items = basket["items"]
        if not items:
            turn.say("utter_basket_empty")
            return []
        if (EVERYTHING.search(turn.text) or starts_afresh(turn.text)) and not turn.entities(
            "product"
        ):
            return ask_to_empty(turn, basket)
        removed, missing = [], []
        for phrase in phrases:
            product = next(
                (e["value"] for e in turn.entities("product") if str(e["value"]) in phrase), phrase
            )
            lines = basket_lines_for(str(product), items)
            if not lines:
                missing.append(phrase)
                continue
            fewer = number(turn.entity("quantity")) if len(phrases) == 1 else None
            measure = measure_said(turn, phrase)
            sized = lines_of_size(lines, items, *measure) if measure else None
            if sized is not None:  # "a kilo of apples": the 1 kg bag, not the loose ones
                lines, fewer = [sized[0]], sized[1]
            for item in lines:
                if fewer and len(lines) == 1 and fewer < item["quantity"]:
                    turn.client.change_item(item["sku"], item["quantity"] - fewer)
                    removed.append(speech.product(item, fewer))
                else:
                    turn.client.remove_item(item["sku"])
                    removed.append(speech.product(item))
        at_read_back = turn.slot("pending") == "order"
        if removed:
            turn.say("utter_removed_items", items=speech.join_and(removed))
            if not at_read_back:
                say_total(turn)
        if missing or not phrases:
            turn.say("utter_not_in_basket", product=speech.join_and(missing) or "that")
        if removed and at_read_back:
            return read_back(turn)  # removed at the read-back: the quote heard is redone
        return []


# pack units -> (the unit an amount is said in, how many of it make one)
MEASURED = {"kg": ("g", 1000.0), "g": ("g", 1.0), "L": ("ml", 1000.0), "ml": ("ml", 1.0)}


def measure_said(turn: Turn, phrase: str) -> tuple[float, str] | None:
    """The weight or volume a removal names ("a kilo of apples": 1000 g), as the service
    reads quantities; None without one (a count, "two apples", is the line's quantity)."""
    if not any(str(e["value"]) in phrase for e in turn.entities("unit")):
        return None
    try:
        quantity = turn.client.resolve(phrase, turn.store_id(), limit=1)["quantity"]
    except CommerceRefused:
        return None
    amount, unit = quantity["amount"], quantity["unit"]
    return (float(amount), unit) if amount and unit in ("g", "ml") else None


def lines_of_size(
    lines: list[BasketLine], items: list[BasketLine], amount: float, unit: str
) -> tuple[BasketLine, int] | None:
    """The line of the product named whose packs make up ``amount`` (``unit``: g or ml), and
    how many of its packs that is: "a kilo of apples" is the 1 kg bag of Braeburn Apples, not
    the loose Braeburn Apples beside it (the name alone cannot tell them apart). Every size of
    the product named is looked at; the fewest packs win. None when no line's packs fit."""
    names = {line["name"] for line in lines}
    fits: list[tuple[int, int, BasketLine]] = []
    for position, item in enumerate(i for i in items if i["name"] in names):
        said_in, factor = MEASURED.get(item["unit"], ("", 0.0))
        if said_in != unit or item["size"] <= 0:
            continue
        packs = amount / (float(item["size"]) * factor)
        if packs >= 0.95 and abs(packs - round(packs)) <= 0.05 * packs:
            fits.append((round(packs), position, item))
    if not fits:
        return None
    packs, _, item = min(fits, key=lambda f: f[:2])
    return item, packs


def change_quantity(turn: Turn) -> list[dict[str, Any]]:
    """ "Make it three milks", "change the eggs to two": set the quantity of one basket line.

    At the checkout read-back ("make that 1") the order is read back again, so the yes that
    follows answers the new quote; a correction that cannot be resolved drops the quote."""
    items = turn.client.basket()["items"]
    quantity = new_quantity(turn.text) or number(turn.entity("quantity"))
    index = line_meant(turn, items)
    at_read_back = turn.slot("pending") == "order"
    if index is None or quantity is None:
        turn.say("utter_ask_change")
        return cleared() if at_read_back else []
    item = items[index]
    turn.client.change_item(item["sku"], quantity)
    turn.touched.append(item["sku"])
    turn.say("utter_quantity_changed", product=speech.product(item), quantity=quantity)
    if at_read_back:
        return read_back(turn)
    say_total(turn)
    return []


def ask_to_empty(turn: Turn, basket: Basket) -> list[dict[str, Any]]:
    """ "Empty my basket", "start my basket again": it discards the whole basket, so a yes
    first (answered in skills.core)."""
    if not basket["items"]:
        turn.say("utter_basket_empty")
        return []
    turn.say(
        "utter_ask_empty_basket",
        count=basket["item_count"],
        noun=speech.noun(basket["item_count"], "item"),
        total=speech.price(basket["total"]),
    )
    return [SlotSet("pending", "empty_basket"), SlotSet("choices", None)]


def starts_afresh(text: str) -> bool:
    """ "Start my basket again", "a fresh basket": the basket emptied, not the last order."""
    said = text.lower()
    return bool(START_AFRESH.search(said)) and not PREVIOUS.search(said)


def empty_basket(turn: Turn) -> list[dict[str, Any]]:
    """The customer said yes to emptying the basket."""
    turn.client.clear_basket()
    turn.say("utter_basket_emptied")
    return [SlotSet("pending", None), SlotSet("choices", None), SlotSet("last_sku", None)]


class ActionViewBasket(SkillAction):
    """Read the basket back briefly, or answer "is bread on my list?"."""

    action_name = "action_view_basket"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        basket = turn.client.basket()
        items = basket["items"]
        asked = turn.entity("product")
        if asked:
            index = closest(asked, [i["name"] for i in items]) if items else None
            if index is None:
                turn.say("utter_not_in_basket", product=asked)
            else:
                item = items[index]
                turn.say("utter_in_basket", product=speech.product(item, item["quantity"]))
            return []
        if not items:
            turn.say("utter_basket_empty")
            return []
        spoken = [speech.product(i, i["quantity"]) for i in items[:READ_BACK_ITEMS]]
        more = len(items) - READ_BACK_ITEMS
        if more > 0:
            spoken.append(f"{more} more")
        turn.say(
            "utter_basket_contents",
            items=speech.join_and(spoken),
            count=basket["item_count"],
            noun=speech.noun(basket["item_count"], "item"),
            total=speech.price(basket["total"]),
        )
        return []


# Questions whose product, once chosen, goes into the basket: which one to add, a substitute
# offered for a missing item, the one product offered.
ADDING = ("add_choice", "substitute", "add_chosen")


def product_chosen(turn: Turn, pending: str | None, chosen: dict[str, Any]) -> Events:
    """A product chosen: added, at a question that adds; otherwise offered to add."""
    if pending in ADDING:
        added = add_lines(turn, [(chosen["sku"], int(chosen.get("packs") or 1))])
        turn.say("utter_added_items", items=speech.join_and(added))
        say_total(turn)
        return closed() + offer_after_add(turn, [chosen["sku"]])
    turn.say("utter_chosen_product", product=chosen["label"])
    return [SlotSet("choices", [chosen]), SlotSet("pending", "add_chosen")]


def basket_kept(turn: Turn) -> Events:
    turn.say("utter_basket_kept")
    return closed()


on_chosen("product", product_chosen)
on_pending("add_chosen", yes=choose_first, needs_choice=True)
on_pending("empty_basket", yes=lambda turn, _: empty_basket(turn), no=basket_kept)
