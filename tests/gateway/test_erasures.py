"""A customer erased through the commerce API (``DELETE /v1/me``) is erased on the assistant's
side too, from the service's erasure requests: a gateway's live session of theirs forgets them,
every gateway's resumable states of them go (both stores: ``test_resumable.py``), so do the
conversations filed under their subject, and each request is marked done; a service that does
not answer is asked again. On fakes and a SQLite tracker store of the test's own; the real
stack's is ``tests/security/test_data_rights.py``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa

from assistant import conversations
from assistant.channels import protocol as p
from assistant.channels.gateway.admission import Gateway
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.resumable import Keeper, MemoryStore
from assistant.channels.gateway.speech import SpeechParts
from assistant.dialogue import RasaDialogue
from assistant.erasures import ErasureFeed, ErasureWatcher, apply_requests
from assistant.errors import CommerceError
from assistant.settings import Settings, load_settings
from audio.fakes import FixedTranscriber
from audio.vad import Endpointer
from tests.gateway.test_resumable import session_on_fakes, state
from tests.gateway.test_session import FakeDialogue, FakeDirectory, said

SUBJECT, OTHER = "c" * 32, "d" * 32


class FakeFeed:
    """The service's erasure requests; ``down`` makes the next read fail."""

    def __init__(self, subjects: list[str]) -> None:
        self.items: list[dict[str, Any]] = [
            {"id": i, "subject": s, "requested_at": "", "done_at": None}
            for i, s in enumerate(subjects, 1)
        ]
        self.down = False

    def requests(self, after: int = 0) -> list[dict[str, Any]]:
        if self.down:
            raise CommerceError("service-unavailable", "down", 503)
        return [dict(item) for item in self.items if item["id"] > after]

    def done(self, request_id: int) -> None:
        self.items[request_id - 1]["done_at"] = self.items[request_id - 1]["done_at"] or "now"

    def close(self) -> None:
        pass


def test_each_request_is_applied_once_per_process_and_marked_done() -> None:
    feed = FakeFeed([SUBJECT, OTHER])
    erased: list[str] = []
    watcher = ErasureWatcher(cast(ErasureFeed, feed), erased.append, poll_s=60)
    watcher.poll()
    assert erased == [SUBJECT, OTHER]
    assert [item["done_at"] for item in feed.items] == ["now", "now"]
    watcher.poll()
    assert erased == [SUBJECT, OTHER], "nothing applied twice"
    feed.items.append({"id": 3, "subject": "e" * 32, "requested_at": "", "done_at": "then"})
    watcher.poll()  # done by another gateway: this one ends its own sessions all the same
    assert erased[-1] == "e" * 32
    again: list[str] = []
    assert apply_requests(cast(ErasureFeed, feed), again.append, pending_only=True) == 3
    assert again == [], "the command applies only what no one did"


def test_a_service_that_does_not_answer_is_asked_again() -> None:
    feed = FakeFeed([SUBJECT])
    feed.down = True
    erased: list[str] = []
    watcher = ErasureWatcher(cast(ErasureFeed, feed), erased.append, poll_s=0.05).start()
    try:
        deadline = 50
        while not erased and deadline:
            if deadline == 40:
                feed.down = False
            watcher._stop.wait(0.05)
            deadline -= 1
    finally:
        watcher.stop()
    assert erased == [SUBJECT]


def tracker_settings(tmp_path: Path) -> Settings:
    """Settings whose tracker store is a SQLite file of the test's own, with a conversation
    of SUBJECT's and one of OTHER's."""
    database = tmp_path / "tracker.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {database}\n")
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name "
            "VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255),"
            " data TEXT)"
        )
        for sender in (f"{SUBJECT}.home-7-a", f"{OTHER}.home-9-c"):
            connection.exec_driver_sql(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', 1, "
                '\'{"text": "add milk"}\')',
                (sender,),
            )
    engine.dispose()
    settings = load_settings()
    return replace(settings, dialogue=replace(settings.dialogue, endpoints=str(endpoints)))


def left_in(settings: Settings, subject: str) -> int:
    engine = conversations.open_store(settings.path(settings.dialogue.endpoints), settings.root)
    try:
        return sum(len(c["turns"]) for c in conversations.export(engine, subject))
    finally:
        engine.dispose()


def test_a_live_session_of_an_erased_customer_forgets_them(tmp_path: Path) -> None:
    from assistant.channels.gateway.server import erase

    settings = tracker_settings(tmp_path)
    directory, dialogue = FakeDirectory(), FakeDialogue()
    issued = directory._issued("grace")
    issued["customer"]["subject"] = SUBJECT
    speech = SpeechParts(lambda: FixedTranscriber("hello"), Endpointer, speaker=None)
    keeper = Keeper(MemoryStore(), "gateway-a")
    gateway = Gateway(
        settings,
        cast(DeviceDirectory, directory),
        cast(RasaDialogue, dialogue),
        speech,
        keeper=keeper,
    )
    device = {"kind": "home", "device_id": 7, "store_id": "riverside", **issued}
    session, out = session_on_fakes(device, keeper, directory, dialogue, settings)
    gateway.sessions["s1"] = session
    try:
        said(session, out, type="text", text="say utter_ok")
        assert session.conversation is not None
        assert session.conversation.sender.startswith(SUBJECT + ".")
        keeper.store.save(state("s9", conversation=f"{SUBJECT}.kiosk-3-x"), "gateway-b")
        assert left_in(settings, SUBJECT) == 1

        erase(gateway, SUBJECT)  # what the gateway's watcher does with a request
        told = out.get(timeout=10)
        assert told == p.Error("account-erased", "This device's account was erased."), told
        assert session.customer is None
        assert left_in(settings, SUBJECT) == 0, "their conversations are gone"
        assert left_in(settings, OTHER) == 1, "nobody else's"
        assert keeper.claim("s9", 7) is None, "another gateway's state of theirs is gone"
        claimed = keeper.claim("s1", 7)
        assert claimed is not None
        assert claimed.state.conversation is None, "the session's own state names nobody"
        refused = said(session, out, type="text", text="say utter_ok")
        assert p.Error("sign-in-needed", "Sign in or choose guest first.") in refused
        assert not any(t[0] == "say utter_ok" for t in dialogue.turns[1:]), "nothing sent"
    finally:
        session.close()
