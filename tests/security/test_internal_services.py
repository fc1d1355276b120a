"""Rasa and the action server are internal: unreachable from the network, and on loopback they
answer only callers that present their secret (the real stack of tests/stack.py)."""

from __future__ import annotations

import json
import logging
import re
import socket
import sqlite3
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import select

from assistant.chat import customer_token
from assistant.dialogue import RasaDialogue
from assistant.services import Stack
from commerce.models import ApiToken
from tests.conftest import in_rasa_env, service_missing
from tests.stack import Shop, run_chat_command


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback: where a neighbour reaches it."""
    try:
        out = subprocess.run(
            ["hostname", "-I"], capture_output=True, text=True, check=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError) as err:
        service_missing("a non-loopback address of this machine", err)
    found = [a for a in out.split() if "." in a and not a.startswith("127.")]
    if not found:
        service_missing("a non-loopback IPv4 address of this machine", LookupError(out))
    return found


def port(url: str) -> int:
    return urlparse(url).port or 80


def forged_call(action: str, token: str, slots: dict[str, Any]) -> dict[str, Any]:
    """What Rasa would send the action server for ``action`` in a conversation whose latest
    message says "yes" and carries ``token``: the call the issue's attacker forged."""
    sender = f"intruder-{uuid.uuid4().hex[:8]}"
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {
                "text": "yes",
                "intent": {"name": "affirm", "confidence": 0.99},
                "entities": [],
                "metadata": {"customer_token": token},
            },
            "events": [],
            "latest_action_name": "action_listen",
        },
    }


@pytest.mark.slow
def test_rasa_the_action_server_and_the_service_are_unreachable_from_the_network(
    stack: Stack,
) -> None:
    d, c = stack.settings.dialogue, stack.settings.commerce
    ports = [port(d.rasa_url), port(d.action_url), c.port]  # Rasa, action server, commerce
    for number in ports:
        with socket.create_connection(("127.0.0.1", number), timeout=5):
            pass  # each one answers on loopback ...
        for address in lan_addresses():
            # ... and refuses a neighbour, who reaches this machine at its LAN address
            with socket.socket() as s:
                s.settimeout(5)
                s.bind((address, 0))  # the call comes from a non-loopback address
                with pytest.raises(ConnectionRefusedError):  # not a timeout: nothing listens
                    s.connect((address, number))


@pytest.mark.slow
def test_the_action_server_runs_no_action_for_a_caller_without_the_secret(
    stack: Stack, shop: Shop
) -> None:
    d = stack.settings.dialogue
    token = customer_token(stack.settings, "grace")
    before = shop.scalar("SELECT count(*) FROM orders"), shop.scalar("SELECT count(*) FROM quotes")
    secret = d.action_token or ""
    assert secret
    impostors: list[dict[str, Any]] = [
        {},
        {"headers": {"Authorization": "Bearer wrong"}},
        {"headers": {"Authorization": f"Bearer {secret[:-1]}"}},
        {"headers": {"Authorization": secret}},  # not a bearer header
        {"params": {"token": secret}},  # a secret in the URL does not count
    ]
    with httpx.Client(base_url=d.action_url, timeout=30) as http:
        for impostor in impostors:
            for action, slots in (
                ("action_checkout", {}),
                ("action_affirm", {"pending": "order"}),
            ):
                answer = http.post("/webhook", json=forged_call(action, token, slots), **impostor)
                assert answer.status_code == 401, (impostor, answer.text)
                assert "events" not in answer.json()
            assert http.get("/actions", **impostor).status_code == 401
            handover = {"conversation": "c-1", "secrets": {"customer_token": token}}
            assert http.put("/handover", json=handover, **impostor).status_code == 401
            assert http.request("DELETE", "/handover", json=handover, **impostor).status_code == 401
        # The same call from our Rasa (with the secret) runs: the refusals were the secret's.
        # Even then a token in Rasa's message is no credential: only the handover is.
        ours = {"Authorization": f"Bearer {secret}"}
        forged = forged_call("action_view_basket", token, {})
        answer = http.post("/webhook", json=forged, headers=ours)
        assert answer.status_code == 200, answer.text
        assert [r["response"] for r in answer.json()["responses"]] == ["utter_sign_in_needed"]
        handover = {"conversation": forged["sender_id"], "secrets": {"customer_token": token}}
        assert http.put("/handover", json=handover, headers=ours).status_code == 204
        answer = http.post("/webhook", json=forged, headers=ours)
        assert http.request("DELETE", "/handover", json=handover, headers=ours).status_code == 204
        assert answer.json()["responses"][0]["response"].startswith("utter_basket")
        assert token not in answer.text, "the handover is never read back"
    after = shop.scalar("SELECT count(*) FROM orders"), shop.scalar("SELECT count(*) FROM quotes")
    assert after == before


def _tracker_rows(stack: Stack, sender: str) -> int:
    database = stack.tracker_file()
    assert database is not None
    with sqlite3.connect(database) as conn:
        return int(
            conn.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]
        )


@pytest.mark.slow
def test_rasa_answers_only_the_assistant(stack: Stack, dialogue: RasaDialogue) -> None:
    d = stack.settings.dialogue
    token = customer_token(stack.settings, "grace")
    sender = f"intruder-{uuid.uuid4().hex[:8]}"
    message = {
        "sender": sender,
        "message": "what's in my basket",
        "metadata": {"customer_token": token},
    }
    impostors: list[dict[str, Any]] = [
        {},
        {"headers": {"Authorization": "Bearer wrong"}},
        {"params": {"token": d.auth_token}},  # Rasa's own ?token= is not accepted either
    ]
    with httpx.Client(base_url=d.rasa_url, timeout=30) as http:
        for impostor in impostors:
            for webhook in ("/webhooks/rest/webhook", "/webhooks/turn/webhook"):
                answer = http.post(webhook, json=message, **impostor)
                assert answer.status_code == 401, (impostor, webhook, answer.text)
            for path in ("/status", f"/conversations/{sender}/tracker", "/version"):
                assert http.get(path, **impostor).status_code == 401, (impostor, path)
            assert http.post("/model/parse", json={"text": "hi"}, **impostor).status_code == 401
        assert http.get("/").status_code == 200  # the health check says nothing
    assert _tracker_rows(stack, sender) == 0  # nothing was stored for the intruder
    assert dialogue.parse("what's in my basket")["intent"]["name"]  # the assistant's calls work


@pytest.mark.slow
def test_no_secret_on_a_command_line_or_in_a_log_line(
    stack: Stack, dialogue: RasaDialogue, caplog: pytest.LogCaptureFixture
) -> None:
    d = stack.settings.dialogue
    secrets = [t for t in (d.auth_token, d.action_token) if t]
    assert len(secrets) == 2
    for process in stack.started:
        assert process.process is not None
        argv = Path(f"/proc/{process.process.pid}/cmdline").read_bytes().decode()
        assert not any(s in argv for s in secrets), process.name
    with caplog.at_level(logging.DEBUG):
        dialogue.turn(f"logged-{uuid.uuid4().hex[:8]}", "hello", {})
    assert caplog.records  # the HTTP client logged its requests ...
    assert not any(s in r.getMessage() for r in caplog.records for s in secrets)  # ... no token
    for process in stack.started:
        logged = process.log_path.read_text(errors="replace")
        assert not any(s in logged for s in secrets), process.log_path


@pytest.mark.slow
def test_a_chat_revokes_its_token_and_the_databases_are_private(
    stack: Stack, shop: Shop, tmp_path: Path
) -> None:
    s = stack.settings
    newest = shop.scalar("SELECT max(id) FROM api_tokens")
    turns = run_chat_command(stack, "frank", "what's in my basket\n")
    assert turns[0]["responses"]
    with shop.db.session() as session:
        minted = session.scalars(select(ApiToken).where(ApiToken.id > newest)).all()
    assert len(minted) == 1  # the chat's own token ...
    assert minted[0].revoked_at is not None  # ... revoked when the chat ended
    assert minted[0].expires_at is not None  # and it would have expired within hours anyway
    assert minted[0].expires_at - minted[0].created_at <= timedelta(hours=12)
    tracker = stack.tracker_file()
    assert tracker is not None
    commerce = Path(s.resolve_database_url().removeprefix("sqlite:///"))
    for database in (tracker, commerce):
        for file in database.parent.glob(database.name + "*"):  # with its -wal and -shm
            assert file.stat().st_mode & 0o077 == 0, f"{file} is {oct(file.stat().st_mode)}"


@pytest.mark.slow
def test_the_tracker_store_keeps_no_token_or_ticket(stack: Stack, dialogue: RasaDialogue) -> None:
    token = customer_token(stack.settings, "grace")
    ticket = "pt_" + uuid.uuid4().hex + uuid.uuid4().hex  # stands for a PIN ticket
    sender = f"private-{uuid.uuid4().hex[:8]}"
    for text in ("hello", "what's in my basket"):
        _, reply = dialogue.turn(sender, text, {"customer_token": token, "pin_ticket": ticket})
    # the skills had the token for the turn: grace's basket, not "please sign in"
    assert next(r.response for r in reply.replies if r.response).startswith("utter_basket")
    assert _tracker_rows(stack, sender) > 0  # the conversation is stored ...
    tracker = stack.tracker_file()
    assert tracker is not None
    with sqlite3.connect(tracker) as conn:
        stored = "\n".join(row[0] for row in conn.execute("SELECT data FROM events"))
    assert token not in stored  # ... without this turn's secrets
    assert ticket not in stored
    # nor any other conversation's, of every test in this session so far; nor any log
    secret = re.compile(r"(?:cst|pt)_[A-Za-z0-9_-]{20,}")
    assert not secret.findall(stored)
    for process in stack.started:
        assert not secret.findall(process.log_path.read_text(errors="replace")), process.name


def test_the_tracker_store_takes_secrets_out_of_an_earlier_tracker(tmp_path: Path) -> None:
    """A tracker database written before (the issue found 33 tokens in one) is scrubbed when
    Rasa opens it: the rows lose their secrets, and the file's old pages are vacuumed."""
    database = tmp_path / "old_tracker.db"
    token, ticket = "cst_" + uuid.uuid4().hex, "pt_" + uuid.uuid4().hex
    event = {
        "event": "user",
        "text": "what's in my basket",
        "metadata": {"customer_token": token, "store_id": "riverside"},
        "parse_data": {"metadata": {"customer_token": token, "pin_ticket": ticket}},
    }
    with sqlite3.connect(database) as conn:
        conn.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,"
            " type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255),"
            " action_name VARCHAR(255), data TEXT)"
        )
        conn.execute(
            "INSERT INTO events (sender_id, type_name, data) VALUES ('old', 'user', ?)",
            (json.dumps(event),),
        )
    opened = (
        "from assistant.tracker_store import PrivateSQLTrackerStore\n"
        f"PrivateSQLTrackerStore(dialect='sqlite', db={str(database)!r})\n"
    )
    in_rasa_env(opened)
    with sqlite3.connect(database) as conn:
        (data,) = conn.execute("SELECT data FROM events").fetchone()
    assert json.loads(data)["metadata"] == {"store_id": "riverside"}  # kept what is no secret
    raw = database.read_bytes()
    assert token.encode() not in raw
    assert ticket.encode() not in raw


@pytest.mark.slow
def test_a_token_sent_to_rasa_anyway_is_kept_nowhere_and_reported(stack: Stack) -> None:
    """The front end hands tokens to the action server (tests/assistant/
    test_dialogue_handover.py); should a caller put one in a message to Rasa all the same,
    the tracker store leaves it out and says so in Rasa's log: the line the
    conversation tests look for to prove no secret reached Rasa."""
    d = stack.settings.dialogue
    token = "cst_" + uuid.uuid4().hex + uuid.uuid4().hex  # stands for a customer token
    sender = f"careless-{uuid.uuid4().hex[:8]}"
    rasa_log = next(p for p in stack.started if p.name == "Rasa server").log_path
    before = rasa_log.stat().st_size
    message = {"sender": sender, "message": "hello", "metadata": {"customer_token": token}}
    with httpx.Client(base_url=d.rasa_url, timeout=30) as http:
        answer = http.post(
            "/webhooks/rest/webhook",
            json=message,
            headers={"Authorization": f"Bearer {d.auth_token}"},
        )
    assert answer.status_code == 200, answer.text
    assert _tracker_rows(stack, sender) > 0
    tracker = stack.tracker_file()
    assert tracker is not None
    with sqlite3.connect(tracker) as conn:
        stored = "\n".join(row[0] for row in conn.execute("SELECT data FROM events"))
    assert token not in stored
    with rasa_log.open("rb") as log:
        log.seek(before)
        written = log.read().decode("utf-8", "replace")
    assert "a secret reached Rasa in a user event (customer_token)" in written
    assert token not in written


def test_the_postgresql_tracker_store_keeps_no_token_either(pg_url: str) -> None:
    """endpoints.scale.yml keeps conversations in PostgreSQL with the same store: a token
    that reached Rasa all the same is left out there too, and reported."""
    from sqlalchemy import create_engine, make_url, text

    from tests.conftest import _create_database, _drop_database

    name = f"vca_tracker_{uuid.uuid4().hex[:10]}"
    _create_database(pg_url, name)
    url = make_url(pg_url).set(database=name)
    token = "cst_" + uuid.uuid4().hex + uuid.uuid4().hex
    saved = (
        "import asyncio, logging\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from rasa.shared.core.events import UserUttered\n"
        "from rasa.shared.core.trackers import DialogueStateTracker\n"
        "from assistant.tracker_store import PrivateSQLTrackerStore\n"
        f"store = PrivateSQLTrackerStore(dialect='postgresql', host={url.host!r},"
        f" port={url.port or 5432}, db={name!r}, username={url.username!r},"
        f" password={url.password!r})\n"
        "said = UserUttered('hi', metadata={'customer_token': "
        f"{token!r}, 'store_id': 'riverside'}})\n"
        "asyncio.run(store.save(DialogueStateTracker.from_events('pg-1', [said])))\n"
    )
    try:
        done = in_rasa_env(saved)
        engine = create_engine(url.set(drivername="postgresql+psycopg"))
        try:
            with engine.connect() as conn:
                rows = [r[0] for r in conn.execute(text("SELECT data FROM events"))]
        finally:
            engine.dispose()
    finally:
        _drop_database(pg_url, name)
    assert rows, "the conversation was stored"
    assert token not in "\n".join(rows)
    assert any(json.loads(r).get("metadata") == {"store_id": "riverside"} for r in rows)
    assert "a secret reached Rasa in a user event (customer_token)" in done.stderr
    assert token not in done.stderr
