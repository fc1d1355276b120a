"""A customer's conversations go with the rest of their data: filed under their subject,
exported and erased with it, and kept no longer than the retention period."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from assistant import conversations
from assistant.chat import customer_token
from assistant.services import Stack
from assistant.settings import ROOT
from commerce.seed.seeder import customer_identity
from tests.clock.fixed_clock import FixedClock
from tests.conftest import _create_database, _drop_database, in_rasa_env
from tests.stack import Shop, command_env, run_chat_command

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SUBJECT_A, SUBJECT_B = "a" * 32, "b" * 32
RASA_EVENTS = (  # the table Rasa's SQL tracker store writes
    "CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
    " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),"
    " action_name VARCHAR(255), data TEXT)"
)


def said(text: str, by: str = "user") -> str:
    event: dict[str, Any] = {"event": by, "text": text}
    if by == "user":
        event["parse_data"] = {"intent": {"name": "view_basket"}}
    return json.dumps(event)


def fill(engine: sa.engine.Engine) -> None:
    """Two conversations of A (one 40 days old), one of B, one of nobody signed in."""
    old, recent = (NOW - timedelta(days=40)).timestamp(), (NOW - timedelta(hours=1)).timestamp()
    rows = [
        (f"{SUBJECT_A}.chat-1", "user", old, said("old words of a")),
        (f"{SUBJECT_A}.home-2", "user", recent, said("what is in my basket")),
        (f"{SUBJECT_A}.home-2", "bot", recent + 1, said("Your basket is empty.", "bot")),
        (f"{SUBJECT_A}.home-2", "action", recent + 1, "{}"),
        (f"{SUBJECT_B}.kiosk-3", "user", recent, said("words of b")),
        ("kiosk-4", "user", old, said("old anonymous words")),
    ]
    with engine.begin() as connection:
        connection.exec_driver_sql(
            RASA_EVENTS.replace("SERIAL", "INTEGER")
            if engine.dialect.name == "sqlite"
            else RASA_EVENTS
        )
        for sender, kind, at, data in rows:
            connection.execute(
                sa.text(
                    "INSERT INTO events (sender_id, type_name, timestamp, data)"
                    " VALUES (:s, :k, :t, :d)"
                ),
                {"s": sender, "k": kind, "t": at, "d": data},
            )


def senders(engine: sa.engine.Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id FROM events ORDER BY id"))
        return [row[0] for row in rows]


@pytest.fixture(params=["sqlite", "postgres"])
def events_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
        yield engine
        engine.dispose()
        return
    pg_url = request.getfixturevalue("pg_url")
    name = f"vca_tracker_{uuid.uuid4().hex[:10]}"
    _create_database(pg_url, name)
    engine = sa.create_engine(sa.make_url(pg_url).set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_database(pg_url, name)


def test_export_erase_and_purge_touch_only_what_they_name(events_db: sa.engine.Engine) -> None:
    fill(events_db)
    exported = conversations.export(events_db, SUBJECT_A)
    assert [c["conversation"] for c in exported] == [f"{SUBJECT_A}.chat-1", f"{SUBJECT_A}.home-2"]
    home = exported[1]["turns"]
    assert [(t["by"], t["text"]) for t in home] == [
        ("customer", "what is in my basket"),
        ("assistant", "Your basket is empty."),
    ]
    assert home[0]["understood"] == "view_basket"
    assert "words of b" not in json.dumps(exported)

    assert conversations.purge(events_db, keep_days=30, now=NOW) == 2
    assert f"{SUBJECT_A}.chat-1" not in senders(events_db)
    assert "kiosk-4" not in senders(events_db)

    assert conversations.erase(events_db, SUBJECT_A) == 3
    assert senders(events_db) == [f"{SUBJECT_B}.kiosk-3"]
    assert conversations.export(events_db, SUBJECT_A) == []


def test_a_subject_must_be_one_and_cannot_widen_the_erasure(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    fill(engine)
    for wrong in ("", "%", "a" * 31, SUBJECT_A[:-1] + "%", SUBJECT_A.upper()):
        with pytest.raises(ValueError, match="32 lowercase hex"):
            conversations.erase(engine, wrong)
    with pytest.raises(ValueError, match="at least 1"):
        conversations.purge(engine, keep_days=0)
    assert len(senders(engine)) == 6, "nothing was deleted"
    engine.dispose()


def test_the_tracker_store_purges_old_conversations_when_rasa_opens_it(tmp_path: Path) -> None:
    """Rasa's tracker store (endpoints.yml's keep_days) deletes what is older than the
    retention period when it starts (and daily after): the words are gone from the file."""
    database = tmp_path / "tracker.db"
    engine = sa.create_engine(f"sqlite:///{database}")
    fill(engine)
    engine.dispose()
    opened = (
        "from assistant.tracker_store import PrivateSQLTrackerStore\n"
        f"PrivateSQLTrackerStore(dialect='sqlite', db={str(database)!r}, keep_days=30)\n"
    )
    in_rasa_env(opened, clock=FixedClock(NOW))  # Rasa's process on the day of the events
    with sqlite3.connect(database) as conn:
        left = [row[0] for row in conn.execute("SELECT sender_id FROM events ORDER BY id")]
    assert left == [f"{SUBJECT_A}.home-2"] * 3 + [f"{SUBJECT_B}.kiosk-3"]
    raw = database.read_bytes()
    assert b"old words of a" not in raw
    assert b"old anonymous words" not in raw


def events_left(stack: Stack, subject: str) -> int:
    """Events of ``subject``'s conversations in the stack's tracker store."""
    tracker = stack.tracker_file()
    assert tracker is not None
    with sqlite3.connect(tracker) as conn:
        (left,) = conn.execute(
            "SELECT count(*) FROM events WHERE sender_id LIKE :s", {"s": subject + ".%"}
        ).fetchone()
    return int(left)


def conversations_command(stack: Stack, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_assistant.py"), "conversations", *args],
        capture_output=True,
        text=True,
        env=command_env(stack),
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_a_customers_conversations_are_exported_and_erased_with_them(
    stack: Stack, shop: Shop
) -> None:
    shop.more_customers(16)
    handle = customer_identity(15)[0]  # a customer of this test's own
    shop.set_pin(handle, None)
    turns = run_chat_command(stack, handle, "hello\nwhat's in my basket\n")
    assert [turn["intent"] for turn in turns] == ["greet", "view_basket"]
    subject = str(shop.scalar("SELECT subject FROM customers WHERE handle = :h", h=handle))

    exported = conversations_command(stack, "export", subject)
    customer_words = [
        turn["text"]
        for conversation in exported["conversations"]
        for turn in conversation["turns"]
        if turn["by"] == "customer"
    ]
    assert customer_words == ["hello", "what's in my basket"]
    assert all(c["conversation"].startswith(subject + ".") for c in exported["conversations"])

    base = stack.settings.commerce.base_url
    token = customer_token(stack.settings, handle)
    erased = httpx.delete(f"{base}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["subject"] == subject
    assert shop.scalar("SELECT handle FROM customers WHERE subject = :s", s=subject) is None

    deleted = conversations_command(stack, "erase", subject)
    assert deleted["events_deleted"] > 0
    assert conversations_command(stack, "export", subject)["conversations"] == []
    assert events_left(stack, subject) == 0


@pytest.mark.slow
def test_forget_me_by_voice_erases_the_account_and_its_conversations(
    stack: Stack, shop: Shop
) -> None:
    """The chat says what it keeps, asks before erasing, erases nothing on a no, and on a
    clear yes erases the account in the database and the conversations in the tracker store."""
    shop.more_customers(17)
    handle = customer_identity(16)[0]  # a customer of this test's own
    shop.set_pin(handle, None)
    subject = str(shop.scalar("SELECT subject FROM customers WHERE handle = :h", h=handle))
    customer_id = int(shop.scalar("SELECT id FROM customers WHERE handle = :h", h=handle))
    turns = run_chat_command(
        stack, handle, "what do you know about me\nforget me\nno\nforget me\nyes\n"
    )
    assert [t["intent"] for t in turns] == ["my_data", "forget_me", "deny", "forget_me", "affirm"]
    assert [t["responses"] for t in turns] == [
        ["utter_my_data"],
        ["utter_confirm_erase"],
        ["utter_erase_kept"],
        ["utter_confirm_erase"],
        ["utter_erased"],
    ]
    (erased,) = shop.rows(
        "SELECT handle, name, phone, erased_at FROM customers WHERE id = :i", i=customer_id
    )
    assert erased[0] == f"erased-{customer_id}"
    assert (erased[1], erased[2]) == ("", None)
    assert erased[3] is not None
    assert shop.scalar("SELECT count(*) FROM customers WHERE subject = :s", s=subject) == 0
    assert events_left(stack, subject) == 0, "the conversation that erased them is gone too"
