"""Typed events the pipeline stages exchange; a UI, a log or a test subscribes to them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    LISTENING = "listening"
    LISTENING_CHANGED = "listening-changed"
    PARTIAL_TRANSCRIPT = "partial-transcript"
    TRANSCRIPT_READY = "transcript-ready"
    INTENT_PARSED = "intent-parsed"
    REPLY_READY = "reply-ready"
    SPEECH_STARTED = "speech-started"
    SPEECH_DONE = "speech-done"
    TURN_DONE = "turn-done"
    ERROR = "error"


@dataclass(frozen=True)
class Listening:
    """The assistant waits for the customer to speak."""

    type: EventType = EventType.LISTENING


@dataclass(frozen=True)
class ListeningChanged:
    """The listening indicator: on when the wake word was heard (``wake``) or a question
    waits for its answer (``follow_up``, for ``window_s``); off when the utterance ended, no
    one spoke in time or the microphone was muted. Nothing is heard while it is off."""

    listening: bool
    reason: str
    window_s: float | None = None
    type: EventType = EventType.LISTENING_CHANGED


@dataclass(frozen=True)
class PartialTranscript:
    text: str
    type: EventType = EventType.PARTIAL_TRANSCRIPT


@dataclass(frozen=True)
class TranscriptReady:
    text: str
    confidence: float | None = None
    engine: str | None = None
    decode_ms: float | None = None
    type: EventType = EventType.TRANSCRIPT_READY


@dataclass(frozen=True)
class IntentParsed:
    text: str
    intent: str | None
    confidence: float | None
    entities: tuple[dict[str, Any], ...] = ()
    type: EventType = EventType.INTENT_PARSED


@dataclass(frozen=True)
class Reply:
    """One bot message: its words, the response key it came from, and any custom payload."""

    text: str
    response: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyReady:
    replies: tuple[Reply, ...]
    type: EventType = EventType.REPLY_READY

    @property
    def expects_pin(self) -> bool:
        return any(r.custom.get("expect") == "pin" for r in self.replies)

    @property
    def expects_answer(self) -> bool:
        """The replies end on a question (a PIN, which one, what time, yes or no): the
        customer's next words answer it. Told by the reply itself: a payload that names what
        it expects, a question mark in the last reply, or an ``utter_ask_*`` response."""
        if any(r.custom.get("expect") for r in self.replies):
            return True
        said = [r for r in self.replies if r.text]
        if not said:
            return False
        last = said[-1]
        return "?" in last.text or (last.response or "").startswith("utter_ask_")


@dataclass(frozen=True)
class SpeechStarted:
    """Reply audio starts playing (the first sentence of ``text``)."""

    text: str
    type: EventType = EventType.SPEECH_STARTED


@dataclass(frozen=True)
class SpeechDone:
    interrupted: bool = False
    type: EventType = EventType.SPEECH_DONE


@dataclass(frozen=True)
class TurnDone:
    """One turn finished; ``timings_ms`` holds what it cost, stage by stage."""

    timings_ms: dict[str, float] = field(default_factory=dict)
    type: EventType = EventType.TURN_DONE


@dataclass(frozen=True)
class ErrorRaised:
    code: str
    message: str
    type: EventType = EventType.ERROR


Event = (
    Listening
    | ListeningChanged
    | PartialTranscript
    | TranscriptReady
    | IntentParsed
    | ReplyReady
    | SpeechStarted
    | SpeechDone
    | TurnDone
    | ErrorRaised
)


def as_dict(event: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict (for logs, the terminal display and device streams)."""
    body = dataclasses.asdict(event)
    body["type"] = str(event.type)
    return body
