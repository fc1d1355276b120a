"""The speech parts sessions use, a reply's audio streamed to a device, and the turn engine's
events as the device's messages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from assistant.channels import protocol as p
from assistant.events import Event, IntentParsed, ReplyReady, TranscriptReady
from audio import vad
from audio.base import RATE, WIDTH, Transcriber
from audio.tts import QueueSpeaker
from audio.wakeword import WakeWordDetector

Outgoing = p.GatewayMessage | bytes  # what a session sends: messages, and reply audio frames
FRAMES_PER_S = 5  # reply audio goes in 200 ms frames


@dataclass
class SpeechParts:
    """How sessions get recognisers and endpointers, and the shared speech synthesiser."""

    transcriber_factory: Callable[[], Transcriber]
    endpointer_factory: Callable[[], vad.Endpointer]
    speaker: QueueSpeaker | None  # None: replies are text only (no reply audio)
    close: Callable[[], None] | None = None  # stops what the parts hold (worker processes)
    # a home session's wake word check (the second stage after the device's own); without
    # one a home session decodes nothing it hears (text turns only)
    wake_word_factory: Callable[[], WakeWordDetector] | None = None


def stream_reply(
    speaker: QueueSpeaker,
    text: str,
    emit: Callable[[Outgoing], None],
    stopped: Callable[[], bool],
) -> float | None:
    """Send ``text`` spoken: ``audio_start``, frames, ``audio_end`` (``interrupted`` when
    ``stopped()`` turns true: barge-in, or the session's end). The ``perf_counter`` time the
    first audio went out, None if none did."""
    first: float | None = None
    for chunk in speaker.stream(text):
        if stopped():
            emit(p.AudioEnd(interrupted=True))
            return first
        if first is None:
            first = time.perf_counter()
            emit(p.AudioStart(chunk.rate, chunk.width, chunk.channels))
        step = chunk.rate * chunk.width * chunk.channels // FRAMES_PER_S
        for start in range(0, len(chunk.data), step):
            emit(chunk.data[start : start + step])
    if first is not None:
        emit(p.AudioEnd(interrupted=False))
    return first


class ReplyVoice:
    """A session's spoken replies: streamed to its device (``emit``) until barge-in or the
    session's end (``closed``), their length counted (a follow-up window waits for it)."""

    def __init__(
        self,
        speaker: QueueSpeaker | None,
        emit: Callable[[Outgoing], None],
        closed: threading.Event,
    ) -> None:
        self.speaker = speaker
        self._emit = emit
        self._closed = closed
        self.speaking = threading.Event()
        self._barge = threading.Event()
        self.reply_s = 0.0  # seconds of reply audio sent in this turn
        self._bytes_per_s = RATE * WIDTH  # of that audio (its audio_start says)

    def barge_in(self) -> None:
        """The customer speaks over the reply: stop sending its audio."""
        if self.speaking.is_set():
            self._barge.set()

    def __call__(self, texts: list[str]) -> float | None:
        """Stream the replies' audio to the device; when the first audio went out."""
        if not texts or self.speaker is None:
            return None
        self._barge.clear()
        self.speaking.set()
        try:
            return stream_reply(
                self.speaker,
                " ".join(texts),
                self._out,
                lambda: self._barge.is_set() or self._closed.is_set(),
            )
        finally:
            self.speaking.clear()

    def _out(self, message: Outgoing) -> None:
        if isinstance(message, p.AudioStart):
            self._bytes_per_s = message.rate * message.width * message.channels
        elif isinstance(message, bytes):
            self.reply_s += len(message) / self._bytes_per_s
        self._emit(message)


def device_messages(event: Event) -> list[p.GatewayMessage]:
    """What the device is sent of one of the turn engine's events."""
    if isinstance(event, TranscriptReady):
        return [p.Transcript(event.text)]
    if isinstance(event, IntentParsed):
        return [p.Intent(event.intent, event.confidence)]
    if isinstance(event, ReplyReady):
        return [p.Reply(r.text, r.response, _expect(r.custom)) for r in event.replies]
    return []


def _expect(custom: dict[str, Any]) -> Literal["pin"] | None:
    """A skill's payload may ask for a PIN next."""
    return "pin" if custom.get("expect") == "pin" else None
