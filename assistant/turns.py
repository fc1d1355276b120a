"""The turn engine: where a customer's input becomes a turn, for every channel.

Typed text (the terminal, ``chat``) or a spoken utterance (the microphone loop, ``chat --wav``)
goes the same way: the reading to answer (of several readings of noisy speech, the one the
dialogue understands best; a PIN never shown), the exchange with the dialogue, the replies
spoken, and one ``TurnDone`` with one timing schema (``TIMINGS``). Each stage is published on
an ``EventBus`` as a typed event (``assistant/events.py``), which the terminal display, the
logs and the tests subscribe to. Stages sit behind small interfaces: ``audio.base.Transcriber``
and ``Speaker``, and a ``Conversation`` such as ``assistant.chat.ChatSession``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.chat import PIN_SHOWN, PinLine, pin_line
from assistant.errors import CODED_ERRORS
from assistant.events import (
    ErrorRaised,
    Event,
    IntentParsed,
    Listening,
    PartialTranscript,
    Reply,
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
# Said when the dialogue gave no reply at all (its action server failed or is down): never
# silence. It cannot live in the domain with the other responses.
UNAVAILABLE = "utter_assistant_unavailable"
UNAVAILABLE_TEXT = "Sorry, I'm having trouble right now. Please try again in a moment."


# Every turn's timings (ms), whatever the channel: the endpointer's silence wait, the decode
# after the end of speech, the dialogue's answer, and what the customer waits in all (from the
# end of speech, or of the typed line, to the first reply audio, or to the replies without a
# speaker).
TIMINGS = ("vad_wait", "decode_tail", "dialogue", "end_of_speech_to_first_audio")


class Conversation(Protocol):
    """A customer's conversation with the dialogue (``ChatSession`` is the real one)."""

    expecting_pin: bool

    def reading(self, transcript: Transcript) -> str: ...

    def exchange(
        self, text: str, extra: dict[str, Any] | None = None
    ) -> tuple[str, IntentParsed, ReplyReady]: ...


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
class Turn:
    """The outcome of one turn (what ``chat`` and ``chat --wav`` print)."""

    transcript: str  # what may be shown of what was said ([PIN] for a PIN)
    engine: str | None  # the recogniser; None for typed text
    intent: str | None
    confidence: float | None
    replies: list[str]
    responses: list[str | None]
    timings_ms: dict[str, float] = field(default_factory=dict)
    payloads: list[dict[str, Any]] = field(default_factory=list)  # the replies' custom payloads
    expects_answer: bool = False  # the replies asked a question (the follow-up window opens)


class TurnEngine:
    """Runs every turn of one conversation: ``typed`` and ``spoken`` (and ``hear`` + ``turn``
    for a whole utterance's audio). Channels are adapters: they bring the input and show or
    play what the bus publishes."""

    def __init__(
        self,
        conversation: Conversation,
        speaker: Speaker | None = None,
        bus: EventBus | None = None,
        speech_clock: SpeechClock | None = None,
        clock: Callable[[], float] = time.perf_counter,
        transcriber: Transcriber | None = None,
        voice: Callable[[list[str]], float | None] | None = None,
    ) -> None:
        """``speech_clock``: the one the speaker reports to (``on_event``); without it (fake
        speakers) reply audio counts as started when ``speak`` returns. ``transcriber``: for
        ``hear`` (audio in); a channel that endpoints audio itself passes transcripts.
        ``voice``: speaks the replies instead of ``speaker`` and returns when (this clock) the
        first audio went out, or None (the gateway streams reply audio to its device)."""
        self.transcriber = transcriber
        self.conversation = conversation
        self.speaker = speaker
        self.bus = bus or EventBus()
        self.speech_clock = speech_clock
        self.clock = clock
        self.speaker_state = SpeakerState()  # the customer's voice and room, between turns
        self.voice = voice

    def hear(self, chunks: Iterable[AudioChunk]) -> tuple[Transcript, float]:
        """Recognise one utterance as its audio arrives; (transcript, when speech ended).

        Partial transcripts are published while the audio streams in, except while a PIN is
        awaited: a PIN is never shown, logged or stored.
        """
        if self.transcriber is None:
            raise TypeError("this turn engine was made without a transcriber")
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

    def turn(self, chunks: Iterable[AudioChunk]) -> Turn:
        """One whole spoken turn from the utterance's audio."""
        transcript, end_of_speech = self.hear(chunks)
        return self.spoken(transcript, end_of_speech)

    def spoken(
        self, transcript: Transcript, end_of_speech: float, vad_wait_ms: float = 0.0
    ) -> Turn:
        """Answer what was heard (``end_of_speech``: this clock's time when the endpointer
        decided it ended, ``vad_wait_ms`` after the speech itself did)."""
        text = self.conversation.reading(transcript).strip()
        heard = self.clock()
        shown = self.shown(text)
        self.bus.emit(
            TranscriptReady(
                shown, transcript.confidence, transcript.engine, round(transcript.decode_ms, 1)
            )
        )
        turn = self._answer(text or NOTHING_HEARD, shown, end_of_speech, heard, vad_wait_ms)
        turn.engine = transcript.engine
        return turn

    def typed(
        self, text: str, extra: dict[str, Any] | None = None, shown: str | None = None
    ) -> Turn:
        """Answer a typed line (``extra``: metadata for this turn only; ``shown``: what to
        show for it, a kiosk's "[Confirm]" for the button's "/affirm")."""
        entered = self.clock()
        if self.speaker is not None:
            self.speaker.stop()  # typing again interrupts the last reply
        shown = shown or self.shown(text)
        self.bus.emit(TranscriptReady(shown))
        return self._answer(text, shown, entered, entered, 0.0, extra)

    def shown(self, text: str) -> str:
        """What may be shown of a line: at the PIN prompt anything with digits is hidden
        (words such as "cancel" are no PIN)."""
        if self.conversation.expecting_pin and pin_line(text) != PinLine.WORDS:
            return PIN_SHOWN
        return text

    def _answer(
        self,
        text: str,
        shown: str,
        end_of_speech: float,
        heard: float,
        vad_wait_ms: float,
        extra: dict[str, Any] | None = None,
    ) -> Turn:
        try:
            _, parsed, reply = self.conversation.exchange(text, extra)
        except CODED_ERRORS as err:
            self.bus.emit(ErrorRaised(err.code, err.message))
            raise
        answered = self.clock()
        if not reply.replies:  # its action server failed or is down: never silence
            log.warning("the dialogue gave no reply to a turn")
            reply = ReplyReady((Reply(UNAVAILABLE_TEXT, UNAVAILABLE),))
        self.bus.emit(parsed)
        self.bus.emit(reply)
        first_audio = self.speak([r.text for r in reply.replies if r.text])
        timings = {
            "vad_wait": round(vad_wait_ms, 1),
            "decode_tail": round((heard - end_of_speech) * 1000, 1),
            "dialogue": round((answered - heard) * 1000, 1),
            "end_of_speech_to_first_audio": round(
                vad_wait_ms + (first_audio - end_of_speech) * 1000, 1
            ),
        }
        self.bus.emit(TurnDone(timings))
        return Turn(
            transcript=shown,
            engine=None,
            intent=parsed.intent,
            confidence=parsed.confidence,
            replies=[r.text for r in reply.replies],
            responses=[r.response for r in reply.replies],
            timings_ms=timings,
            payloads=[r.custom for r in reply.replies if r.custom],
            expects_answer=reply.expects_answer and parsed.intent != "goodbye",
        )

    def speak(self, texts: list[str]) -> float:
        """Queue the replies; return when their first audio started (or now, with nothing)."""
        if texts and self.voice is not None:
            started = self.voice(texts)
            return started if started is not None else self.clock()
        if not texts or self.speaker is None:
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
        return self.speaker.wait(timeout_s) if self.speaker is not None else True

    def barge_in(self) -> None:
        """The customer started talking while the assistant speaks: stop speaking."""
        if self.speaker is not None:
            self.speaker.stop()
