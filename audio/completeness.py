"""Is what the customer said so far a whole request? The endpointer's cue at a pause.

People expect an answer about a quarter of a second after a finished request ("add milk") and
patience after an unfinished one ("add, um…", "can I have", "two bottles of"). At a pause the
recogniser already has a transcript of the words so far (Whisper's early decode, pocketsphinx's
partial), and a few rules over its last words say which it is — no NLU model, microseconds:

* **incomplete** when it ends in a filler ("um", "uh"), a function word that needs something
  after it (an article, a preposition, a conjunction: "the", "of", "and"), a verb that needs an
  object ("add", "can I have", "I'd like"), a number after other words ("add two"), or with
  Whisper's own mark of a trailing-off voice ("…", a comma, a dash);
* **complete** otherwise ("add milk", "yes", "what's in my basket", "the first one", a bare
  number answering "how many?");
* **unknown** for no words at all: the endpointer keeps its fixed silence.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Completeness(StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    PENDING = "pending"  # the recogniser is decoding the words (the endpointer waits for them)
    UNKNOWN = "unknown"


FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "eh", "hmm", "mm", "mhm"})
# words that need another after them: articles and determiners, prepositions, conjunctions
FUNCTION_WORDS = frozenset(
    {
        "a", "an", "the", "some", "any", "my", "your", "our", "of", "to", "for", "with",
        "without", "from", "in", "into", "on", "at", "by", "about", "and", "or", "but", "plus",
        "than", "if", "because", "i", "i'd", "i'm", "i'll", "we'd", "we'll", "what's", "how",
        "what", "which", "where", "when", "many", "another", "like", "just", "let's",
    }
)  # fmt: skip
# verbs of the shop's requests that need an object ("add" alone is never the whole request)
OPEN_VERBS = frozenset(
    {
        "add", "remove", "put", "get", "buy", "want", "need", "have", "take", "give", "show",
        "find", "book", "change", "make", "swap", "replace", "delete", "drop", "reserve",
    }
)  # fmt: skip
NUMBERS = frozenset(
    {
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "fifteen", "twenty", "thirty", "fifty", "hundred", "dozen",
        "half", "couple", "few", "several",
    }
)  # fmt: skip
# after these "one" is a pronoun ("the first one", "that one"), not a number waiting for a noun
ONE_AS_PRONOUN = frozenset(
    {"the", "this", "that", "first", "second", "third", "last", "other", "next", "same", "big",
     "small", "cheap", "cheaper", "cheapest", "new", "red", "green", "another", "which"}
)  # fmt: skip
# a verb after these asks a question that is whole: "what do I have", "what did I get"
QUESTION = frozenset({"do", "did", "does", "don't", "didn't"})
# a time, not a quantity: "pick it up at five"
TIME_WORDS = frozenset({"at", "o'clock", "pm", "am"})
TRAILING_OFF = re.compile(r"(\.\.\.|…|,|-|—|–)\s*$")
WORD = re.compile(r"[a-z0-9']+")


def judge(text: str) -> Completeness:
    """Whether ``text`` (a transcript of the words so far) reads as a whole request."""
    if TRAILING_OFF.search(text.strip()):
        return Completeness.INCOMPLETE
    words = WORD.findall(text.lower())
    if not words:
        return Completeness.UNKNOWN
    last = words[-1]
    before = words[-2] if len(words) > 1 else ""
    if last in FILLERS or last in FUNCTION_WORDS or (before == "how" and last == "much"):
        return Completeness.INCOMPLETE
    if last in OPEN_VERBS and not QUESTION.intersection(words[-4:-1]):
        return Completeness.INCOMPLETE  # "can I have" waits; "what do you have" is asked
    pronoun = last == "one" and before in ONE_AS_PRONOUN
    if len(words) > 1 and _is_number(last) and before not in TIME_WORDS and not pronoun:
        return Completeness.INCOMPLETE
    return Completeness.COMPLETE


def _is_number(word: str) -> bool:
    return word.isdigit() or word in NUMBERS
