"""Who gets a session: admission under one lock, resumes, and failed hellos per address.

A device holds at most ``max_per_device`` sessions, ``kiosk_seats`` places are kept for
kiosks, and a full gateway first ends the session that has waited longest for its device to
come back. A resume finds the session in this process, or its state in the ``Keeper``'s store
(another gateway process had it: ``resumable.py``). Hellos that fail (no hello, a bad token)
are counted per source address and refused ``rate-limited`` past ``HELLO_FAILURES`` a minute.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.link import Erased
from assistant.channels.gateway.resumable import Claimed, Keeper
from assistant.channels.gateway.session import Session
from assistant.channels.gateway.speech import Outgoing, SpeechParts
from assistant.channels.protocol import GatewayError
from assistant.dialogue import RasaDialogue
from assistant.erasures import ErasureWatcher
from assistant.errors import CODED_ERRORS
from assistant.settings import Settings

MAX_SESSIONS = 32  # devices connected at once; more are refused with 1013 (gateway-full)
MAX_PER_DEVICE = 2  # sessions one device token may hold at once (device-busy beyond)
KIOSK_SEATS = 4  # places of MAX_SESSIONS that home devices cannot take
HELLO_FAILURES = 20  # failed hellos per source address a minute before it is rate-limited
HELLO_WINDOW_S = 60.0


class HelloLimit:
    """Failed hellos per source address in a sliding window; past ``limit`` the address is
    refused (``rate-limited``) before its token is checked with the commerce service."""

    def __init__(self, limit: int = HELLO_FAILURES, window_s: float = HELLO_WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, address: str) -> float:
        """0 when the address may try; else seconds until it may."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.limit:
                if not times:
                    self._failures.pop(address, None)
                return 0.0
            return max(0.1, times[0] + self.window_s - now)

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now).append(now)
            if len(self._failures) > 10_000:  # a flood of addresses: keep the newest
                oldest = min(self._failures, key=lambda a: self._failures[a][-1])
                del self._failures[oldest]


@dataclass
class Gateway:
    settings: Settings
    directory: DeviceDirectory
    dialogue: RasaDialogue
    speech: SpeechParts
    idle_timeout_s: float = 120.0
    resume_window_s: float = 120.0
    max_sessions: int = MAX_SESSIONS
    max_per_device: int = MAX_PER_DEVICE
    kiosk_seats: int = KIOSK_SEATS
    sessions: dict[str, Session] = field(default_factory=dict)
    hello_limit: HelloLimit = field(default_factory=HelloLimit)
    keeper: Keeper = field(default_factory=Keeper)  # the sessions' states, for resumes
    erasures: ErasureWatcher | None = None  # customers erased through the service's API
    _detached_at: dict[str, float] = field(default_factory=dict)
    _admission: threading.Lock = field(default_factory=threading.Lock)

    def open_session(self, device_token: str, resume: str | None) -> Session:
        """Admit a device (401 for unknown / revoked tokens). Who is admitted is decided under
        one lock; what ends on the way (sessions made room for, an unused customer token) is
        signed out after it, so a slow sign-out holds up no other device."""
        device = self.directory.session(device_token)
        ended: list[Session] = []
        unused = device.get("customer_token")  # issued for a session that may not be new
        claimed = self.keeper.claim(resume, device["device_id"]) if resume else None
        try:
            with self._admission:
                ended += self._reap()
                old = self.sessions.get(resume) if resume else None
                mine = old and old.device_id == device["device_id"] and not old.closed.is_set()
                if old and mine and not self._stale(old, claimed):
                    self._detached_at.pop(old.session_id, None)
                    old.kick()  # its connection, if still open, is closed: this one takes over
                    return old
                if old and claimed:  # another process had it since, or it failed: the state
                    self._drop(old.session_id)  # goes on in a new session of the same id
                    old.moved = True
                    old.close()
                    old.kick()
                while (refused := self._refusal(device)) and (
                    victim := self._victim(device, refused)
                ):
                    ended.append(self._drop(victim))
                if refused:
                    raise refused
                session = Session(
                    claimed.state.session_id if claimed else secrets.token_urlsafe(12),
                    device,
                    device_token,
                    self.settings,
                    self.directory,
                    self.dialogue,
                    self.speech,
                    self.idle_timeout_s,
                    self.keeper,
                    claimed.state if claimed else None,
                )
                self.sessions[session.session_id] = session
                unused = None
                return session
        finally:
            if unused:
                with contextlib.suppress(*CODED_ERRORS):
                    self.directory.sign_out(device_token, unused)
            for gone in ended:
                gone.end("disconnected")
                gone.close()

    def _stale(self, old: Session, claimed: Claimed | None) -> bool:
        """``old`` is this process's, but another one resumed it since (or it has gone)."""
        moved = claimed is not None and claimed.previous_owner != self.keeper.owner
        return moved or old.moved

    def _refusal(self, device: dict[str, Any]) -> GatewayError | None:
        """Why ``device`` cannot be admitted now (None: it can)."""
        mine = sum(s.device_id == device["device_id"] for s in self.sessions.values())
        if mine >= self.max_per_device:
            return GatewayError(
                "device-busy", f"This device already has {mine} sessions open.", 1013
            )
        free = self.max_sessions - len(self.sessions)
        if device["kind"] != "kiosk":
            kiosks = sum(s.kind == "kiosk" for s in self.sessions.values())
            free -= max(0, min(self.kiosk_seats, self.max_sessions) - kiosks)
        if free <= 0:
            return GatewayError("gateway-full", "Too many devices connected; try again.", 1013)
        return None

    def _victim(self, device: dict[str, Any], refused: GatewayError) -> str | None:
        """The session waiting longest for its device whose end would make room, if any:
        connected devices come first."""
        kiosks = sum(s.kind == "kiosk" for s in self.sessions.values())

        def helps(session: Session) -> bool:
            if refused.code == "device-busy":
                return session.device_id == device["device_id"]
            # a home device is not helped by a kiosk's place while it is a reserved one
            return device["kind"] == "kiosk" or session.kind != "kiosk" or kiosks > self.kiosk_seats

        waiting = [sid for sid in self._detached_at if helps(self.sessions[sid])]
        return min(waiting, key=lambda sid: self._detached_at[sid], default=None)

    def attach(
        self, session: Session, send: Callable[[Outgoing], None], kick: Callable[[], None]
    ) -> int:
        """A connection has the session now (a new one, or one resuming it)."""
        with self._admission:
            self._detached_at.pop(session.session_id, None)
            return session.attach(send, kick)

    def detached(self, session: Session, connection: int | None = None) -> None:
        """A connection ended; the session waits for its device (unless taken over)."""
        with self._admission:
            if session.detach(connection) and session.session_id in self.sessions:
                self._detached_at[session.session_id] = time.monotonic()

    def _reap(self) -> list[Session]:
        """Sessions whose device did not come back in time (to end); those another process
        resumed go without ending."""
        for sid in [sid for sid, s in self.sessions.items() if s.moved]:
            self._drop(sid)
        now = time.monotonic()
        expired = [sid for sid, at in self._detached_at.items() if now - at > self.resume_window_s]
        return [self._drop(sid) for sid in expired]

    def _drop(self, session_id: str) -> Session:
        self._detached_at.pop(session_id, None)
        return self.sessions.pop(session_id)

    def _end_detached(self, session_id: str) -> None:
        with self._admission:
            if session_id not in self.sessions:
                return
            session = self._drop(session_id)
        session.end("disconnected")
        session.close()

    def forget_subject(self, subject: str) -> None:
        """The customer filed under ``subject`` was erased (``DELETE /v1/me``): this process's
        sessions of theirs forget them (on their own threads), and every process's resumable
        states of them go."""
        with self._admission:
            theirs = [
                s
                for s in self.sessions.values()
                if s.conversation is not None and s.conversation.sender.startswith(subject + ".")
            ]
        for session in theirs:
            session.inbox.push(Erased(subject))
        self.keeper.store.drop_conversations(subject + ".")

    def close(self) -> None:
        """End every session: their customer tokens are revoked (home) or signed out (kiosk)."""
        if self.erasures is not None:
            self.erasures.stop()
        with self._admission:
            sessions = list(self.sessions.values())
            self.sessions.clear()
            self._detached_at.clear()
        for session in sessions:
            session.close()
            session.kick()
        for session in sessions:
            session.end("gateway-stopped")
        self.keeper.store.close()
