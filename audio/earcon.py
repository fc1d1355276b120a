"""Earcons: the short tones a home device plays when it starts and stops listening, so the
customer hears what the listening indicator shows.

chimes = Chimes(sink)                 # a sound device (SoundDeviceSink) or a test's fake
chimes.listening(True, "wake")        # a rising two-note chime, played on a thread of its own
chimes.listening(False, "end_of_utterance")   # a falling one
chimes.close()

The tones are made with numpy (no files): two 70 ms sine notes with 5 ms fades, 16 kHz mono
16-bit, quiet enough not to cover speech.
"""

from __future__ import annotations

import logging
import queue
import threading
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk

if TYPE_CHECKING:
    from audio.tts import AudioSink

log = logging.getLogger(__name__)

NOTE_S = 0.07
FADE_S = 0.005
LEVEL = 0.25  # of full scale
# Openings a customer should hear: the wake word, or the window after a question. The gate
# also opens while a reply plays (to hear "stop"): a chime then would talk over the reply.
HEARD_OPENINGS = frozenset({"wake", "follow_up"})


class Earcon(StrEnum):
    LISTENING = "listening"  # rising: speak now
    DONE = "done"  # falling: it stopped listening


NOTES_HZ = {Earcon.LISTENING: (660.0, 990.0), Earcon.DONE: (990.0, 660.0)}


def tone(earcon: Earcon) -> AudioChunk:
    """The earcon's audio (16 kHz mono 16-bit)."""
    t = np.arange(int(NOTE_S * RATE)) / RATE
    fade = int(FADE_S * RATE)
    envelope = np.ones_like(t)
    envelope[:fade] = np.linspace(0.0, 1.0, fade)
    envelope[-fade:] = np.linspace(1.0, 0.0, fade)
    notes = [np.sin(2 * np.pi * hz * t) * envelope for hz in NOTES_HZ[earcon]]
    samples = np.concatenate(notes) * LEVEL * 32767
    return AudioChunk(RATE, WIDTH, CHANNELS, samples.astype("<i2").tobytes())


class Chimes:
    """Plays an earcon when listening starts (wake word, follow-up window) and when it ends
    after one of those; never blocks the caller (a worker thread plays them in order).
    ``enabled=False``: silent (``speech.earcons: false``, ``--no-earcons``)."""

    def __init__(self, sink: AudioSink, enabled: bool = True) -> None:
        self.sink = sink
        self.enabled = enabled
        self._open = False  # listening after a wake or for a follow-up: its end is heard
        self._queue: queue.Queue[Earcon | threading.Event] = queue.Queue()
        self._stop = threading.Event()  # never set: an earcon is too short to interrupt
        self._thread = threading.Thread(target=self._play, name="earcons", daemon=True)
        self._thread.start()

    def listening(self, listening: bool, reason: str) -> None:
        """The listening indicator changed (``ListenChange`` / a gateway ``listening``)."""
        if listening and reason in HEARD_OPENINGS:
            self._open = True
            self.play(Earcon.LISTENING)
        elif not listening and self._open:
            self._open = False
            self.play(Earcon.DONE)

    def play(self, earcon: Earcon) -> None:
        if self.enabled:
            self._queue.put(earcon)

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until every earcon asked for so far has been played."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout_s)

    def close(self) -> None:
        self.flush()

    def _play(self) -> None:
        while True:
            earcon = self._queue.get()
            if isinstance(earcon, threading.Event):
                earcon.set()
                continue
            try:
                self.sink.play(tone(earcon), self._stop)
            except Exception:
                log.warning("an earcon could not be played", exc_info=True)  # listening goes on
