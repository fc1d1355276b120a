"""Snap near-miss product words in a transcript onto catalog names.

A recogniser without the shop LM (or vosk with a general model) hears "basmati rice" as
"best multi rice" or "chickpeas" as "chick peace". The corrector looks at runs of words the
shop does not know (out of the shop vocabulary) and at their neighbours, and replaces a run
by the catalog term it resembles most — by spelling (rapidfuzz) and by sound (jellyfish's
metaphone) — when the resemblance clears a threshold. Words the shop knows are left alone,
so with the shop LM (whose output is always in-vocabulary) the step changes nothing it
should not. Number homophones before units are fixed too ("to percent" -> "two percent").
Then, when given, ``audio.sound_alikes`` puts back shop words heard as other known words that
sound the same ("can sell my order" -> "cancel my order").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import jellyfish
from rapidfuzz import fuzz, process

from audio import base
from audio.base import AudioChunk, Expect, Recognition, SpeakerState, Transcriber, Transcript
from audio.sound_alikes import SoundAlikeCorrector
from audio.text import normalize

NUMBER_HOMOPHONES = {"to": "two", "too": "two", "for": "four", "won": "one", "ate": "eight"}
UNIT_WORDS = frozenset(
    [
        "percent",
        "litre",
        "litres",
        "liter",
        "liters",
        "pint",
        "pints",
        "kilo",
        "kilos",
        "grams",
        "gram",
        "packs",
        "pack",
        "bottles",
        "bottle",
        "tins",
        "tin",
        "cans",
        "jars",
        "boxes",
        "loaves",
        "bags",
        "dozen",
        "cartons",
        "tubs",
    ]
)


def _sound(phrase: str) -> str:
    return " ".join(jellyfish.metaphone(w) for w in phrase.split())


@dataclass(frozen=True)
class Correction:
    original: str
    replacement: str
    score: float


class TranscriptCorrector:
    """Corrects transcripts against the catalog's terms and the shop's vocabulary.

    Args:
        terms: catalog names (products, brands, recipes, stores), normalised.
        vocabulary: every word the shop's sentences use; runs of other words are candidates.
        threshold: the combined score (0-100) a replacement needs.
        max_words: the longest run of heard words considered for one term.
        sound_alikes: known words put back as the shop's sound-alikes, after the terms
            (None: not done).
    """

    def __init__(
        self,
        terms: Iterable[str],
        vocabulary: Iterable[str],
        threshold: float = 75,
        max_words: int = 3,
        sound_alikes: SoundAlikeCorrector | None = None,
    ) -> None:
        self.terms = sorted({normalize(t) for t in terms if t.strip()})
        self.vocabulary = frozenset(vocabulary)
        self.threshold = threshold
        self.max_words = max_words
        self.sound_alikes = sound_alikes
        self._sounds = [_sound(t) for t in self.terms]

    def _best(self, phrase: str) -> tuple[str, float] | None:
        spelled = process.extractOne(phrase, self.terms, scorer=fuzz.ratio)
        heard = process.extractOne(_sound(phrase), self._sounds, scorer=fuzz.ratio)
        candidates: dict[str, float] = {}
        for match in (spelled, heard):
            if match is None:
                continue
            term = self.terms[match[2]]
            # both views count: the spelling keeps "tips" from becoming "chips"
            spelling = fuzz.ratio(phrase, term)
            sound = fuzz.ratio(_sound(phrase), _sound(term))
            candidates[term] = 0.5 * spelling + 0.5 * sound
        if not candidates:
            return None
        term = max(candidates, key=lambda t: candidates[t])
        return term, candidates[term]

    def corrections(self, text: str) -> tuple[str, list[Correction]]:
        """The corrected text and the replacements made."""
        words = normalize(text).split()
        made: list[Correction] = []
        for i, word in enumerate(words[:-1]):
            if word in NUMBER_HOMOPHONES and words[i + 1] in UNIT_WORDS:
                made.append(Correction(word, NUMBER_HOMOPHONES[word], 100.0))
                words[i] = NUMBER_HOMOPHONES[word]
        out: list[str] = []
        frozen = 0  # words before this index were replaced already: not touched again
        i = 0
        while i < len(words):
            if words[i] in self.vocabulary:
                out.append(words[i])
                i += 1
                continue
            # an unknown word: try the runs that contain it (up to max_words long)
            best: tuple[float, int, int, str] | None = None
            for start in range(max(frozen, i - self.max_words + 1), i + 1):
                for end in range(i + 1, min(len(words), start + self.max_words) + 1):
                    found = self._best(" ".join(words[start:end]))
                    if (
                        found
                        and found[1] >= self.threshold
                        and (best is None or found[1] > best[0])
                    ):
                        best = (found[1], start, end, found[0])
            if best is None:
                out.append(words[i])
                i += 1
                continue
            score, start, end, term = best
            del out[len(out) - (i - start) :]  # words start..i-1 went out unchanged
            out.extend(term.split())
            made.append(Correction(" ".join(words[start:end]), term, score))
            frozen = i = end
        if self.sound_alikes is None:
            return " ".join(out), made
        text, alike = self.sound_alikes.corrections(" ".join(out))
        made += [Correction(a.heard, a.replacement, 100.0) for a in alike]
        return text, made

    def correct(self, text: str) -> str:
        return self.corrections(text)[0]

    def correct_transcript(self, heard: Transcript) -> Transcript:
        text = self.correct(heard.text)
        alternatives = tuple(self.correct(a) for a in heard.alternatives)
        if text == heard.text and alternatives == heard.alternatives:
            return heard
        raw = heard.raw_text if text == heard.text else heard.text
        return replace(heard, text=text, raw_text=raw, alternatives=alternatives)


class CorrectingRecognition:
    """A streaming recognition whose final transcript is corrected (partials are not)."""

    def __init__(self, inner: Recognition, corrector: TranscriptCorrector) -> None:
        self._inner = inner
        self._corrector = corrector

    def accept(self, chunk: AudioChunk) -> str | None:
        return self._inner.accept(chunk)

    def settled(self) -> tuple[str | None, int] | None:
        return base.settled_words(self._inner)

    def finish(self) -> Transcript:
        return self._corrector.correct_transcript(self._inner.finish())


class CorrectingTranscriber:
    """Wraps any ``Transcriber`` so that its transcripts go through the corrector."""

    def __init__(self, inner: Transcriber, corrector: TranscriptCorrector) -> None:
        self.inner = inner
        self.name = inner.name
        self.corrector = corrector

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> Recognition:
        inner = self.inner.start(speaker, expect)
        if expect is Expect.PIN:
            return inner  # digits are not snapped onto product names
        return CorrectingRecognition(inner, self.corrector)

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        heard = self.inner.transcribe(audio, expect)
        return heard if expect is Expect.PIN else self.corrector.correct_transcript(heard)
