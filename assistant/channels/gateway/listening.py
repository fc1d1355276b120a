"""What of a device's audio its session hears, and the device's listening indicator.

Nothing while the device is muted; at home only what the gateway's own wake word check lets
through (a device that was fooled, or sends without waking, puts nothing into the
conversation), and, after a question, its answer without the wake word for a follow-up window;
at a kiosk all of it.
"""

from __future__ import annotations

import time
import typing
from collections.abc import Callable

from assistant.channels import protocol as p
from assistant.settings import Settings
from audio.base import AudioChunk
from audio.wakeword import ListenChange, ListenReason, WakeGate, WakeWordDetector

# A follow-up window lasts while the device plays the question (its reply audio's length) and
# then ``speech.follow_up_s``, in the audio the device sends and, for a device that sends none,
# in wall time plus this margin.
FOLLOW_UP_GRACE_S = 2.0


class Listener:
    """A session's ears; ``start`` (on the session's worker) makes a home device's gate."""

    def __init__(
        self, home: bool, emit: Callable[[p.GatewayMessage], None], on_close: Callable[[], None]
    ) -> None:
        self.home = home
        self._emit = emit
        self._on_close = on_close  # the gate closed: forget what was heard while it was open
        self.wake: WakeGate | None = None
        self.muted = False
        self._window_until: float | None = None  # monotonic end of a follow-up window
        self._resumed_window_s = 0.0  # a follow-up window left open on another process

    def start(self, detector: WakeWordDetector, settings: Settings) -> None:
        speech = settings.speech
        self.wake = WakeGate(
            detector,
            preroll_s=speech.wake_word_preroll_ms / 1000,
            window_s=speech.follow_up_s,
            on_change=self._changed,
        )
        self.wake.mute(self.muted)
        if self._resumed_window_s > 0:
            self.follow_up(self._resumed_window_s, 0.0)

    def hear(self, chunk: AudioChunk) -> list[AudioChunk]:
        if self.muted:
            return []
        if not self.home:
            return [chunk]
        if self.wake is None:
            return []
        return self.wake.feed(chunk)

    @property
    def after_wake(self) -> bool:
        """The gate opened on the wake word: the utterance starting begins with its end."""
        return self.wake is not None and self.wake.after_wake

    def _changed(self, change: ListenChange) -> None:
        self._window_until = None
        if not change.listening:
            self._on_close()
        reason = typing.cast(p.ListenReason, str(change.reason))
        self._emit(p.Listening(change.listening, reason, change.window_s))

    def check_window(self, in_speech: bool) -> None:
        """Close a follow-up window that ran out in wall time (a device sending no audio)."""
        if (
            self.wake is not None
            and self._window_until is not None
            and time.monotonic() > self._window_until
            and not in_speech
        ):
            self.wake.close(ListenReason.WINDOW_CLOSED)

    def speech_started(self) -> None:
        self._window_until = None
        if self.wake is not None:
            self.wake.speech_started()

    def utterance_ended(self) -> None:
        if self.wake is not None:  # deaf again until the next wake word
            self.wake.close(ListenReason.END_OF_UTTERANCE)

    def reply_stopped(self) -> None:
        """The device's spoken "stop": a follow-up window the reply opened closes with it."""
        if self.wake is not None and self.wake.awake:
            self.wake.close(ListenReason.END_OF_UTTERANCE)

    def follow_up(self, window_s: float, reply_s: float) -> None:
        """A question was asked: its answer needs no wake word, for ``window_s`` after the
        ``reply_s`` seconds of the question's audio."""
        if self.wake is None or self.wake.awake:
            return
        self.wake.follow_up(window_s, delay_s=reply_s)
        if self.wake.awake:
            self._window_until = time.monotonic() + reply_s + window_s + FOLLOW_UP_GRACE_S

    def mute(self, muted: bool) -> None:
        self.muted = muted
        if self.wake is not None:
            self.wake.mute(muted)

    def announce(self) -> None:
        """The indicator again, when it is on (a session resumed on another process)."""
        if self.wake is not None and self.wake.awake and self._window_until is not None:
            left = max(0.0, self._window_until - time.monotonic())
            self._emit(p.Listening(True, "follow_up", round(left, 1)))

    def window_until(self) -> float | None:
        """The follow-up window's end in wall-clock time (for the session's state)."""
        if self._window_until is None:
            return None
        return time.time() + self._window_until - time.monotonic()

    def resume(self, muted: bool, window_until: float | None) -> None:
        """As the session's state on another process left it (before ``start``)."""
        self.muted = muted
        self._resumed_window_s = max(0.0, (window_until or 0.0) - time.time())
