"""Typed events the pipeline stages exchange; a UI, a log or a test subscribes to them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    LISTENING = "listening"
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
