"""Buy again: "my last order", "my usual", "buy the coffee again"; substitutes for what is out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import AtPrompt, Events, SkillAction, Turn, choose_first, closed, on_pending
from skills.basket import add_lines, ask_to_empty, say_total, starts_afresh
from skills.contract import Purchase, UnavailableLine
from skills.search import as_choice

USUAL = re.compile(
    r"\b(usual|usually|regular|regularly|normal|normally|always|typically|every week|weekly)\b"
)
# "Did I buy oat milk before?" asks about the history; it buys nothing.
QUESTION = re.compile(
    r"^(?:um |uh |so )?(?:did|have|has|do|when did|how often do|how many times have"
    r"|what did|how much did)\b.*\b(?:i|we)\b"
)
# Words that say "things" rather than name a product ("the stuff I normally buy").
GENERIC = frozenset(
    [
        "stuff",
        "things",
        "items",
        "groceries",
        "shopping",
        "shop",
        "order",
        "basket",
        "lot",
        "usual",
        "everything",
        "bits",
    ]
)
STOP = frozenset(["the", "a", "an", "my", "some", "of", "i", "we", "any"])


def names_it(asked: str, item: Mapping[str, Any]) -> bool:
    """Whether ``item`` is what ``asked`` names: one of its words is in the product's name,
    brand or category (the history's fuzzy match alone found chocolate chips for oat milk)."""
    words = {w.rstrip("s") for w in re.findall(r"[a-z]+", asked.lower())} - STOP
    known = f"{item['name']} {item.get('brand', '')} {item.get('category', '')}".lower()
    return bool(words & {w.rstrip("s") for w in re.findall(r"[a-z]+", known)})


def named_product(turn: Turn) -> str | None:
    product = turn.entity("product")
    if product and set(product.lower().split()) - STOP <= GENERIC:
        return None  # "the stuff": no product named
    return product


def bought_before(turn: Turn, product: str) -> Purchase | None:
    bought = turn.client.purchases(q=product, limit=3)
    return next((item for item in bought if names_it(product, item)), None)


def source_skus(turn: Turn, source: str) -> set[str]:
    """What a reorder from ``source`` would add (by sku)."""
    if source == "usual":
        return {str(item["sku"]) for item in turn.client.usual()}
    for order in turn.client.orders(limit=5):
        if order.get("status") != "cancelled" and order.get("lines"):
            return {str(line["sku"]) for line in order["lines"]}
    return set()


def spoken_source(source: str) -> str:
    return "your usual" if source == "usual" else "your last order"


def reorder_now(turn: Turn, source: str) -> list[dict[str, Any]]:
    store = turn.store_id()
    result = turn.client.reorder(source, store)
    added = [speech.product(item, item["quantity"]) for item in result["added"]]
    if added:
        turn.say("utter_reordered", source=spoken_source(source), items=speech.join_and(added))
    unavailable = result["unavailable"]
    many = SlotSet("last_sku", None)  # "make it six" after a reorder names no one line
    if not unavailable:
        say_total(turn)
        return [SlotSet("choices", None), SlotSet("pending", None), many]
    if len(unavailable) > 1:
        turn.say(
            "utter_several_unavailable",
            items=speech.join_and(speech.product(u) for u in unavailable[1:]),
        )
    return [*offer_substitute(turn, unavailable[0], store), many]


def offer_substitute(turn: Turn, missing: UnavailableLine, store: str) -> list[dict[str, Any]]:
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


def answer_history(turn: Turn, product: str | None) -> list[dict[str, Any]]:
    """ "Did I buy oat milk before?": from the purchase history; nothing is changed."""
    if not product:
        turn.say("utter_ask_product")
        return []
    item = bought_before(turn, product)
    if item is None:
        turn.say("utter_not_bought_before", product=product)
        return []
    turn.say(
        "utter_bought_before",
        product=speech.product(item),
        times=speech.times(int(item["times_bought"])),
        last=speech.day(str(item["last_bought"])),
    )
    return []


class ActionReorder(SkillAction):
    action_name = "action_reorder"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        text = turn.text.lower()
        if starts_afresh(text):  # "start my basket again": emptied (after a yes), not refilled
            return ask_to_empty(turn, turn.client.basket())
        product = named_product(turn)
        if QUESTION.search(text):
            return answer_history(turn, product)  # a question buys nothing
        if product:
            return self.buy_again(turn, product)
        source = "usual" if USUAL.search(text) else "last_order"
        already = source_skus(turn, source) & {i["sku"] for i in turn.client.basket()["items"]}
        if already:
            # a second "reorder my last shop" would double the basket: ask first
            in_basket = [i for i in turn.client.basket()["items"] if i["sku"] in already]
            turn.say(
                "utter_reorder_already_in_basket",
                items=speech.join_and(speech.product(i) for i in in_basket),
                source=spoken_source(source),
            )
            choice = {"kind": "reorder", "source": source, "label": spoken_source(source)}
            return [SlotSet("choices", [choice]), SlotSet("pending", "reorder")]
        return reorder_now(turn, source)

    def buy_again(self, turn: Turn, product: str) -> list[dict[str, Any]]:
        item = bought_before(turn, product)
        if item is None:
            turn.say("utter_never_bought", product=product)
            return []
        added = add_lines(turn, [(item["sku"], 1)])
        turn.say("utter_added_items", items=speech.join_and(added))
        say_total(turn)
        return []


class ActionPurchaseHistory(SkillAction):
    """ "Did I buy oat milk before?", "when did I last get coffee?": answered, nothing bought."""

    action_name = "action_purchase_history"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        return answer_history(turn, named_product(turn))


def left_out(turn: Turn) -> Events:
    """No to the substitute offered: the missing item is left out."""
    turn.say("utter_left_out")
    return closed()


on_pending(
    "reorder", yes=lambda turn, choices: reorder_now(turn, choices[0]["source"]), needs_choice=True
)
on_pending("substitute", yes=choose_first, no=left_out, needs_choice=True)
