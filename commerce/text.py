"""Normalising spoken grocery requests: number words, sizes, tokens, lemmas, sound-alike keys.

Everything here is pure and thread-safe. spaCy is loaded lazily, once per process, the first
time a word is lemmatised (only its lookup table is used, so no model download is needed).
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import jellyfish
from text_to_num import alpha2digit

__all__ = [
    "CONTAINER_WORDS",
    "STOP_WORDS",
    "UNIT_WORDS",
    "SizeHint",
    "content_tokens",
    "extract_size_hint",
    "fold",
    "lemma",
    "metaphone",
    "normalise_numbers",
    "phonetic_keys",
    "singular_variants",
    "size_closeness",
    "size_in_base_units",
    "tokenize",
]

# ---------------------------------------------------------------------------------------------
# sizes

# The imperial pint (the size milk is sold in here), in ml: pint's ``imperial_pint``, which the
# recipes convert with (commerce/seed/recipes.py) and skills/speech.py says sizes by.
PINT_ML: Final = 568.26125

_ML_PER: Final[Mapping[str, float]] = {
    "ml": 1.0,
    "mls": 1.0,
    "millilitre": 1.0,
    "millilitres": 1.0,
    "milliliter": 1.0,
    "milliliters": 1.0,
    "cl": 10.0,
    "centilitre": 10.0,
    "centilitres": 10.0,
    "centiliter": 10.0,
    "centiliters": 10.0,
    "l": 1000.0,
    "lt": 1000.0,
    "ltr": 1000.0,
    "ltrs": 1000.0,
    "litre": 1000.0,
    "litres": 1000.0,
    "liter": 1000.0,
    "liters": 1000.0,
    "pint": PINT_ML,
    "pints": PINT_ML,
    "pt": PINT_ML,
    "pts": PINT_ML,
    "gallon": 4546.09,
    "gallons": 4546.09,
}
_G_PER: Final[Mapping[str, float]] = {
    "g": 1.0,
    "gr": 1.0,
    "grm": 1.0,
    "gram": 1.0,
    "grams": 1.0,
    "gramme": 1.0,
    "grammes": 1.0,
    "kg": 1000.0,
    "kgs": 1000.0,
    "kilo": 1000.0,
    "kilos": 1000.0,
    "kilogram": 1000.0,
    "kilograms": 1000.0,
    "kilogramme": 1000.0,
    "kilogrammes": 1000.0,
    "oz": 28.3495,
    "ounce": 28.3495,
    "ounces": 28.3495,
    "lb": 453.592,
    "lbs": 453.592,
    "pound": 453.592,
    "pounds": 453.592,
}
_EACH_WORDS: Final = ("pack", "packs", "pk", "pcs", "pieces", "piece", "count", "ct")

# Units of ProductSpec / SearchDoc -> (base unit, factor).
_DOC_UNITS: Final[Mapping[str, tuple[str, float]]] = {
    "ml": ("ml", 1.0),
    "l": ("ml", 1000.0),
    "g": ("g", 1.0),
    "kg": ("g", 1000.0),
    "each": ("each", 1.0),
    "pack": ("each", 1.0),
}


@dataclass(frozen=True)
class SizeHint:
    """A pack size asked for, in base units: ``unit`` is "ml", "g" or "each"."""

    amount: float
    unit: str


def size_in_base_units(size: Any, unit: str) -> SizeHint | None:
    """A catalog pack size (e.g. ``2.0, "L"``) as a :class:`SizeHint` in ml / g / each."""
    try:
        amount = float(size)
    except (TypeError, ValueError):
        return None
    conv = _DOC_UNITS.get(str(unit).strip().lower())
    if conv is None or not math.isfinite(amount) or amount <= 0:
        return None
    return SizeHint(amount * conv[1], conv[0])


def size_closeness(wanted: SizeHint, have: SizeHint | None) -> float:
    """1.0 for the size asked for, decaying with the size ratio; 0.0 for another dimension."""
    if have is None or have.unit != wanted.unit or wanted.amount <= 0 or have.amount <= 0:
        return 0.0
    ratio = abs(math.log(have.amount / wanted.amount))
    if ratio < 0.02:
        return 1.0
    return math.exp(-2.0 * ratio)


# ---------------------------------------------------------------------------------------------
# text folding and numbers

_NUM: Final = r"\d+(?:\.\d+)?"
_UNIT_WORDS: Final = sorted({*_ML_PER, *_G_PER}, key=len, reverse=True)
# Unit words that are never product words; left over in a request they carry no meaning.
UNIT_WORDS: Final = frozenset(u for u in _UNIT_WORDS if len(u) > 3 and u not in ("pound", "pounds"))
_UNIT_ALT: Final = "|".join(re.escape(u) for u in _UNIT_WORDS)
# Spoken words a recogniser writes for a number right before a unit or "percent".
_HOMOPHONES: Final[Mapping[str, str]] = {
    "to": "2",
    "too": "2",
    "for": "4",
    "fore": "4",
    "won": "1",
    "ate": "8",
}
_HOMOPHONE_RE: Final = re.compile(
    r"\b("
    + "|".join(_HOMOPHONES)
    + r")\s+(?=(?:percent|per\s+cent|%|pack|dozen|"
    + _UNIT_ALT
    + r")\b)"
)
_PERCENT_RE: Final = re.compile(r"(" + _NUM + r")\s*(?:%|percent\b|per\s+cent\b)")
_AND_A_HALF_RE: Final = re.compile(r"\b(\d+)\s+and\s+a\s+half\b")
_HALF_RE: Final = re.compile(r"\bhalf\s+(?:an?\s+)?(?=(?:dozen|" + _UNIT_ALT + r")\b)")
_A_UNIT_RE: Final = re.compile(r"\b(?:an?)\s+(?=(?:dozen|" + _UNIT_ALT + r")\b)")
# "pint of milk": a singular unit word with no number before it means one of it
_LONE_UNIT_RE: Final = re.compile(
    r"(?<![\d.])(?<![\d.]\s)\b(?=(?:pint|litre|liter|kilo|kilogram|gallon)\b)"
)
_DOZEN_RE: Final = re.compile(r"(?:\b(" + _NUM + r")\s+)?\bdozens?\b")
_COUPLE_RE: Final = re.compile(r"\ba\s+couple\s+(?:of\s+)?")


def fold(text: str) -> str:
    """Lower-case, strip accents and odd characters; keep letters, digits, ``%`` and ``.``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"(?<=[a-z])['’]s\b", "", text)  # cow's -> cow
    text = re.sub(r"['’]", "", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # keep decimal points only
    text = re.sub(r"[^a-z0-9%.]+", " ", text)
    return " ".join(text.split())


def normalise_numbers(text: str) -> str:
    """Fold ``text`` and write its numbers as digits.

    Handles number words ("two litres" -> "2 litres", via text2num), homophones before a unit
    or "percent" ("to percent" -> "2%", "for pints" -> "4 pints"), "a dozen" -> "12",
    "half a litre" -> "0.5 litre", "a kilo" -> "1 kilo" and percentages ("2 percent" -> "2%").
    """
    text = fold(text)
    if not text:
        return text
    text = _HOMOPHONE_RE.sub(lambda m: _HOMOPHONES[m.group(1)] + " ", text)
    with contextlib.suppress(Exception):  # text2num is native code; it must not break a search
        text = alpha2digit(text, "en", threshold=0)
    text = fold(text)
    text = _AND_A_HALF_RE.sub(lambda m: f"{m.group(1)}.5", text)
    text = _HALF_RE.sub("0.5 ", text)
    text = _A_UNIT_RE.sub("1 ", text)
    text = _LONE_UNIT_RE.sub("1 ", text)
    text = _COUPLE_RE.sub("2 ", text)
    text = _DOZEN_RE.sub(lambda m: _fmt(12 * float(m.group(1) or 1)), text)
    return _PERCENT_RE.sub(lambda m: m.group(1) + "%", text)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


_SIZE_RE: Final = re.compile(
    r"(?:\b\d+\s*x\s*)?(?<![\w.])(" + _NUM + r")\s*(" + _UNIT_ALT + r")\b(?:\s+of\b)?"
)
_PACK_OF_RE: Final = re.compile(r"\b(?:pack|box|tray|bag|carton)\s+of\s+(\d+)\b(?!\s*%)")
_N_PACK_RE: Final = re.compile(
    r"(?<![\w.])(\d+)\s*(?:-\s*)?(?:" + "|".join(_EACH_WORDS) + r")\b(?:\s+of\b)?"
)
_BARE_COUNT_RE: Final = re.compile(r"(?<![\w.%])(\d+)(?=\s+[a-z])(?!\s+(?:percent|per)\b)")


def extract_size_hint(text: str, *, bare_counts: bool = True) -> tuple[str, SizeHint | None]:
    """Split a pack size out of a spoken request.

    Returns the normalised request with the size removed (folded, numbers as digits) and the
    size in base units: ``"two litres of milk"`` -> ``("milk", SizeHint(2000.0, "ml"))``,
    ``"a dozen eggs"`` -> ``("eggs", SizeHint(12.0, "each"))``, ``"4 pints"`` -> 2272 ml,
    ``"500 grams of flour"`` -> 500 g. Percentages ("2% milk") are not sizes. With
    ``bare_counts`` a number directly before a word ("12 eggs") is a count in "each";
    callers that read such numbers as a quantity of packs pass ``bare_counts=False``.
    """
    text = normalise_numbers(text)
    hint: SizeHint | None = None
    m = _SIZE_RE.search(text)
    if m:
        amount = float(m.group(1))
        unit = m.group(2)
        if unit in _ML_PER:
            hint = SizeHint(amount * _ML_PER[unit], "ml")
        else:
            hint = SizeHint(amount * _G_PER[unit], "g")
    else:
        m = _PACK_OF_RE.search(text) or _N_PACK_RE.search(text)
        if m is None and bare_counts:
            m = _BARE_COUNT_RE.search(text)
        if m:
            hint = SizeHint(float(m.group(1)), "each")
    if m is None or hint is None or hint.amount <= 0 or not math.isfinite(hint.amount):
        return text, None
    rest = text[: m.start()] + " " + text[m.end() :]
    return " ".join(rest.split()), hint


# ---------------------------------------------------------------------------------------------
# tokens

_TOKEN_RE: Final = re.compile(r"\d+(?:\.\d+)?%?|[a-z]+")

# Words of a spoken request that never name a product.
STOP_WORDS: Final = frozenset(
    (
        "a", "an", "the", "some", "any", "of", "please", "pls", "me", "i", "im", "id", "ive",
        "you", "your", "youre", "we", "us", "our", "my", "do", "does", "did", "have", "has",
        "had", "got", "get", "getting", "need", "needs", "needed", "want", "wants", "wanna",
        "would", "could", "can", "will", "shall", "should", "like", "love", "find", "finding",
        "show", "give", "add", "put", "buy", "buying", "order", "look", "looking", "search",
        "searching", "for", "to", "is", "are", "was", "were", "be", "been", "there", "theres",
        "here", "it", "its", "that", "this", "these", "those", "them", "they", "just", "also",
        "maybe", "um", "uh", "er", "erm", "hmm", "mm", "ok", "okay", "so", "thanks", "thank",
        "cheers", "hey", "hi", "hello", "where", "what", "which", "how", "much", "many", "sell",
        "sells", "stock", "stocked", "carry", "in", "on", "at", "from", "with", "and", "or",
        "but", "if", "about", "into", "more", "lot", "lots", "bit", "let", "lets", "see",
        "check", "whether", "kind", "sort", "type", "available", "something", "anything",
        "stuff", "thing", "things", "go", "grab", "pick", "bring", "help", "sure", "yes",
        "yeah", "right", "now", "today", "tomorrow",
    )
)  # fmt: skip

# Words naming a pack rather than the product ("two loaves of bread", "a bottle of milk").
CONTAINER_WORDS: Final = frozenset(
    (
        "loaf", "loaves", "bottle", "bottles", "can", "cans", "tin", "tins", "jar", "jars",
        "bag", "bags", "box", "boxes", "pack", "packs", "packet", "packets", "carton",
        "cartons", "tub", "tubs", "punnet", "punnets", "bunch", "bunches", "tray", "trays",
        "pot", "pots", "bar", "bars", "piece", "pieces", "slice", "slices", "portion",
        "portions",
    )
)  # fmt: skip


def tokenize(text: str) -> list[str]:
    """Folded word and number tokens of ``text`` (numbers keep a trailing ``%``)."""
    return _TOKEN_RE.findall(fold(text))


def content_tokens(text: str) -> list[str]:
    """Tokens of a request without its filler words ("can you find me some ...")."""
    return [t for t in tokenize(text) if t not in STOP_WORDS]


# ---------------------------------------------------------------------------------------------
# lemmas

_lemma_lock = threading.Lock()
_lemma_table: Any = None


def _lookup_table() -> Any:
    """spaCy's English lookup-lemmatizer table, loaded once per process on first use."""
    global _lemma_table
    if _lemma_table is None:
        with _lemma_lock:
            if _lemma_table is None:
                import spacy

                nlp = spacy.blank("en")
                nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
                nlp.initialize()
                lemmatizer: Any = nlp.get_pipe("lemmatizer")
                _lemma_table = lemmatizer.lookups.get_table("lemma_lookup")
    return _lemma_table


def _rule_singular(word: str) -> str:
    if len(word) <= 3 or not word.isalpha() or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """Dictionary form of a folded word: spaCy's lookup lemma, else a plural-stripping rule."""
    if not word or not word[0].isalpha():
        return word
    found = _lookup_table().get(word)
    if found is not None and found.isalpha():
        return found
    return _rule_singular(word)


@functools.lru_cache(maxsize=65536)
def singular_variants(word: str) -> tuple[str, ...]:
    """Other dictionary forms a word may be indexed under ("cookie" -> "cookies" -> "cooky")."""
    if not word.isalpha() or len(word) < 3:
        return ()
    out: list[str] = []
    for form in (_rule_singular(word), word, lemma(word + "s"), lemma(word + "es")):
        if form and form not in out:
            out.append(form)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# sound-alikes


@functools.lru_cache(maxsize=65536)
def metaphone(word: str) -> str:
    """The metaphone code of a word ("" when it has none)."""
    if len(word) < 3 or not word.isalpha():
        return ""
    try:
        return str(jellyfish.metaphone(word))
    except Exception:  # jellyfish rejects some inputs; a word without a code is fine
        return ""


@functools.lru_cache(maxsize=65536)
def phonetic_keys(word: str) -> tuple[str, ...]:
    """Sound-alike codes of a word (metaphone and NYSIIS), tagged so the two never collide."""
    if len(word) < 3 or not word.isalpha():
        return ()
    keys: list[str] = []
    try:
        mp = jellyfish.metaphone(word)
        if len(mp) >= 2:
            keys.append("M:" + mp)
        ny = jellyfish.nysiis(word)
        if len(ny) >= 3:
            keys.append("N:" + ny)
    except Exception:  # jellyfish rejects some inputs; a word without codes is fine
        return tuple(keys)
    return tuple(keys)
