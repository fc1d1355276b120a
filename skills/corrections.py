"""A new quantity for a basket line: the words of a correction ("make it six", "change the
eggs to two", "six instead of twelve") and the line it means; ``skills.basket`` changes it."""

from __future__ import annotations

import re

from skills.base import Turn
from skills.contract import BasketLine
from skills.phrases import closest
from skills.quantity_words import REPLACED, corrects_quantity, digits

# Words of a correction that name no basket line: "make it six instead of twelve".
FRAME = frozenset(
    (
        "make", "it", "that", "them", "those", "this", "these", "the", "my", "our", "a", "an",
        "change", "set", "update", "increase", "decrease", "reduce", "lower", "raise", "bump",
        "up", "put", "cut", "drop", "adjust", "bring", "knock", "down", "to", "instead", "of",
        "rather", "than", "not", "just", "only", "actually", "no", "should", "be", "number",
        "amount", "quantity",
        "nope", "oh", "sorry", "wait", "um", "uh", "er", "erm", "hmm", "oops", "well", "ok", "okay",
        "please", "then", "thanks", "i", "meant", "said", "mean", "can", "you", "could", "would",
        "like", "want", "need", "let's", "lets", "basket", "list", "cart", "trolley", "in", "on",
    )
)  # fmt: skip
UNIT_WORDS = frozenset(
    (
        "pack", "packs", "bag", "bags", "bottle", "bottles", "tin", "tins", "can", "cans", "loaf",
        "loaves", "box", "boxes", "jar", "jars", "carton", "cartons", "pint", "pints", "litre",
        "litres", "liter", "liters", "kilo", "kilos", "kg", "gram", "grams", "g", "ml", "dozen",
        "bunch", "bunches", "punnet", "punnets", "tub", "tubs", "one", "ones", "of", "them",
        "please",
    )
)  # fmt: skip


def named_words(text: str) -> set[str]:
    """What a correction names besides its frame, numbers and units: {"bananas"} of "make the
    bananas six", nothing of "make it six"."""
    words = re.findall(r"[a-z][a-z'-]*", digits(text))
    return {w for w in words if w not in FRAME and w not in UNIT_WORDS}


FILLER = frozenset({"the", "a", "an", "some", "my", "of", "any", "all"})


def basket_lines_for(product: str, items: list[BasketLine]) -> list[BasketLine]:
    """The basket lines ``product`` names: the line whose name it resembles, else every line
    of the category it names ("remove the pasta" when the basket holds Penne), else every
    line one of whose other names has its words ("the cheese": Mild Cheddar, alias "cheddar
    cheese")."""
    index = closest(product, [i["name"] for i in items])
    if index is not None:
        return [items[index]]
    wanted = product.lower()
    words = {w.rstrip("s") for w in wanted.split()}

    def named(category: str) -> bool:
        return bool(category) and (category in wanted or category.rstrip("s") in words)

    by_category = [i for i in items if named(str(i.get("category", "")).lower())]
    if by_category:
        return by_category

    def called(synonym: str) -> bool:
        return bool(words) and words <= {w.rstrip("s") for w in synonym.lower().split()}

    words -= FILLER
    return [i for i in items if any(called(str(s)) for s in i.get("synonyms") or [])]


def line_meant(turn: Turn, items: list[BasketLine]) -> int | None:
    """The basket line a correction is about: the product named, else the line that has the
    quantity being replaced ("six instead of twelve"), else, when no product is named ("make it
    six"), the line last added or changed, else the only line; None to ask. A product named
    that is not in the basket is questioned, never replaced by another line."""
    if not items:
        return None
    names = [i["name"] for i in items]
    named = turn.entity("product")
    index = closest(named or turn.text, names)
    if index is not None:
        return index
    said = named_words(turn.text)
    if named or said:
        # "make the bananas six": a line whose name or kind has those words
        lines = basket_lines_for(named or " ".join(sorted(said)), items)
        return items.index(lines[0]) if len(lines) == 1 else None
    replaced = REPLACED.search(digits(turn.text))
    if replaced:
        having = [i for i, item in enumerate(items) if item["quantity"] == int(replaced[1])]
        if len(having) == 1:
            return having[0]
    last = turn.slot("last_sku")
    if last:
        found = [i for i, item in enumerate(items) if item["sku"] == last]
        if found:
            return found[0]
    return 0 if len(items) == 1 else None


def is_correction(turn: Turn) -> bool:
    """A new quantity for something in the basket ("make that 1", "change the eggs to 2")."""
    return corrects_quantity(turn.text, turn.entity("quantity"))


def correction_for_the_basket(turn: Turn) -> bool:
    """A correction that can only be about the basket, for actions that otherwise do something
    else with the words ("change the eggs to two" filed as nothing at all): it names a basket
    line, or nothing but a number ("make it six", "actually six") while the basket has lines.
    "Set the thermostat to 20" names no line and stays what it was."""
    if not is_correction(turn):
        return False
    items = turn.client.basket()["items"]
    return line_meant(turn, items) is not None
