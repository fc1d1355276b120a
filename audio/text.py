"""Text as a recogniser hears it: lower case, words only, numbers spelt out.

Used to build the shop language model, to compare transcripts with references (WER), and to
prepare text for the correction step. ``normalize("Add 2% milk & 500g rice at 5pm")`` is
``"add two percent milk and five hundred g rice at five pm"``.
"""

from __future__ import annotations

import re
import unicodedata

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip


_UNITS = {"kg": "kilos", "g": "grams", "ml": "millilitres", "l": "litres"}


def number_words(n: int) -> str:
    """0 <= n < 1,000,000 in words: 2018 -> "two thousand eighteen"."""
    if n < 0 or n >= 1_000_000:
        raise ValueError(f"{n} is out of range")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{number_words(thousands)} thousand" + (f" {number_words(rest)}" if rest else "")


def ordinal_words(n: int) -> str:
    """21 -> "twenty first"."""
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINALS:
        words[-1] = _ORDINALS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _spell_number(match: re.Match[str]) -> str:
    whole, frac = match.group(1), match.group(2)
    words = number_words(int(whole)) if len(whole) <= 6 else " ".join(_ONES[int(d)] for d in whole)
    if frac:
        words += " point " + " ".join(_ONES[int(d)] for d in frac)
    return f" {words} "


def _spell_ordinal(match: re.Match[str]) -> str:
    return f" {ordinal_words(int(match.group(1)))} "


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """Lower-case words as spoken: digits spelt out, symbols named, punctuation dropped."""
    text = strip_accents(text.lower())
    text = text.replace("&", " and ").replace("%", " percent ").replace("£", " pounds ")
    text = text.replace("’", "'")
    text = re.sub(r"(\d+)(am|pm)\b", r"\1 \2", text)  # 5pm -> 5 pm
    text = re.sub(r"(\d)\s*(kg|g|ml|l)\b", lambda m: m.group(1) + " " + _UNITS[m.group(2)], text)
    text = re.sub(r"(\d+):(\d\d)", r"\1 \2", text)  # 5:30 -> 5 30
    text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", _spell_ordinal, text)
    text = re.sub(r"(\d+)(?:\.(\d+))?", _spell_number, text)
    text = re.sub(r"[^a-z' ]+", " ", text)  # hyphens, slashes, punctuation
    text = re.sub(r"(^|\s)'+|'+(\s|$)", " ", text)  # quotes, not apostrophes inside words
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return normalize(text).split()


def word_errors(reference: str, hypothesis: str) -> int:
    """Substitutions + deletions + insertions between normalised word sequences."""
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(words(reference), words(hypothesis)))


def spoken_digits(text: str) -> str:
    """The digits said, in order: "four three two one" / "4 3 2 1" / "oh seven" -> "4321" / "07"."""
    from text_to_num import alpha2digit

    text = re.sub(r"\b(oh|o)\b", "zero", text.lower())
    return "".join(re.findall(r"\d", alpha2digit(text, "en", threshold=0)))
