"""Sound-alike phrases: words a recogniser split or joined, put back as the shop says them.

Whisper hears "cancel my order" as "can sell my order" and "abort" as "a board": every word
is one the shop knows, so the catalog correction (``audio.correction``, which looks only at
words the shop does not know) leaves them alone. This step looks at every run of one to three
heard words, finds the shop's words and word pairs that sound the same — the metaphone of the
letters run together, so "can sell" and "cancel" are both ``KNSL`` — and takes one when the
shop's language model (a trigram over the NLU sentences and the catalog's carrier sentences,
``audio.arpa``) finds the whole sentence with it far likelier (``margin``, in log10): "can
sell my order" is a sentence the shop has never heard, "cancel my order" one it has. Only
runs of words the shop knows are looked at (unknown words are the catalog correction's), and
one word replaced by another must sound exactly alike, so "pears" does not become "peas"
because peas are commoner.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import jellyfish
from rapidfuzz import fuzz, process

from audio.arpa import BOS, EOS, NgramModel, estimate

MAX_ROUNDS = 3  # replacements per transcript (each the best one left)


def sound_key(words: str) -> str:
    """The metaphone of the words' letters run together ("can sell" -> "KNSL")."""
    letters = "".join(c for c in words if c.isalpha())
    return jellyfish.metaphone(letters) if letters else ""


@dataclass(frozen=True)
class SoundAlike:
    heard: str
    replacement: str
    gain: float  # how much likelier the sentence became (log10)


class SoundAlikeCorrector:
    """Replaces runs of heard words by shop words that sound alike where the shop's language
    model finds the sentence far likelier.

    Args:
        sentences: the shop's sentences (normalised words), the language model's corpus.
        vocabulary: the words the shop knows (those of ``sentences`` if None).
        margin: the log10 likelihood a replacement must add to the sentence.
        similarity: how alike (0-100) the two sound keys must be; 100 = the same key.
        max_words: the longest run of heard words replaced at once.
    """

    def __init__(
        self,
        sentences: Iterable[str],
        vocabulary: Iterable[str] | None = None,
        margin: float = 2.0,
        similarity: float = 100.0,
        max_words: int = 3,
    ) -> None:
        tokenised = [s.split() for s in sentences if s.strip()]
        self.model: NgramModel = estimate(tokenised, order=3)
        self.vocabulary = frozenset(vocabulary) if vocabulary is not None else None
        self.margin = margin
        self.similarity = similarity
        self.max_words = max_words
        units: set[str] = set()
        for words in tokenised:
            units.update(words)
            units.update(f"{a} {b}" for a, b in itertools.pairwise(words))
        by_key: dict[str, list[str]] = {}
        for unit in sorted(units):
            key = sound_key(unit)
            if len(key) >= 2:  # "a", "i", "oh": too short to say anything by sound
                by_key.setdefault(key, []).append(unit)
        self._by_key = by_key
        self._keys = list(by_key)
        self._known = self.vocabulary or frozenset(w for s in tokenised for w in s)

    def _likelihood(self, words: list[str], start: int = 0, end: int | None = None) -> float:
        """log10 of the words' probability from word ``start`` to ``end`` (with </s>)."""
        padded = [BOS, *words, EOS]
        stop = len(padded) if end is None else min(len(padded), end + 1)
        history = self.model.order - 1
        return sum(
            self.model.log10_prob(padded[i], padded[max(0, i - history) : i])
            for i in range(start + 1, stop)
        )

    def _alikes(self, heard: str) -> list[str]:
        key = sound_key(heard)
        if len(key) < 2:
            return []
        if self.similarity >= 100:
            return self._by_key.get(key, [])
        found = process.extract(
            key, self._keys, scorer=fuzz.ratio, score_cutoff=self.similarity, limit=8
        )
        return [unit for match in found for unit in self._by_key[match[0]]]

    def _candidates(self, words: list[str]) -> Iterable[tuple[int, int, str]]:
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + self.max_words) + 1):
                run = words[start:end]
                if not self._known.issuperset(run):
                    break  # words the shop does not know are the catalog correction's
                heard = " ".join(run)
                for unit in self._alikes(heard):
                    single = len(run) == 1 and " " not in unit
                    if unit == heard or (single and sound_key(unit) != sound_key(heard)):
                        continue  # a word for another word: only an exact sound-alike
                    yield start, end, unit

    def corrections(self, text: str) -> tuple[str, list[SoundAlike]]:
        """The corrected text and the replacements made."""
        words = text.split()
        made: list[SoundAlike] = []
        reach = self.model.order - 1  # a word changes the probabilities this far after it
        for _ in range(MAX_ROUNDS):
            best: tuple[float, int, int, str] | None = None
            for start, end, unit in self._candidates(words):
                said = unit.split()
                changed = [*words[:start], *said, *words[end:]]
                gain = self._likelihood(changed, start, start + len(said) + reach) - (
                    self._likelihood(words, start, end + reach)
                )
                if gain >= self.margin and (best is None or gain > best[0]):
                    best = (gain, start, end, unit)
            if best is None:
                break
            gain, start, end, unit = best
            made.append(SoundAlike(" ".join(words[start:end]), unit, round(gain, 2)))
            words = [*words[:start], *unit.split(), *words[end:]]
        return " ".join(words), made

    def correct(self, text: str) -> str:
        return self.corrections(text)[0]
