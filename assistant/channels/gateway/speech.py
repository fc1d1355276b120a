"""The speech parts sessions use, and a reply's audio streamed to a device."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.channels import protocol as p
from audio import vad
from audio.base import Transcriber
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
