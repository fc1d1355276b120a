"""How a session is wired to its device's connection (the event loop's side).

In: a bounded inbox of audio frames and control messages in order (at most ``INBOX_SECONDS``
of audio), and a device held to at most ``AHEAD_S`` ahead of real time. Out: the attached
connection's send function, for messages and reply audio; a resume takes the session over on
a new connection and closes the old one.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.channels.gateway.speech import Outgoing
from audio.base import CHANNELS, RATE, WIDTH

AUDIO_BYTES_PER_S = RATE * WIDTH * CHANNELS
INBOX_SECONDS = 10.0  # the most audio a session buffers from its device ...
AHEAD_S = 10.0  # ... and the most a device may send ahead of real time before it waits
INBOX_MESSAGES = 256  # control messages (and audio frames) waiting at most


@dataclass
class Control:
    """A device's JSON object, decoded by the worker (errors go out in turn with the rest)."""

    data: dict[str, Any]


@dataclass(frozen=True)
class Erased:
    """The customer filed under ``subject`` was erased elsewhere (``DELETE /v1/me``)."""

    subject: str


END_OF_STREAM = object()
REPLAY = object()  # after the ready of a session resumed from another process: its screen again


class Inbox:
    """A session's inbox: audio frames and control messages in order, holding at most
    ``audio_bytes`` of audio and ``messages`` items. ``offer`` never blocks (the event loop
    retries a refused item later, its connection unread meanwhile)."""

    def __init__(self, audio_bytes: int, messages: int = INBOX_MESSAGES) -> None:
        self.audio_bytes = audio_bytes
        self.messages = messages
        self._items: deque[Any] = deque()
        self._audio = 0
        self._ready = threading.Condition()

    @property
    def audio_s(self) -> float:
        """Seconds of audio waiting."""
        return self._audio / AUDIO_BYTES_PER_S

    def offer(self, item: Any) -> bool:
        size = len(item) if isinstance(item, bytes) else 0
        with self._ready:
            full = len(self._items) >= self.messages or (
                size and self._audio and self._audio + size > self.audio_bytes
            )
            if full:
                return False
            self._items.append(item)
            self._audio += size
            self._ready.notify()
            return True

    def end(self) -> None:
        """The end of the stream, after whatever is waiting (never refused)."""
        self.push(END_OF_STREAM)

    def push(self, item: Any) -> None:
        """An item of the gateway's own after whatever is waiting (never refused)."""
        with self._ready:
            self._items.append(item)
            self._ready.notify()

    def get(self, timeout_s: float) -> Any:
        with self._ready:
            if not self._ready.wait_for(lambda: bool(self._items), timeout_s):
                raise queue.Empty
            item = self._items.popleft()
            if isinstance(item, bytes):
                self._audio -= len(item)
            return item


class DeviceLink:
    """A session's side of its device's connection (``Session`` builds on it)."""

    def __init__(self) -> None:
        self.inbox = Inbox(int(INBOX_SECONDS * AUDIO_BYTES_PER_S))
        self.audio_received_s = 0.0  # audio taken from the device (for tests and logs)
        self._audio_until = time.monotonic()  # where the device's audio would end, in real time
        self._send: Callable[[Outgoing], None] | None = None
        self._kick: Callable[[], None] | None = None
        self.connection = 0  # which connection is attached (a resume attaches a new one)
        self._send_lock = threading.Lock()
        self.closed = threading.Event()

    def attach(self, send: Callable[[Outgoing], None], kick: Callable[[], None]) -> int:
        """A connection takes the session over; ``kick`` closes it when another one does.
        Returns the connection's number, for ``detach``."""
        with self._send_lock:
            self._send, self._kick = send, kick
            self.connection += 1
            return self.connection

    def detach(self, connection: int | None = None) -> bool:
        """The connection is gone; False when another one has taken the session over since."""
        with self._send_lock:
            if connection is not None and connection != self.connection:
                return False
            self._send = self._kick = None
            return True

    def kick(self) -> None:
        """Close the attached connection: another one resumes the session."""
        with self._send_lock:
            kick, self._send, self._kick = self._kick, None, None
            self.connection += 1  # the closed connection's end detaches nothing
        if kick is not None:
            kick()

    @property
    def attached(self) -> bool:
        with self._send_lock:
            return self._send is not None

    def emit(self, message: Outgoing) -> None:
        with self._send_lock:
            send = self._send
        if send is not None:
            send(message)

    def pace(self, nbytes: int) -> float:
        """Seconds the connection waits before taking ``nbytes`` of audio: a microphone sends
        in real time, so a device may be at most ``AHEAD_S`` ahead of it (a pause resets it).
        A microphone streams silence too, so arriving audio is not activity: speech, turns
        and controls other than ``ping`` are."""
        now = time.monotonic()
        self._audio_until = max(self._audio_until, now) + nbytes / AUDIO_BYTES_PER_S
        return max(0.0, self._audio_until - now - AHEAD_S)

    def offer(self, item: Any) -> bool:
        """From the connection: audio (``bytes``) or a control message; False when full."""
        if not self.inbox.offer(item):
            return False
        if isinstance(item, bytes):
            self.audio_received_s += len(item) / AUDIO_BYTES_PER_S
        return True

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            self.inbox.end()
