"""Pull the parts a skill needs out of what the customer said (text + NLU entities)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from typing import Any

CARRIER = re.compile(
    r"^(?:(?:um|uh|er|ok|okay|yes|please|hey)\s+)*"
    r"(?:(?:can|could|would) you\s+|i(?:'d| would) like(?: to)?\s+|i (?:need|want)(?: to)?\s+"
    r"|let'?s\s+|we need\s+)?"
    r"(?:please\s+)?(?:add|put|get|buy|order|throw|stick|search for|find|look for|look up)?\s*"
    r"(?:me\s+)?(?:some\s+)?",
)
TRAILER = re.compile(
    r"\s*(?:to|on|in|into)\s+(?:my|the|our)\s+(?:shopping\s+)?(?:basket|list|cart|trolley)"
    r"(?:\s+please)?\s*$|\s+please\s*$",
)
PRONOUNS = {"it", "that", "this", "them", "those", "these", "one", "that one", "this one"}
WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple": 2,
    "a couple of": 2, "couple": 2, "a few": 3, "dozen": 12, "a dozen": 12,
}  # fmt: skip
ORDINALS = {
    "first": 0, "1st": 0, "one": 0, "1": 0, "second": 1, "2nd": 1, "two": 1, "2": 1,
    "third": 2, "3rd": 2, "three": 2, "3": 2, "fourth": 3, "four": 3, "4": 3, "last": -1,
}  # fmt: skip


def one_product_runs(
    text: str, entities: Sequence[dict[str, Any]], is_one: Callable[[str], bool]
) -> list[dict[str, Any]]:
    """``entities`` with product entities said one right after the other joined into one
    when ``is_one`` says the words together name one product: "braeburn apples" tagged as two
    products is Braeburn Apples, while "milk eggs" (a list said without a pause) stays two."""
    ordered = sorted((e for e in entities if "start" in e and "end" in e), key=lambda e: e["start"])
    merged: list[dict[str, Any]] = []
    for entity in ordered:
        last = merged[-1] if merged else None
        if (
            last is not None
            and entity["entity"] == last["entity"] == "product"
            and not text[last["end"] : entity["start"]].strip()
        ):
            joined = text[last["start"] : entity["end"]]
            if is_one(joined):
                merged[-1] = {**last, "value": joined, "end": entity["end"]}
                continue
        merged.append(entity)
    return merged + [e for e in entities if "start" not in e or "end" not in e]


def item_phrases(text: str, entities: Sequence[dict[str, Any]]) -> list[str]:
    """One phrase per product mentioned, with its own quantity and unit words.

    "add milk, eggs and two loaves of bread" -> ["milk", "eggs", "two loaves of bread"].
    Without product entities the carrier words are stripped and the rest is one phrase.
    """
    ordered = sorted(entities, key=lambda e: e.get("start", 0))
    phrases: list[str] = []
    pending_start: int | None = None
    for entity in ordered:
        if "start" not in entity or "end" not in entity:
            continue
        if entity["entity"] in ("quantity", "unit", "brand"):
            if pending_start is None:
                pending_start = entity["start"]
        elif entity["entity"] == "product":
            start = entity["start"] if pending_start is None else pending_start
            phrases.append(text[start : entity["end"]].strip(" ,."))
            pending_start = None
    if phrases:
        return phrases
    rest = TRAILER.sub("", CARRIER.sub("", text.lower().strip(" .!?"), count=1)).strip(" ,.")
    return [rest] if rest and rest not in PRONOUNS else []


def number(text: str | None) -> int | None:
    if not text:
        return None
    words = text.lower().strip()
    if words.isdigit():
        return int(words)
    return WORD_NUMBERS.get(words)


STOP = {"the", "one", "a", "an", "please", "i", "ll", "take", "want", "that", "this", "of", "s"}


def _stems(text: str) -> set:
    return {w.rstrip("s") for w in re.findall(r"[a-z0-9%]+", text.lower())} - STOP


def pick_option(
    text: str, labels: list[str], sizes: list[float], prices: list[float]
) -> int | None:
    """Which of the offered options the customer means ("the second one", "the big one")."""
    if not labels:
        return None
    words = re.findall(r"[a-z0-9%]+", text.lower())
    joined = " ".join(words)
    for word in words:
        if word in ORDINALS and word != "one" and not word.isdigit():
            index = ORDINALS[word]
            index = len(labels) - 1 if index == -1 else index
            if 0 <= index < len(labels):
                return index
    if re.search(r"\b(big|biggest|bigger|large|largest|larger)\b", joined):
        return max(range(len(sizes)), key=lambda i: sizes[i])
    if re.search(r"\b(small|smallest|smaller|little)\b", joined):
        return min(range(len(sizes)), key=lambda i: sizes[i])
    if re.search(r"\b(cheap|cheapest|cheaper)\b", joined):
        return min(range(len(prices)), key=lambda i: prices[i])
    said = _stems(joined)
    overlap = [len(said & _stems(label)) for label in labels]
    if max(overlap) > 0 and overlap.count(max(overlap)) == 1:
        return overlap.index(max(overlap))
    match = re.fullmatch(r"(?:number |option )?(one|two|three|four|[1-4])(?: please)?", joined)
    if match:
        index = ORDINALS[match.group(1)]
        return index if index < len(labels) else None
    return None


def closest(text: str, names: list[str], cutoff: float = 0.5) -> int | None:
    """The index of the name most like ``text`` (basket lines, "remove the milk")."""
    if not names:
        return None
    lowered = text.lower()
    words = set(re.findall(r"[a-z]+", lowered))
    scored = []
    for i, name in enumerate(names):
        name_words = set(re.findall(r"[a-z]+", name.lower()))
        stems = {w.rstrip("s") for w in words} & {w.rstrip("s") for w in name_words}
        ratio = difflib.SequenceMatcher(None, lowered, name.lower()).ratio()
        scored.append((len(stems) + ratio, i))
    score, index = max(scored)
    return index if score >= cutoff + 0.5 or score >= 1.0 else None
