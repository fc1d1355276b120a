"""One normaliser between every recogniser and the dialogue.

Recognisers write the same words differently: pocketsphinx and vosk give lower-case words
("add two litres of milk at five pm"), Whisper gives written English ("Add 2 liters of milk
at 5 p.m."). The NLU was trained on the spoken forms, and the catalog correction and the
shop LM work on them, so every transcript is brought to that one form here — digits and
number words, units, times, punctuation, casing and British spellings — before correction:

    spoken_form("Add 2 liters of milk at 5:30 p.m.") == "add two litres of milk at five thirty pm"

A PIN is left as the digits the engine returned (``Expect.PIN``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from audio import base
from audio.base import AudioChunk, Expect, Recognition, SpeakerState, Transcriber, Transcript
from audio.text import normalize

# written forms Whisper uses -> the forms the shop's sentences use
_SPELLINGS = {
    "liter": "litre",
    "liters": "litres",
    "milliliter": "millilitre",
    "milliliters": "millilitres",
    "yoghurt": "yogurt",
    "yoghurts": "yogurts",
}
_SPELLING = re.compile(r"\b(" + "|".join(_SPELLINGS) + r")\b")


def spoken_form(text: str) -> str:
    """Lower-case words as the NLU was trained on them (see the module's docstring)."""
    text = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", text, flags=re.IGNORECASE)  # p.m. -> pm
    text = re.sub(r"\b(\d{1,2})[.:](\d\d)\b", r"\1 \2", text)  # 5.30 / 5:30 -> 5 30
    text = re.sub(r"\b(\d{1,2}) ?o'?clock\b", r"\1 o'clock", text, flags=re.IGNORECASE)
    # a run of four or more digits is digits said one by one ("4321"), not a number
    text = re.sub(r"\b\d{4,}\b", lambda m: " ".join(m.group()), text)
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)  # 1,000 -> 1000
    text = normalize(text)
    return _SPELLING.sub(lambda m: _SPELLINGS[m.group(1)], text)


def normalized(heard: Transcript) -> Transcript:
    """``heard`` in the spoken form, its alternatives too; what the engine wrote is kept in
    ``raw_text`` when it changed."""
    text = spoken_form(heard.text)
    alternatives = tuple(dict.fromkeys(a for a in map(spoken_form, heard.alternatives) if a))
    alternatives = tuple(a for a in alternatives if a != text)
    if text == heard.text and alternatives == heard.alternatives:
        return heard
    raw = heard.raw_text if heard.raw_text is not None else heard.text
    return replace(heard, text=text, raw_text=raw, alternatives=alternatives)


class NormalizingRecognition:
    def __init__(self, inner: Recognition) -> None:
        self._inner = inner

    def accept(self, chunk: AudioChunk) -> str | None:
        partial = self._inner.accept(chunk)
        return spoken_form(partial) if partial else partial

    def settled(self) -> tuple[str | None, int] | None:
        words = base.settled_words(self._inner)
        if words is None or words[0] is None:
            return words
        return spoken_form(words[0]), words[1]

    def finish(self) -> Transcript:
        return normalized(self._inner.finish())


class NormalizingTranscriber:
    """Wraps any ``Transcriber`` so that its transcripts come out in the spoken form."""

    def __init__(self, inner: Transcriber) -> None:
        self.inner = inner
        self.name = inner.name

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> Recognition:
        inner = self.inner.start(speaker, expect)
        return inner if expect is Expect.PIN else NormalizingRecognition(inner)

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        heard = self.inner.transcribe(audio, expect)
        return heard if expect is Expect.PIN else normalized(heard)
