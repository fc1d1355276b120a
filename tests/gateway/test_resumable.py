"""Where a gateway session's state is kept for a resume on another gateway process: both
stores (this process's memory; the real Redis on 127.0.0.1:6379, under a key prefix of the
test's own, removed afterwards), their TTL and ownership, and a session resumed from the state
another process's session left (on fakes: no services, no speech models)."""

from __future__ import annotations

import json
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from assistant.channels import protocol as p
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.link import Control
from assistant.channels.gateway.resumable import (
    Keeper,
    MemoryStore,
    RedisStore,
    SessionState,
    SessionStore,
    build_store,
)
from assistant.channels.gateway.session import Session
from assistant.channels.gateway.speech import Outgoing, SpeechParts
from assistant.dialogue import RasaDialogue
from assistant.errors import ConfigError
from assistant.services import free_port
from assistant.settings import Settings, load_settings
from audio.fakes import FixedTranscriber
from audio.vad import Endpointer
from tests.conftest import service_missing
from tests.gateway.test_session import FakeDialogue, FakeDirectory, said

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Stores:
    """One kind of store (``kind``) with its TTL, how to let time pass, and what it holds."""

    def __init__(self, kind: str, ttl_s: float) -> None:
        self.kind = kind
        self.clock = Clock()
        self.prefix = f"test:gateway:{uuid.uuid4().hex[:10]}:"
        self.store: SessionStore
        if kind == "memory":
            self.store = MemoryStore(ttl_s, clock=self.clock)
            return
        import redis

        self.redis = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            self.redis.ping()
        except redis.RedisError as err:
            service_missing("Redis at 127.0.0.1:6379", err)
        self.store = RedisStore(REDIS_URL, ttl_s, self.prefix)

    def wait(self, seconds: float) -> None:
        if self.kind == "memory":
            self.clock.now += seconds
        else:
            time.sleep(seconds)

    def held(self) -> str:
        """Everything the store holds, as text."""
        if self.kind == "memory":
            return repr(cast(MemoryStore, self.store)._items)
        return json.dumps(
            {key: self.redis.hgetall(key) for key in self.redis.scan_iter(self.prefix + "*")}
        )

    def close(self) -> None:
        if self.kind == "redis":
            for key in self.redis.scan_iter(self.prefix + "*"):
                self.redis.delete(key)
            self.redis.close()
        self.store.close()


@pytest.fixture(params=["memory", "redis"])
def stores(request: pytest.FixtureRequest) -> Iterator[Callable[[float], Stores]]:
    made: list[Stores] = []

    def make(ttl_s: float) -> Stores:
        made.append(Stores(request.param, ttl_s))
        return made[-1]

    yield make
    for each in made:
        each.close()


def state(session_id: str = "s1", device_id: int = 7, **fields: Any) -> SessionState:
    return SessionState(session_id, device_id, "home", "riverside", **fields)


def test_a_state_is_claimed_by_its_device_only_and_owned_by_one_process(
    stores: Callable[[float], Stores],
) -> None:
    store = stores(60).store
    saved = state(customer="grace", conversation="abc.home-7-1", expecting_pin=True)
    assert store.save(saved, "gateway-a")
    assert store.claim("s1", 8, "gateway-b") is None, "another device's hello resumes nothing"
    assert store.claim("nope", 7, "gateway-b") is None
    claimed = store.claim("s1", 7, "gateway-b")
    assert claimed is not None
    assert claimed.state == saved
    assert claimed.previous_owner == "gateway-a"
    assert not store.save(saved, "gateway-a"), "the old process learns it was taken over"
    store.drop("s1", "gateway-a")  # the old process's end drops nothing
    assert store.save(state(muted=True), "gateway-b")
    again = store.claim("s1", 7, "gateway-b")
    assert again is not None
    assert again.state.muted
    assert again.previous_owner == "gateway-b"
    store.drop("s1", "gateway-b")
    assert store.claim("s1", 7, "gateway-b") is None


def test_a_state_expires_its_ttl_after_its_last_write(stores: Callable[[float], Stores]) -> None:
    kept = stores(0.4)
    kept.store.save(state(), "gateway-a")
    kept.wait(0.25)
    kept.store.save(state(), "gateway-a")  # a write renews it
    kept.wait(0.25)
    assert kept.store.claim("s1", 7, "gateway-a") is not None, "renewed by the second write"
    kept.wait(0.6)
    assert kept.store.claim("s1", 7, "gateway-a") is None, "gone after its TTL"
    assert kept.store.save(state(), "gateway-b"), "an expired state is anyone's to write"


def test_the_states_are_in_redis_only_when_a_url_says_so() -> None:
    assert isinstance(build_store(load_settings(environ={}).gateway), MemoryStore)
    told = {"GATEWAY_SESSIONS_URL": REDIS_URL, "GATEWAY_SESSION_TTL_S": "60"}
    store = build_store(load_settings(environ=told).gateway)
    assert isinstance(store, RedisStore)
    assert store.ttl_s == 60
    store.close()
    with pytest.raises(ConfigError):
        load_settings(environ={"GATEWAY_SESSIONS_URL": "http://127.0.0.1:6379"})
    with pytest.raises(ConfigError):
        load_settings(environ={"GATEWAY_SESSION_TTL_S": "1"})


def test_redis_not_answering_costs_a_session_nothing_but_its_resume() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", 60, "test:down:", timeout_s=0.5)
    started = time.monotonic()
    assert store.save(state(), "gateway-a"), "the session goes on where it is"
    assert store.claim("s1", 7, "gateway-a") is None
    store.drop("s1", "gateway-a")
    assert time.monotonic() - started < 5
    store.close()


class SenderDialogue(FakeDialogue):
    def __init__(self) -> None:
        super().__init__()
        self.senders: list[str] = []

    def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> Any:
        self.senders.append(sender)
        return super().turn(sender, text, metadata)


def session_on_fakes(
    device: dict[str, Any],
    keeper: Keeper,
    directory: FakeDirectory,
    dialogue: FakeDialogue,
    settings: Settings | None = None,
    **kw: Any,
) -> tuple[Session, queue.Queue[Outgoing]]:
    """Session ``s1`` of ``device`` on fakes, attached to a queue of what it sends."""
    session = Session(
        "s1",
        device,
        "dev_secret-device-token",
        settings or load_settings(),
        cast(DeviceDirectory, directory),
        cast(RasaDialogue, dialogue),
        SpeechParts(lambda: FixedTranscriber("hello"), Endpointer, speaker=None),
        idle_timeout_s=600,
        keeper=keeper,
        **kw,
    )
    out: queue.Queue[Outgoing] = queue.Queue()
    session.attach(out.put, lambda: None)
    return session, out


def home_session(
    keeper: Keeper, directory: FakeDirectory, dialogue: FakeDialogue, token: str, **kw: Any
) -> tuple[Session, queue.Queue[Outgoing]]:
    device = {"kind": "home", "device_id": 7, "store_id": "riverside"}
    device.update(directory._issued("grace"), customer_token=token)
    return session_on_fakes(device, keeper, directory, dialogue, **kw)


def test_a_session_resumes_on_another_process_from_its_state_and_keeps_no_secret(
    stores: Callable[[float], Stores],
) -> None:
    kept = stores(60)
    directory, dialogue = FakeDirectory(), SenderDialogue()
    first, out = home_session(Keeper(kept.store, "gateway-a"), directory, dialogue, "tok-first")
    said(first, out, type="text", text="say utter_quote_readback")
    assert said(first, out, type="mute", muted=True) == [p.Muted(True)]
    held = kept.held()
    assert "riverside" in held, held
    assert first.conversation is not None
    assert first.conversation.sender in held
    for secret in ("tok-first", "dev_secret-device-token"):
        assert secret not in held, f"{secret} is kept in the store"

    second_keeper = Keeper(kept.store, "gateway-b")
    claimed = second_keeper.claim("s1", 7)
    assert claimed is not None
    second, out2 = home_session(
        second_keeper, directory, dialogue, "tok-second", restored=claimed.state
    )
    assert second.listener.muted, "still muted"
    assert second.conversation is not None
    assert second.conversation.sender == first.conversation.sender, "the same conversation"
    said(second, out2, type="text", text="say utter_order_placed")
    assert dialogue.senders[-1] == first.conversation.sender
    assert dialogue.turns[-1][1]["customer_token"] == "tok-second", "the new hello's token"

    first.offer(Control({"type": "ping"}))  # the first process writes again, finds it taken
    first.save()
    assert first.moved
    assert first.closed.is_set()
    first.end("disconnected")
    assert directory.signed_out == [], "a session resumed elsewhere is not ended"
    second.end("disconnected")
    assert directory.signed_out == ["tok-second"]
    assert second_keeper.claim("s1", 7) is None, "an ended session's state is gone"
    second.close()


def test_a_pin_awaited_stays_awaited_and_another_customer_gets_a_new_conversation() -> None:
    """The state says the next line is a PIN: on the new process it is still (checked with
    the service, never sent to the dialogue). A device bound to someone else since resumes
    nobody's conversation."""
    directory, dialogue = FakeDirectory(), SenderDialogue()
    left = state(customer="grace", conversation="subject.home-7-abc", expecting_pin=True)
    resumed, _ = home_session(Keeper(), directory, dialogue, "tok-new", restored=left)
    assert resumed.conversation is not None
    assert resumed.conversation.sender == "subject.home-7-abc"
    assert resumed.conversation.expecting_pin
    resumed.close()
    rebound = state(customer="heidi", conversation="other.home-7-def", expecting_pin=True)
    fresh, _ = home_session(Keeper(), directory, dialogue, "tok-new", restored=rebound)
    assert fresh.conversation is not None
    assert fresh.conversation.sender != "other.home-7-def"
    assert not fresh.conversation.expecting_pin
    fresh.close()


def test_every_state_of_an_erased_customer_goes(stores: Callable[[float], Stores]) -> None:
    """An erased customer's states go, whichever process owns them (``assistant/erasures.py``);
    nobody else's."""
    kept = stores(60)
    kept.store.save(state("s1", conversation="c" * 32 + ".home-7-a"), "gateway-a")
    kept.store.save(state("s2", conversation="c" * 32 + ".kiosk-8-b"), "gateway-b")
    kept.store.save(state("s3", conversation="d" * 32 + ".home-9-c"), "gateway-b")
    kept.store.save(state("s4"), "gateway-a")  # nobody signed in
    assert kept.store.drop_conversations("c" * 32 + ".") == 2
    assert kept.store.claim("s1", 7, "x") is None
    assert kept.store.claim("s2", 7, "x") is None
    assert kept.store.claim("s3", 7, "x") is not None
    assert kept.store.claim("s4", 7, "x") is not None
