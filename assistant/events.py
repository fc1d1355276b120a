"""Typed events the pipeline stages exchange; a UI, a log or a test subscribes to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    TRANSCRIPT_READY = "transcript-ready"
    INTENT_PARSED = "intent-parsed"
    REPLY_READY = "reply-ready"


@dataclass(frozen=True)
class TranscriptReady:
    text: str
    confidence: float | None = None
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
