"""What a gateway session needs to resume on any gateway process, and where it is kept.

A session's state — the device it belongs to and the customer bound to it, its conversation id,
whether the next line is a PIN, whether the device is muted, a home device's follow-up window
(a question waiting for its answer), what a kiosk's screen shows and when the customer last did
something — is written to a ``SessionStore`` when it changes, and again every ``heartbeat_s``
while the session lives, each write renewing its TTL. A device that reconnects through the
balancer to another gateway process with ``resume`` finds it there: the same session id and
conversation (the pending question is Rasa's, in the tracker store), the same basket (the
shop's).

No secret is kept in clear: no device token, customer token, PIN or phone number. A resumed
session authenticates with the device's token again (its hello), and a home device's customer
gets a new token with it. A kiosk's signed-in customer (or guest) cannot be resumed that way
(their token came with their PIN): their token is sealed into the state (``sealing.py``,
under the deployment's ``gateway.sessions_key``) and the kiosk resumes signed in; without a
key, or when the seal does not open, it resumes signed out.

Each state names the gateway process that owns it. The one that resumes a session claims it;
the one that had it finds out at its next write and lets it go without ending it (no token
revoked, nobody signed out). ``MemoryStore``: one process (``serve``), nothing to install;
``RedisStore``: every gateway of a deployment (``GATEWAY_SESSIONS_URL``; ``deploy`` sets it).

The TTL (``gateway.session_ttl_s``, 180 s by default): a live session rewrites its state at
least every ``heartbeat_s`` (30 s), so it never expires while its gateway lives, and Redis
restarted empty has every live session back within 30 s; after its gateway dies a device has
at least the 2-minute resume window to come back, and its state goes soon after.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from assistant.channels.gateway.sealing import Refused, SealedCustomer, Sealer
from assistant.settings import GatewaySettings

if TYPE_CHECKING:
    from assistant.channels.gateway.session import Session

log = logging.getLogger(__name__)

HEARTBEAT_S = 30.0  # a live session's state is written again at least this often


@dataclass
class SessionState:
    """What a session needs to go on elsewhere; never a token, PIN or phone number."""

    session_id: str
    device_id: int
    kind: str  # "home" | "kiosk"
    store_id: str
    customer: str | None = None  # the bound customer's handle (a home device's)
    conversation: str | None = None  # the dialogue's conversation id (Rasa's sender id)
    expecting_pin: bool = False  # the next line is a PIN: checked, never sent to Rasa
    muted: bool = False
    follow_up_until: float | None = None  # wall clock: a question's answer needs no wake word
    screen: dict[str, Any] = field(default_factory=dict)  # a kiosk's: ``KioskScreen.shown``
    last_activity: float = 0.0  # wall clock: a kiosk's idle timeout goes on counting
    sealed: str | None = None  # a kiosk's customer and token, sealed (``sealing.py``)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SessionState | None:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):  # written by another version: not resumable
            return None


@dataclass(frozen=True)
class Claimed:
    state: SessionState
    previous_owner: str  # the gateway process that had it


class SessionStore(Protocol):
    """Session states by id, each owned by one gateway process and kept ``ttl_s`` after its
    last write."""

    ttl_s: float

    def save(self, state: SessionState, owner: str) -> bool:
        """Write ``state`` (renewing its TTL); False when another process has claimed it."""
        ...

    def claim(self, session_id: str, device_id: int, owner: str) -> Claimed | None:
        """Take the state over for ``owner``; None when there is none for this device."""
        ...

    def drop(self, session_id: str, owner: str) -> None:
        """The session has ended: forget it (unless another process owns it now)."""
        ...

    def drop_conversations(self, prefix: str) -> int:
        """Forget every state whose conversation id begins with ``prefix`` (an erased
        customer's), whoever owns it; how many there were."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """This process's memory: what ``serve`` uses when no Redis is configured."""

    def __init__(self, ttl_s: float = 180.0, clock: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self._clock = clock
        self._items: dict[str, tuple[str, str, float]] = {}  # id -> (owner, JSON, expiry)
        self._lock = threading.Lock()

    def _live(self, session_id: str) -> tuple[str, str, float] | None:
        now = self._clock()
        for sid in [s for s, (_, _, until) in self._items.items() if until <= now]:
            del self._items[sid]
        return self._items.get(session_id)

    def save(self, state: SessionState, owner: str) -> bool:
        with self._lock:
            held = self._live(state.session_id)
            if held is not None and held[0] != owner:
                return False
            self._items[state.session_id] = (owner, state.to_json(), self._clock() + self.ttl_s)
            return True

    def claim(self, session_id: str, device_id: int, owner: str) -> Claimed | None:
        with self._lock:
            held = self._live(session_id)
            state = SessionState.from_json(held[1]) if held else None
            if held is None or state is None or state.device_id != device_id:
                return None
            self._items[session_id] = (owner, held[1], self._clock() + self.ttl_s)
            return Claimed(state, held[0])

    def drop(self, session_id: str, owner: str) -> None:
        with self._lock:
            held = self._live(session_id)
            if held is not None and held[0] == owner:
                del self._items[session_id]

    def drop_conversations(self, prefix: str) -> int:
        with self._lock:
            gone = [
                sid
                for sid, (_, text, _) in self._items.items()
                if _conversation(text).startswith(prefix)
            ]
            for sid in gone:
                del self._items[sid]
            return len(gone)

    def close(self) -> None:
        pass


def _conversation(text: str) -> str:
    state = SessionState.from_json(text)
    return (state.conversation or "") if state else ""


# Each a Lua script, so that the owner's check and the write are one step in Redis.
_SAVE = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'device', ARGV[2], 'state', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""
_CLAIM = """
local held = redis.call('HMGET', KEYS[1], 'owner', 'device', 'state')
if not held[3] or held[2] ~= ARGV[1] then return false end
redis.call('HSET', KEYS[1], 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {held[1], held[3]}
"""
_DROP = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisStore:
    """Redis (``redis://HOST:PORT/DB``), shared by every gateway process; keys are ``prefix`` +
    session id, hashes of owner, device id and state. Redis not answering costs a session
    nothing but its resumability meanwhile: a write that fails is logged and made again at the
    next change or heartbeat."""

    def __init__(self, url: str, ttl_s: float, prefix: str, timeout_s: float = 1.0) -> None:
        import redis

        self.ttl_s = ttl_s
        self.prefix = prefix
        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            decode_responses=True,
        )
        self._save = self._redis.register_script(_SAVE)
        self._claim = self._redis.register_script(_CLAIM)
        self._drop = self._redis.register_script(_DROP)

    def _ttl_ms(self) -> int:
        return int(self.ttl_s * 1000)

    def save(self, state: SessionState, owner: str) -> bool:
        key = self.prefix + state.session_id
        try:
            args: list[str | int] = [owner, state.device_id, state.to_json(), self._ttl_ms()]
            return bool(self._save(keys=[key], args=args))
        except self._errors as err:
            log.warning("a session's state was not saved (%s): it goes on here", type(err).__name__)
            return True

    def claim(self, session_id: str, device_id: int, owner: str) -> Claimed | None:
        try:
            held = self._claim(
                keys=[self.prefix + session_id], args=[str(device_id), owner, self._ttl_ms()]
            )
        except self._errors as err:
            log.warning("a session's state could not be read (%s)", type(err).__name__)
            return None
        state = SessionState.from_json(held[1]) if held else None
        return Claimed(state, held[0] or "") if held and state else None

    def drop(self, session_id: str, owner: str) -> None:
        try:
            self._drop(keys=[self.prefix + session_id], args=[owner])
        except self._errors as err:  # its TTL ends it
            log.warning("a session's state was not dropped (%s)", type(err).__name__)

    def drop_conversations(self, prefix: str) -> int:
        gone = 0
        try:
            for key in self._redis.scan_iter(self.prefix + "*", count=500):
                if _conversation(str(self._redis.hget(key, "state") or "")).startswith(prefix):
                    gone += int(self._redis.delete(key))
        except self._errors as err:  # their TTL ends them; the request is applied again
            log.warning("erased sessions' states were not dropped (%s)", type(err).__name__)
            raise
        return gone

    def close(self) -> None:
        self._redis.close()


def build_store(settings: GatewaySettings) -> SessionStore:
    """Redis when ``gateway.sessions_url`` names one, else this process's memory."""
    if settings.sessions_url:
        return RedisStore(settings.sessions_url, settings.session_ttl_s, settings.sessions_prefix)
    return MemoryStore(settings.session_ttl_s)


@dataclass
class Keeper:
    """A gateway process's hold on its sessions' states: the store, and who this process is."""

    store: SessionStore = field(default_factory=MemoryStore)
    owner: str = field(default_factory=lambda: secrets.token_hex(8))
    sealer: Sealer | None = None  # with the deployment's key: kiosks resume signed in

    @property
    def heartbeat_s(self) -> float:
        return min(HEARTBEAT_S, self.store.ttl_s / 3)

    def save(self, state: SessionState) -> bool:
        return self.store.save(state, self.owner)

    def claim(self, session_id: str, device_id: int) -> Claimed | None:
        return self.store.claim(session_id, device_id, self.owner)

    def drop(self, session_id: str) -> None:
        self.store.drop(session_id, self.owner)


def build_keeper(settings: GatewaySettings) -> Keeper:
    """The store ``settings`` names, and the sealer of its key (if any)."""
    return Keeper(
        build_store(settings), sealer=Sealer.of(settings.sessions_key, settings.session_ttl_s)
    )


def _sealed(session: Session) -> str | None:
    """A kiosk's customer and their token, sealed for this session (None: nothing to seal)."""
    who, sealer = session.customer, session.keeper.sealer
    if session.kind != "kiosk" or who is None or sealer is None:
        return None
    customer = SealedCustomer(who.handle, who.name, who.token, who.expires_at.isoformat())
    return sealer.seal(customer, session.session_id, session.device_id)


def _unsealed(session: Session, state: SessionState) -> SealedCustomer | None:
    if state.sealed is None:
        return None
    sealer = session.keeper.sealer
    if sealer is None:  # a gateway of this deployment without its key
        Refused("resume-seal-no-key").log(state.session_id)
        return None
    return sealer.open(state.sealed, state.session_id, state.device_id)


def snapshot(session: Session) -> SessionState:
    """What another gateway process needs to go on with ``session`` (no secret in clear)."""
    c = session.conversation
    return SessionState(
        session.session_id,
        session.device_id,
        session.kind,
        session.store_id,
        customer=session.customer.handle if session.customer else None,
        conversation=c.sender if c else None,
        expecting_pin=bool(c and c.expecting_pin),
        muted=session.listener.muted,
        follow_up_until=session.listener.window_until(),
        screen=dict(session.screen.shown),
        last_activity=time.time() - (time.monotonic() - session.last_activity),
        sealed=_sealed(session),
    )


def restore(session: Session, state: SessionState, device: dict[str, Any]) -> None:
    """``session`` (new on this process) as another process left it: a home device's
    conversation when the device is still bound to that customer (its hello brought a new
    token), the PIN it expects, muted, a follow-up window, the kiosk's screen and idle time,
    and a kiosk's customer when their seal opens here (else the kiosk resumes signed out)."""
    session.listener.resume(state.muted, state.follow_up_until)
    session.screen.shown.update(state.screen)
    session.last_activity = time.monotonic() - max(0.0, time.time() - state.last_activity)
    session.replay_due = True
    if session.kind == "home":
        same = state.customer == device["customer"]["handle"]
        session.start_customer(device, state.conversation if same else None)
    elif (customer := _unsealed(session, state)) is not None:
        session.start_customer(customer.issued(session.store_id), state.conversation)
    if session.conversation is not None and session.conversation.sender == state.conversation:
        session.conversation.expecting_pin = state.expecting_pin
