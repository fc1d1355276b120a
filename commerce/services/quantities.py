"""How much of a product a spoken basket item asks for, and how many packs that takes.

Three ways to say a quantity, and what each means:

- a count with a container word, "two loaves of bread", "three packs of butter", "a bottle of
  cola": that many PACKS of the product (the container word is not part of the product);
- a volume or mass, "two litres of milk", "half a kilo of flour", "4 pints": an AMOUNT to
  cover with whole packs;
- a bare count of countable things, "6 eggs", "a dozen eggs", "2 bananas": that many ITEMS.

Nothing said means one pack. Measures and counts are read by
:func:`commerce.text.extract_size_hint` (number words, "half a kilo", "dozen", pints).
Everything here is pure.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from commerce.errors import CommerceError
from commerce.services.common import MAX_LINE_QUANTITY, to_base
from commerce.text import UNIT_WORDS, SizeHint, extract_size_hint, fold, normalise_numbers

__all__ = [
    "CONTAINERS",
    "Kind",
    "Quantity",
    "fit",
    "packs_for",
    "parse_quantity",
]


class Kind(StrEnum):
    NONE = "none"
    PACKS = "packs"
    AMOUNT = "amount"
    ITEMS = "items"


# Words naming a pack of the product: "two loaves of bread" is two packs of bread.
CONTAINERS: Final = frozenset(
    (
        "pack", "packs", "packet", "packets", "loaf", "loaves", "bottle", "bottles", "tin",
        "tins", "can", "cans", "jar", "jars", "bag", "bags", "box", "boxes", "carton",
        "cartons", "tub", "tubs", "bunch", "bunches", "punnet", "punnets", "head", "heads",
        "bar", "bars", "block", "blocks", "tray", "trays",
    )
)  # fmt: skip
# "zero sugar cola" names a product; "zero eggs" is a quantity of nothing.
_ZERO_NAMES: Final = frozenset(("sugar", "fat", "alcohol", "calorie", "calories", "carb", "carbs"))
_NUMBER_RE: Final = re.compile(r"\d+(?:\.\d+)?")
_UNITS: Final = sorted({*UNIT_WORDS, "ml", "l", "cl", "g", "kg", "oz", "lb", "lbs"}, key=len)
_GLUED_SIZE_RE: Final = re.compile(r"\d+(?:\.\d+)?(?:" + "|".join(_UNITS) + r")")
_ONE: Final = frozenset(("a", "an", "one"))
# a pack within 2 % of the amount covers it: four pints (2,273 ml) is one 2.272 L bottle
_TOLERANCE: Final = 0.02


@dataclass(frozen=True)
class Quantity:
    """The quantity of one spoken basket item.

    ``packs`` is set for PACKS; ``amount`` and ``unit`` ("ml", "g" or "each") for AMOUNT and
    ITEMS. ``text`` is the quantity as said (folded), ``product`` the words naming the
    product and ``query`` what to search the catalog for (the product plus any pack size
    said inside a container phrase, "two 2 litre bottles of cola" -> "2 litre cola").
    """

    kind: Kind
    text: str | None
    packs: int | None
    amount: float | None
    unit: str | None
    product: str
    query: str

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "packs": self.packs, "amount": self.amount, "unit": self.unit}


def _too_few(text: str) -> CommerceError:
    return CommerceError(
        "quantity-out-of-range",
        f"{text!r} is no quantity to buy; ask for 1 to {MAX_LINE_QUANTITY} packs.",
        422,
        {"max_packs": MAX_LINE_QUANTITY},
    )


def _is_number(token: str) -> bool:
    return _NUMBER_RE.fullmatch(token) is not None


def _said(original: list[str], normal: list[str], start: int, end: int) -> str:
    """The words of ``original`` that became ``normal[start:end]`` ("a dozen" for "12")."""
    picked: set[int] = set()
    matcher = difflib.SequenceMatcher(None, original, normal, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            picked.update(i1 + k for k in range(j2 - j1) if start <= j1 + k < end)
        elif j1 < end and start < max(j2, j1 + 1):
            picked.update(range(i1, i2))
    words = [original[i] for i in sorted(picked)] or normal[start:end]
    while len(words) > 1 and words[-1] == "of":
        words.pop()
    return " ".join(words)


def _tidy(tokens: list[str]) -> str:
    """Words left after the quantity, without a dangling article ("a 1000 litres of milk")."""
    while tokens and tokens[0] in ("a", "an", "of"):
        tokens = tokens[1:]
    return " ".join(tokens)


def _container(tokens: list[str]) -> tuple[int, int, int, list[str]] | None:
    """(start, end, packs, pack-size words) of "two loaves of", "a 2 litre bottle of"."""
    for i, token in enumerate(tokens):
        if token not in CONTAINERS:
            continue
        followed = i + 1 < len(tokens) and tokens[i + 1] == "of"
        j, size = i - 1, []
        if j >= 0 and _GLUED_SIZE_RE.fullmatch(tokens[j]):  # "a 2l bottle"
            size, j = [tokens[j]], j - 1
        elif j >= 1 and tokens[j] in _UNITS and _is_number(tokens[j - 1]):  # "a 2 litre bottle"
            size, j = tokens[j - 1 : j + 1], j - 2
        start, count = j + 1, 1.0
        if j >= 0 and _is_number(tokens[j]):
            if not size and j >= 1 and tokens[j - 1] in _ONE:  # "a 6 pack of cola": one pack
                size, start = ["pack", "of", tokens[j]], j - 1
            else:
                start, count = j, float(tokens[j])
        elif j >= 0 and tokens[j] in _ONE:
            start = j
        elif not followed and not size:  # "tea bags", "a chocolate bar": part of the name
            continue
        end = i + 2 if followed else i + 1
        return start, end, math.ceil(min(count, 1e9)), size
    return None


def parse_quantity(phrase: str) -> Quantity:
    """Read the quantity of one spoken basket item (see the module docstring).

    Raises ``quantity-out-of-range`` (422) for a quantity of nothing ("zero eggs").
    """
    original = fold(phrase).split()
    normal = normalise_numbers(phrase)
    tokens = normal.split()
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if _is_number(token) and float(token) == 0 and following not in _ZERO_NAMES:
            raise _too_few(phrase)

    found = _container(tokens)
    if found is not None:
        start, end, packs, size = found
        if packs < 1:
            raise _too_few(phrase)
        product = _tidy(tokens[:start] + tokens[end:])
        query = " ".join([*size, product]).strip()
        return Quantity(
            Kind.PACKS, _said(original, tokens, start, end), packs, None, None, product, query
        )

    rest_text, hint = extract_size_hint(normal)
    if hint is None and len(tokens) > 1 and tokens[0].isdigit() and int(tokens[0]) > 0:
        # "2 2% milk": extract_size_hint only counts a number followed by a word
        rest_text, hint = " ".join(tokens[1:]), SizeHint(float(tokens[0]), "each")
    if hint is None:
        return Quantity(Kind.NONE, None, None, None, None, _tidy(tokens), normal)
    rest = rest_text.split()
    # the quantity is what extract_size_hint took out of the request
    matcher = difflib.SequenceMatcher(None, tokens, rest, autojunk=False)
    kept = {
        i1 + k
        for tag, i1, i2, _, _ in matcher.get_opcodes()
        if tag == "equal"
        for k in range(i2 - i1)
    }
    removed = [i for i in range(len(tokens)) if i not in kept]
    said: str | None = None
    if removed:
        start = removed[0]
        if start > 0 and tokens[start - 1] in _ONE and _is_number(tokens[start]):
            start -= 1  # "a thousand litres" is "a 1000 litres"
        said = _said(original, tokens, start, removed[-1] + 1)
    kind = Kind.ITEMS if hint.unit == "each" else Kind.AMOUNT
    product = _tidy(rest)
    return Quantity(kind, said, None, round(hint.amount, 3), hint.unit, product, product)


def fit(quantity: Quantity, size: float, unit: str) -> tuple[int, float]:
    """(packs of a product of ``size`` ``unit`` to buy, waste 0..1) for ``quantity``.

    AMOUNT in the product's unit: whole packs covering it; ITEMS of an "each" product of n:
    whole packs of n covering them; ITEMS of a product sold by weight or volume: one pack an
    item; PACKS: that many; nothing said: one. ``waste`` is the share bought beyond what was
    asked for (capped at 1), 0.5 when the product is measured in another dimension.
    """
    if quantity.kind is Kind.PACKS and quantity.packs is not None:
        return quantity.packs, 0.0
    if quantity.amount is None or quantity.unit is None:
        return 1, 0.0
    pack, base = to_base(size, unit)
    if base != quantity.unit or pack <= 0:
        if quantity.kind is Kind.ITEMS:  # "2 bananas" of loose bananas by the kilo
            return max(1, math.ceil(quantity.amount - _TOLERANCE)), 0.5
        return 1, 0.5
    ratio = quantity.amount / pack
    if not math.isfinite(ratio) or ratio > 10**9:
        return 10**9, 1.0
    packs = max(1, math.ceil(ratio - _TOLERANCE))
    waste = max(0.0, packs / ratio - 1.0)
    return packs, min(waste, 1.0)


def packs_for(quantity: Quantity, size: float, unit: str) -> int:
    """Packs of a product of ``size`` ``unit`` that ``quantity`` asks for."""
    return fit(quantity, size, unit)[0]
