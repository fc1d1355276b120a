"""The small interfaces the voice pipeline is built from; each has real engines and a fake.

Audio is always bytes plus an explicit format (``AudioChunk``). Engines take 16 kHz, 16-bit,
mono PCM; ``audio.formats`` converts anything else once, at the boundary, or refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

RATE = 16_000  # samples per second the engines take
WIDTH = 2  # bytes per sample (16-bit signed little-endian)
CHANNELS = 1


class Expect(StrEnum):
    """What the conversation is waiting to hear: engines that can constrain themselves do."""

    SPEECH = "speech"  # anything a customer may say
    PIN = "pin"  # digits only; the transcript's text is exactly the digits heard
    # the first utterance after the wake word: it begins with the wake phrase's end (the gate's
    # pre-roll), which an engine that can should read as the wake phrase and leave out
    AFTER_WAKE = "after_wake"

    @classmethod
    def awaiting(cls, pin: bool, after_wake: bool = False) -> Expect:
        """What an utterance starting now is: a PIN while one is awaited, else speech (the
        first after the wake word, if the gate opened on it)."""
        return cls.PIN if pin else cls.AFTER_WAKE if after_wake else cls.SPEECH


@dataclass(frozen=True)
class AudioChunk:
    rate: int
    width: int
    channels: int
    data: bytes

    @property
    def duration_s(self) -> float:
        return len(self.data) / (self.rate * self.width * self.channels)


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance."""

    text: str
    engine: str
    confidence: float | None = None
    decode_ms: float = 0.0
    raw_text: str | None = None  # what the engine heard, when a correction step changed it
    # other readings of the same audio (noisy speech heard through other noise filters), for
    # the dialogue to choose the one it understands best (``assistant/readings.py``)
    alternatives: tuple[str, ...] = ()


@dataclass
class SpeakerState:
    """What engines learn about one conversation's voice and room, carried from one of its
    utterances to the next and never to another conversation's: pocketsphinx's cepstral mean
    (the average colour of the channel, which its features are normalised by). One per
    audio stream; engines keep what they need under their own keys."""

    values: dict[str, str] = field(default_factory=dict)


class Recognition(Protocol):
    """One utterance being recognised as its audio arrives (streaming engines)."""

    def accept(self, chunk: AudioChunk) -> str | None:
        """Feed audio; return the partial transcript when it changed, else None."""
        ...

    def finish(self) -> Transcript:
        """The final transcript of everything fed so far."""
        ...


def settled_words(recognition: Recognition) -> tuple[str | None, int] | None:
    """What a recognition has of the words up to the pause in progress, and how much audio
    (bytes) it had heard when it knew: the endpointer's cue (``audio/vad.py``). An engine that
    can say defines ``settled()`` (Whisper's early decode, pocketsphinx's partial); wrappers
    pass it on. The words are None while a decode of them runs; the whole is None when
    nothing is coming."""
    settled = getattr(recognition, "settled", None)
    words: tuple[str | None, int] | None = settled() if settled is not None else None
    return words


class Transcriber(Protocol):
    """A speech-to-text engine (vosk, pocketsphinx, or a fake in tests)."""

    name: str

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> Recognition:
        """Begin one utterance (of the conversation ``speaker`` describes, if given); with
        ``Expect.PIN`` an engine that can restricts itself to digits."""
        ...

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        """A whole utterance at once."""
        ...


class Speaker(Protocol):
    """Text-to-speech output (pyttsx3 / espeak-ng, or a recording fake in tests)."""

    def speak(self, text: str) -> None:
        """Queue ``text``; returns at once. Long text is spoken sentence by sentence."""
        ...

    def stop(self) -> None:
        """Barge-in: stop speaking now and drop whatever is queued."""
        ...

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until everything queued is spoken; False on timeout."""
        ...


class AudioSource(Protocol):
    """Where customer audio comes from: a microphone, a WAV file, a network stream."""

    def chunks(self) -> Iterator[AudioChunk]: ...
