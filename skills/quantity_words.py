"""The words of a quantity correction ("make it six", "change the eggs to two", "six instead
of twelve") and the quantity it asks for. Text only: ``skills.corrections`` finds the basket
line it means, and ``skills.base`` lets a correction through at an open yes/no."""

from __future__ import annotations

import re

from text_to_num import alpha2digit

# A new quantity for something already in the basket, not more of it: "change the milk to two",
# "make it three", "make the bananas six", "actually six", "just one avocado, not three". The
# training data files these under add_to_basket, up or down ("reduce the eggs to six" too); the
# NLU may still answer remove_from_basket or whatever else it likes (a yes, a pickup change,
# nothing at all): the words decide. Read on the text with its number words as digits.
NEW_QUANTITY = (
    re.compile(
        r"\b(change|set|update|increase|decrease|reduce|lower|raise|bump|up|put|cut|drop|adjust|"
        r"bring|knock)\b.*\bto \d+\b"
    ),
    # "make it 6", "make that 1", "make the bananas 6", "make my eggs 2 instead" (not "make a
    # lasagne for 4": an article or "for" is no basket line's correction)
    re.compile(
        r"\bmake (?:(?:it|that|them|those|this|these)\b|(?:the|my) (?:(?!for\b)[a-z'-]+ ){1,4}"
        r"(?=\d))\D*\d+\b"
    ),
    re.compile(r"\d+\b.*\b(?:instead|rather than)\b|\b(?:instead|rather than)\b.*\d+\b"),
    re.compile(r"\b(just|only)\b.*\bnot\b"),
    # "actually 6", "no, 6", "sorry, I meant 6", "I said 6 not 12"
    re.compile(
        r"^(?:(?:actually|no|nope|oh|sorry|wait|um|uh|er|erm|hmm|oops|well|ok|okay)[ ,.!]+)+"
        r"(?:(?:i meant|i said|i mean|make it|make that|just|only)\s+)?\d+"
        r"(?:\s+(?:please|then|instead|thanks))?\s*[.!]?$"
    ),
    re.compile(r"^(?:i meant|i said|i mean) \d+\b"),
    # "6 not 12", "just 6 then", "only 6 please"
    re.compile(r"^\d+ (?:not|instead of|rather than) \d+\b"),
    # "I want 3 avocados not 5", "the eggs should be 6 not 12"
    re.compile(r"\b\d+\b.*\bnot \d+\b"),
    re.compile(r"^(?:just|only) \d+(?:\s+(?:please|then|thanks|instead))?\s*[.!]?$"),
    # "I only want 6 bananas", "just need 2"
    re.compile(r"^(?:i )?(?:only|just) (?:want|need) \d+\b"),
)


REPLACED = re.compile(r"\b(?:instead of|not|rather than|from) (\d+)\b")
FEWER = re.compile(r"\b(less|fewer)\b", re.IGNORECASE)


def digits(text: str) -> str:
    """``text`` lower-cased, its number words as digits: "make it six" -> "make it 6"."""
    return alpha2digit(text.lower(), "en", threshold=0)


def wants_new_quantity(text: str) -> bool:
    said = digits(text)
    return any(p.search(said) for p in NEW_QUANTITY) and not FEWER.search(said)


def new_quantity(text: str) -> int | None:
    """The quantity a correction asks for: "make that one" -> 1, "change the eggs to two" -> 2,
    "six instead of twelve" -> 6, "actually six" -> 6; None when ``text`` is no quantity
    correction."""
    if not wants_new_quantity(text):
        return None
    said = digits(text)
    after_to = re.search(r"\bto (\d+)\b", said)
    if after_to:
        return int(after_to[1])
    # the number being replaced is not the new one: "instead of twelve, make it six"
    kept = REPLACED.sub(" ", said)
    found = re.search(r"\b(\d+)\b", kept)
    return int(found[1]) if found else None


def corrects_quantity(text: str, quantity: object | None) -> bool:
    """A new quantity for something in the basket: the words say one ("make that 1", "change
    the eggs to 2"), or they ask for a change and the NLU found the number (``quantity``)."""
    return new_quantity(text) is not None or (wants_new_quantity(text) and quantity is not None)
