"""The yes/no decision at a pending confirmation: a yes is a yes only when it is one.

The intent classifier answers "which of 25 intents is this most like", and a number, a
correction or a cough can come out as a confident ``affirm`` ("make that 1" scored 0.90,
"4321" 0.85). Before anything that spends money or changes a booking, the reply's own words
are checked here as well: an answer is ``YES`` only when every word of it belongs to a short
list of yes phrases and politeness words ("yes please", "sure, go ahead", "that's right,
place it"); ``NO`` the same way with the no phrases. Anything else — a digit or a number word,
a question mark, "wait", "hmm", "I'm not sure", "make that 1", a new request — is ``UNCLEAR``:
the skill re-asks or treats it as what it is. A button press arrives as ``/affirm`` or
``/deny`` (the kiosk's Confirm and Cancel).

Measured by ``bench/bench_yesno.py`` on ``tests/data/yesno.tsv``; the tests require no false yes.
"""

from __future__ import annotations

import re
from enum import Enum


class Answer(str, Enum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


def _phrases(*texts: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(text.split()) for text in texts)


YES_PHRASES = _phrases(
    "yes", "yeah", "yea", "yep", "yup", "yah", "ya", "aye", "sure", "ok", "okay", "o k",
    "k", "alright", "all right", "correct", "fine", "perfect", "great", "lovely", "good",
    "brilliant", "excellent", "absolutely", "definitely", "certainly", "of course", "indeed",
    "exactly", "affirmative", "confirm", "confirmed", "i confirm", "agreed", "deal", "cool",
    "go ahead", "go on", "go for it", "do it", "do that", "just do it", "please do",
    "proceed", "carry on", "let's do it", "let's do that", "let's go", "sounds good",
    "sounds great", "sounds right", "sounds fine", "looks good", "looks right",
    "that's right", "that is right", "that's correct", "that is correct", "that's fine",
    "that is fine", "that's good", "that's great", "that's perfect", "that's it",
    "that is it", "that'll do", "that works", "works for me", "right on", "sure thing",
    "you bet", "i do", "i am", "i'm sure", "i am sure", "yes i'm sure", "why yes",
    "place it", "place the order", "place my order", "place order", "order it", "buy it",
    "book it", "book that", "confirm it", "confirm the order", "confirm my order",
    "confirm that", "complete the order", "send it", "put it through", "yes it is",
    "it is", "that's what i want", "that's what i said", "i said yes", "sure is",
    "of course yes", "yes indeed", "you got it", "go right ahead", "happy with that",
    "i'm happy with that", "i'm happy", "all good", "all correct", "spot on", "uh huh",
    "mm hmm", "yes yes", "sounds good to me", "fine by me", "why not", "that's everything",
    "all done",
)  # fmt: skip
NO_PHRASES = _phrases(
    "no", "nope", "nah", "no way", "negative", "not now", "not yet", "not today",
    "not really", "not at all", "don't", "do not", "don't do it", "don't do that",
    "don't place it", "don't order it", "don't book it", "cancel", "cancel it",
    "cancel that", "cancel the order", "stop", "stop it", "never mind", "nevermind",
    "forget it", "forget about it", "leave it", "skip it", "i don't want it", "i don't",
    "absolutely not", "definitely not", "certainly not", "of course not", "no need",
    "not for me", "not this time", "i changed my mind", "i've changed my mind",
    "changed my mind", "hold off", "no no",
)  # fmt: skip
# Words that may go with an answer without changing it.
POLITE = _phrases(
    "please", "thanks", "thank you", "thank you very much", "thanks a lot", "cheers", "ta",
    "mate", "love", "then", "now", "oh", "well", "and", "so", "that", "it", "right now",
    "thank you so much", "many thanks",
)  # fmt: skip
LONGEST = max(len(p) for p in YES_PHRASES | NO_PHRASES | POLITE)
BUTTONS = {"/affirm": Answer.YES, "/deny": Answer.NO}
# Tokens: words (with apostrophes), digits, question marks; other punctuation separates.
TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+|\?")


def words_of(text: str) -> list[str]:
    return TOKEN.findall(text.lower().replace("\u2019", "'"))


def decide(text: str) -> Answer:
    """``YES`` / ``NO`` when every word of ``text`` is a clear answer, else ``UNCLEAR``."""
    stripped = text.strip()
    if stripped in BUTTONS:
        return BUTTONS[stripped]
    words = words_of(stripped)
    said: set[Answer] = set()
    i = 0
    while i < len(words):
        for size in range(min(LONGEST, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + size])
            if phrase in YES_PHRASES:
                said.add(Answer.YES)
            elif phrase in NO_PHRASES:
                said.add(Answer.NO)
            elif phrase not in POLITE:
                continue
            i += size
            break
        else:  # a word that is no part of an answer: a number, "wait", "?", a request...
            return Answer.UNCLEAR
    return said.pop() if len(said) == 1 else Answer.UNCLEAR
