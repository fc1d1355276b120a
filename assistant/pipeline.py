"""The voice pipeline: audio in → transcript → Rasa → replies → speech out, as typed events.

Stages sit behind small interfaces (``audio.base.Transcriber`` and ``Speaker``, a
``Conversation`` such as ``assistant.chat.ChatSession``); the terminal display, the logs, the
device gateway and the tests all subscribe to the same ``EventBus``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from assistant.chat import PIN_SHOWN
from assistant.errors import CODED_ERRORS
from assistant.events import (
    ErrorRaised,
    Event,
    IntentParsed,
    Listening,
    PartialTranscript,
    ReplyReady,
    SpeechDone,
    SpeechStarted,
    TranscriptReady,
    TurnDone,
)
from audio import tts
from audio.base import AudioChunk, Expect, Speaker, SpeakerState, Transcriber, Transcript

log = logging.getLogger(__name__)

# What the dialogue is sent when the recogniser heard nothing it could use: Rasa's fallback
# intent, so the customer hears the domain's "please say that again" (utter_please_rephrase).
NOTHING_HEARD = "/nlu_fallback"


class Conversation(Protocol):
    """A customer's conversation with the dialogue (``ChatSession`` is the real one)."""

    expecting_pin: bool

    def reading(self, transcript: Transcript) -> str: ...

    def exchange(self, text: str) -> tuple[str, IntentParsed, ReplyReady]: ...


class EventBus:
    """Fan events out to subscribers; a failing subscriber is logged, never breaks a turn."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Event], None]] = []

    def subscribe(self, subscriber: Callable[[Event], None]) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def emit(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # a display or log must not stop the assistant
                log.exception("event subscriber failed on %s", event.type)


class SpeechClock:
    """Wired to a speaker's ``on_event``: notes when reply audio starts and republishes the
    speaker's events (which arrive on its worker thread) on the bus."""

    def __init__(self, bus: EventBus, clock: Callable[[], float] = time.perf_counter) -> None:
        self.bus = bus
        self.clock = clock
        self._started = threading.Event()
        self.started_at: float | None = None

    def arm(self) -> None:
        self._started.clear()
        self.started_at = None

    def __call__(self, event: tts.TtsEvent) -> None:
        if isinstance(event, tts.SpeechStarted):
            if not self._started.is_set():
                self.started_at = self.clock()
                self._started.set()
            self.bus.emit(SpeechStarted(event.text))
        else:
            self.bus.emit(SpeechDone(interrupted=event.interrupted))

    def wait_started(self, timeout_s: float) -> float | None:
        return self.started_at if self._started.wait(timeout_s) else None


@dataclass
class VoiceTurn:
    """The outcome of one spoken turn (what ``chat --wav`` prints)."""

    transcript: str
    engine: str
    intent: str | None
    confidence: float | None
    replies: list[str]
    responses: list[str | None]
    timings_ms: dict[str, float] = field(default_factory=dict)


class VoicePipeline:
    def __init__(
        self,
        transcriber: Transcriber,
        conversation: Conversation,
        speaker: Speaker,
        bus: EventBus | None = None,
        speech_clock: SpeechClock | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        """``speech_clock``: the one the speaker reports to (``on_event``); without it (fake
        speakers) reply audio counts as started when ``speak`` returns."""
        self.transcriber = transcriber
        self.conversation = conversation
        self.speaker = speaker
        self.bus = bus or EventBus()
        self.speech_clock = speech_clock
        self.clock = clock
        self.speaker_state = SpeakerState()  # the customer's voice and room, between turns

    def hear(self, chunks: Iterable[AudioChunk]) -> tuple[Transcript, float]:
        """Recognise one utterance as its audio arrives; (transcript, when speech ended).

        Partial transcripts are published while the audio streams in, except while a PIN is
        awaited: a PIN is never shown, logged or stored.
        """
        self.bus.emit(Listening())
        private = self.conversation.expecting_pin
        recognition = self.transcriber.start(
            self.speaker_state, Expect.PIN if private else Expect.SPEECH
        )
        for chunk in chunks:
            partial = recognition.accept(chunk)
            if partial and not private:
                self.bus.emit(PartialTranscript(partial))
        end_of_speech = self.clock()
        return recognition.finish(), end_of_speech

    def respond(self, transcript: Transcript, end_of_speech: float) -> VoiceTurn:
        """Send what was heard to the dialogue and speak the replies."""
        private = self.conversation.expecting_pin
        text = self.conversation.reading(transcript).strip()
        heard = self.clock()
        self.bus.emit(
            TranscriptReady(
                PIN_SHOWN if private else text,
                transcript.confidence,
                transcript.engine,
                round(transcript.decode_ms, 1),
            )
        )
        try:
            shown, parsed, reply = self.conversation.exchange(text or NOTHING_HEARD)
        except CODED_ERRORS as err:
            self.bus.emit(ErrorRaised(err.code, err.message))
            raise
        answered = self.clock()
        self.bus.emit(parsed)
        self.bus.emit(reply)
        first_audio = self.speak([r.text for r in reply.replies if r.text])
        timings = {
            "decode_tail": round((heard - end_of_speech) * 1000, 1),
            "dialogue": round((answered - heard) * 1000, 1),
            "end_of_speech_to_first_audio": round((first_audio - end_of_speech) * 1000, 1),
        }
        return VoiceTurn(
            transcript=PIN_SHOWN if private else (shown if text else ""),
            engine=transcript.engine,
            intent=parsed.intent,
            confidence=parsed.confidence,
            replies=[r.text for r in reply.replies],
            responses=[r.response for r in reply.replies],
            timings_ms=timings,
        )

    def speak(self, texts: list[str]) -> float:
        """Queue the replies; return when their first audio started (or now, with nothing)."""
        if not texts:
            return self.clock()
        if self.speech_clock is not None:
            self.speech_clock.arm()
        for text in texts:
            self.speaker.speak(text)
        if self.speech_clock is None:
            self.bus.emit(SpeechStarted(texts[0]))
            return self.clock()
        started = self.speech_clock.wait_started(timeout_s=30)
        return started if started is not None else self.clock()

    def finish_speaking(self, timeout_s: float | None = None) -> bool:
        return self.speaker.wait(timeout_s)

    def turn(self, chunks: Iterable[AudioChunk]) -> VoiceTurn:
        """One whole spoken turn from the utterance's audio."""
        transcript, end_of_speech = self.hear(chunks)
        result = self.respond(transcript, end_of_speech)
        self.bus.emit(TurnDone(result.timings_ms))
        return result

    def barge_in(self) -> None:
        """The customer started talking while the assistant speaks: stop speaking."""
        self.speaker.stop()
