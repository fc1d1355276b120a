"""Our Rasa channel (assistant/rasa_channel.py): one request per turn, answered whole.

Through the real Rasa server, action server and commerce service: what the channel answers is
what the conversation recorded (the same response keys and payloads as the tracker's bot events,
the intent the tracker's user event holds), and a malformed request is a coded 400 that leaves
no trace in the conversation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from assistant.chat import ChatSession
from assistant.dialogue import RasaDialogue
from assistant.services import Stack
from tests.stack import Shop

Start = Callable[..., ChatSession]


def test_a_turn_answers_what_the_conversation_recorded(
    start_chat: Start, dialogue: RasaDialogue, shop: Shop
) -> None:
    chat = start_chat("carol")
    before = shop.basket("carol")["item_count"]
    assert chat.turn("add six bananas")["intent"] == "add_to_basket"
    chat.turn("the first one")  # carol's store has three kinds of bananas
    assert shop.basket("carol")["item_count"] > before  # the skills really ran

    parsed, reply = dialogue.turn(chat.sender, "what's in my basket", chat.metadata)
    assert parsed.intent == "view_basket"
    assert parsed.confidence is not None
    assert parsed.confidence > 0.5
    assert reply.replies
    assert reply.replies[0].response == "utter_basket_contents"

    events = dialogue.tracker(chat.sender)["events"]
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    recorded = [
        (e["metadata"].get("utter_action"), (e.get("data") or {}).get("custom") or {})
        for e in events[last_user + 1 :]
        if e["event"] == "bot"
    ]
    assert [(r.response, r.custom) for r in reply.replies] == recorded
    assert events[last_user]["parse_data"]["intent"]["name"] == parsed.intent


def test_a_malformed_turn_is_a_coded_error_and_leaves_no_trace(
    stack: Stack, dialogue: RasaDialogue
) -> None:
    d = stack.settings.dialogue
    sender = f"malformed-{uuid.uuid4().hex[:8]}"
    bodies: list[object] = [
        {"message": "hello"},
        {"sender": sender},
        {"sender": sender, "message": 5},
        {"sender": sender, "message": "hello", "metadata": "x"},
        ["not", "an", "object"],
    ]
    headers = {"Authorization": f"Bearer {d.auth_token}"}
    with httpx.Client(base_url=d.rasa_url, timeout=30, headers=headers) as http:
        for body in bodies:
            answer = http.post("/webhooks/turn/webhook", json=body)
            assert answer.status_code == 400, (body, answer.text)
            assert answer.json()["error"]["code"] == "turn-invalid"
    events = dialogue.tracker(sender).get("events") or []
    assert not [e for e in events if e["event"] == "user"]
