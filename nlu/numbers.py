"""Numbers as said: digits and English number words ("twelve", "twenty four", "a couple of").

Plain Python (text2num for the arithmetic of number words), so it runs in both environments:
``nlu/quantities.py`` uses it inside Rasa, the tests in either.

``read_numbers("add twelve bananas")`` -> ``[Number(start=4, end=10, value=12, text="twelve")]``.
A number word that begins a catalogue name is not a number ("four cheese pizza", "2 in 1
shampoo"): pass those names, as ``numbered_names(names)`` keeps them, to ``read_numbers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from text_to_num import text2num

UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = ("hundred", "thousand")
NUMBER_WORDS = frozenset((*UNITS, *TENS, *SCALES))
# Said for a count but no number word: value and the words, "of" included as the data annotates
# it ("add [a couple of](quantity) avocados").
COUNT_PHRASES: dict[tuple[str, ...], int] = {
    ("a", "couple", "of"): 2,
    ("a", "couple"): 2,
    ("couple", "of"): 2,
    ("a", "pair", "of"): 2,
}
# A word with inner hyphens or apostrophes is one token ("twenty-four", "shepherd's").
TOKEN = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*", re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """A number said in a text: its character span, its value and its words."""

    start: int
    end: int
    value: int
    text: str


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    word: str


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), m.group().lower()) for m in TOKEN.finditer(text)]


def is_number_word(word: str) -> bool:
    """ "twelve", "twenty-four", "12" -> True; "a", "dozen", "first" -> False."""
    word = word.lower()
    if word.isdigit():
        return True
    return all(part in NUMBER_WORDS for part in word.split("-"))


def is_only_numbers(text: str) -> bool:
    """Whether every word of ``text`` is a number (or the "and" of "a hundred and five")."""
    words = [t.word for t in _tokens(text)]
    return (
        bool(words)
        and all(is_number_word(w) or w == "and" for w in words)
        and (words[0] != "and" and words[-1] != "and")
    )


def numbered_names(names: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """The names (catalogue products, brands, ...) that begin with a number, as their words."""
    kept = {tuple(t.word for t in _tokens(name)) for name in names}
    return tuple(sorted(words for words in kept if words and is_number_word(words[0])))


def _name_at(tokens: Sequence[_Token], i: int, names: Sequence[tuple[str, ...]]) -> int:
    """How many words of a name begin at token ``i``: 0 for none. A name is said when its
    number and the word after it are ("four cheese pizzas", "2 in 1 shampoo"), or all of it."""
    longest = 0
    for name in names:
        said = 0
        for word, token in zip(name, tokens[i:], strict=False):
            if token.word != word and (said == 0 or not token.word.startswith(word)):
                break
            said += 1
        if said >= min(2, len(name)):
            longest = max(longest, said)
    return longest


def name_spans(text: str, names: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where ``text`` says a name that begins with a number: (start, end) of its words."""
    tokens = _tokens(text)
    spans = []
    i = 0
    while i < len(tokens):
        named = _name_at(tokens, i, names)
        if named:
            spans.append((tokens[i].start, tokens[i + named - 1].end))
        i += named or 1
    return spans


def _words_value(words: Sequence[str]) -> int | None:
    if words[0] == "and" or words[-1] == "and":
        return None
    try:
        return int(text2num(" ".join(words), "en"))
    except ValueError:
        return None


def _is_word_of_number(token: _Token) -> bool:
    return token.word == "and" or (is_number_word(token.word) and not token.word.isdigit())


def read_numbers(text: str, names: Sequence[tuple[str, ...]] = ()) -> list[Number]:
    """Every number said in ``text``, left to right (see the module's docstring)."""
    tokens = _tokens(text)
    found: list[Number] = []

    def said(first: int, last: int, value: int) -> None:
        start, end = tokens[first].start, tokens[last].end
        found.append(Number(start, end, value, text[start:end]))

    i = 0
    while i < len(tokens):
        named = _name_at(tokens, i, names)
        if named:
            i += named
            continue
        words = [t.word for t in tokens[i : i + 3]]
        phrase = next((p for p in COUNT_PHRASES if tuple(words[: len(p)]) == p), None)
        if phrase is not None:
            said(i, i + len(phrase) - 1, COUNT_PHRASES[phrase])
            i += len(phrase)
            continue
        if tokens[i].word.isdigit():
            said(i, i, int(tokens[i].word))
            i += 1
            continue
        if not is_number_word(tokens[i].word):
            i += 1
            continue
        # The longest run of number words (and the "and" inside them) that reads as one number,
        # up to a name: "one hundred and five" is 105, "two four" is 2 and then 4.
        j = i + 1
        while j < len(tokens) and _is_word_of_number(tokens[j]) and not _name_at(tokens, j, names):
            j += 1
        for k in range(j, i, -1):
            value = _words_value([t.word for t in tokens[i:k]])
            if value is not None:
                said(i, k - 1, value)
                i = k
                break
        else:
            i += 1
    return found
