"""A turn's secrets never travel through Rasa: ``RasaDialogue`` hands the customer's token and
a PIN ticket to the action server for the turn and takes them back after it, and Rasa gets the
rest of the metadata only (a recording stand-in for both servers)."""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.dialogue import RasaDialogue
from assistant.errors import DialogueError
from tests.local_http import local_http_server


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Rasa (our turn channel's webhook) and the action server's handover, in one."""

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        server: Any = self.server
        server.seen.append((self.command, self.path, self.headers.get("Authorization"), body))
        answer: Any = {  # the turn channel's answer: the intent and one whole reply
            "intent": {"name": "greet", "confidence": 0.99},
            "entities": [],
            "replies": [{"text": "Hello!", "response": "utter_greet", "custom": {}}],
        }
        data = json.dumps(answer).encode()
        self.send_response(204 if self.path == "/handover" else 200)
        if self.path != "/handover":
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.path != "/handover":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _record

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Any]:
    with local_http_server(_Recorder, seen=[]) as server:
        yield server


def test_the_token_and_ticket_go_to_the_action_server_and_never_to_rasa(recorder):
    url = f"http://127.0.0.1:{recorder.server_address[1]}"
    dialogue = RasaDialogue(url, "rasa-secret", action_url=url, action_token="actions-secret")
    try:
        metadata = {"customer_token": "cst_abc", "pin_ticket": "pt_def", "store_id": "riverside"}
        parsed, reply = dialogue.turn("home-1-abc", "hi", metadata)
    finally:
        dialogue.close()
    assert parsed.intent == "greet"
    assert [r.response for r in reply.replies] == ["utter_greet"]
    calls = [(method, path.split("?")[0]) for method, path, _, _ in recorder.seen]
    assert calls == [
        ("PUT", "/handover"),  # handed over before Rasa hears the turn ...
        ("POST", "/webhooks/turn/webhook"),
        ("DELETE", "/handover"),  # ... and taken back as soon as it has answered
    ]
    put, webhook, delete = recorder.seen
    assert put[2] == delete[2] == "Bearer actions-secret"
    assert put[3] == {
        "conversation": "home-1-abc",
        "secrets": {"customer_token": "cst_abc", "pin_ticket": "pt_def"},
    }
    assert delete[3] == {"conversation": "home-1-abc"}
    assert webhook[2] == "Bearer rasa-secret"
    assert webhook[3] == {
        "sender": "home-1-abc",
        "message": "hi",
        "metadata": {"store_id": "riverside"},
    }
    rasa_heard = json.dumps([seen for seen in recorder.seen if seen[1] != "/handover"])
    assert "cst_abc" not in rasa_heard
    assert "pt_def" not in rasa_heard


def test_a_turn_without_secrets_hands_nothing_over(recorder):
    url = f"http://127.0.0.1:{recorder.server_address[1]}"
    dialogue = RasaDialogue(url, "rasa-secret", action_url=url, action_token="actions-secret")
    try:
        dialogue.turn("chat-1", "hi", {"store_id": "riverside", "pin_ticket": None})
    finally:
        dialogue.close()
    assert [path for _, path, _, _ in recorder.seen if path == "/handover"] == []


def test_a_token_with_nowhere_to_go_is_not_sent_to_rasa_instead(recorder):
    url = f"http://127.0.0.1:{recorder.server_address[1]}"
    dialogue = RasaDialogue(url, "rasa-secret")  # no action server named
    try:
        with pytest.raises(DialogueError) as refused:
            dialogue.turn("chat-1", "hi", {"customer_token": "cst_abc"})
    finally:
        dialogue.close()
    assert refused.value.code == "action-token-missing"
    assert recorder.seen == [], "Rasa heard nothing of it"
