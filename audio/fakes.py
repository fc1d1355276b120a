"""Fakes of the speech interfaces for pipeline tests: no model, no sound device, no timing.

transcriber = FixedTranscriber("add milk", "place the order")   # one text per utterance
speaker = RecordingSpeaker()                                      # .spoken, .stops
source = ListAudioSource([chunk, chunk])                          # a finite stream
wake = FixedWakeWord(at_s=[1.0, 7.5])                             # "hears" it at those times
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from audio.base import RATE, WIDTH, AudioChunk, Expect, SpeakerState, Transcript
from audio.errors import SpeechToTextError
from audio.formats import require_engine_format
from audio.wakeword import WakeDetection


class FixedRecognition:
    """Reveals the fixed text word by word as audio arrives (one word per ``accept``)."""

    def __init__(self, owner: FixedTranscriber, text: str) -> None:
        self._owner = owner
        self._words = text.split()
        self._shown = 0
        self.audio_bytes = 0

    def accept(self, chunk: AudioChunk) -> str | None:
        require_engine_format(chunk)
        self.audio_bytes += len(chunk.data)
        if self._shown >= len(self._words):
            return None
        self._shown += 1
        return " ".join(self._words[: self._shown])

    def finish(self) -> Transcript:
        owner = self._owner
        text = " ".join(self._words)
        return Transcript(text, owner.name, owner.confidence, alternatives=owner.alternatives)


class FixedTranscriber:
    """Answers each utterance with the next of the given texts; the last one repeats.

    ``fail_with`` makes every call raise that error instead (to test error paths).
    """

    def __init__(
        self,
        *texts: str,
        confidence: float | None = 1.0,
        fail_with: SpeechToTextError | None = None,
        alternatives: tuple[str, ...] = (),
    ) -> None:
        if not texts and fail_with is None:
            raise ValueError("FixedTranscriber needs at least one text")
        self.name = "fixed"
        self.confidence = confidence
        self.alternatives = alternatives  # other readings, given with every transcript
        self._texts = list(texts)
        self._next = 0
        self._fail_with = fail_with
        self.utterances: list[AudioChunk] = []
        self.expected: list[Expect] = []  # what each utterance was expected to be

    def _take(self) -> str:
        if self._fail_with is not None:
            raise self._fail_with
        text = self._texts[min(self._next, len(self._texts) - 1)]
        self._next += 1
        return text

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> FixedRecognition:
        self.expected.append(expect)
        return FixedRecognition(self, self._take())

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        require_engine_format(audio)
        self.expected.append(expect)
        self.utterances.append(audio)
        return Transcript(self._take(), self.name, self.confidence, alternatives=self.alternatives)


class RecordingSpeaker:
    """Records what it was asked to say; ``stop()`` drops what is still queued."""

    def __init__(self) -> None:
        self.spoken: list[str] = []
        self.stops = 0
        self._lock = threading.Lock()

    def speak(self, text: str) -> None:
        with self._lock:
            self.spoken.append(text)

    def stop(self) -> None:
        with self._lock:
            self.stops += 1

    def wait(self, timeout_s: float | None = None) -> bool:
        return True


class ListAudioSource:
    """A finite audio stream from chunks given up front (tests, WAV files split into blocks)."""

    def __init__(self, chunks: Iterable[AudioChunk]) -> None:
        self._chunks = list(chunks)

    def chunks(self) -> Iterator[AudioChunk]:
        yield from self._chunks


class FixedWakeWord:
    """A wake word detector that "hears" the wake word at the given stream times (seconds of
    audio fed since it was made), each once; ``resets`` counts the ends of turns."""

    def __init__(self, at_s: Iterable[float] = (), model: str = "fixed") -> None:
        self.model = model
        self._at = sorted(at_s)
        self._bytes = 0
        self.resets = 0

    def process(self, chunk: AudioChunk) -> list[WakeDetection]:
        require_engine_format(chunk)
        before = self._bytes / (RATE * WIDTH)
        self._bytes += len(chunk.data)
        now = self._bytes / (RATE * WIDTH)
        return [WakeDetection(t, self.model, 1.0) for t in self._at if before < t <= now]

    def reset(self) -> None:
        self.resets += 1
