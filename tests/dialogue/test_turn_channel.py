"""Our Rasa channel (assistant/rasa_channel.py): one request per turn, answered whole.

Through the real Rasa server, action server and commerce service: what the channel answers is
what the conversation recorded (the same response keys and payloads as the tracker's bot events,
the intent the tracker's user event holds), and a malformed request is a coded 400 that leaves
no trace in the conversation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from assistant.chat import ChatSession
from assistant.dialogue import RasaDialogue
from assistant.services import Stack
from tests.stack import Shop

SESSION_EVENTS = 200  # assistant/rasa_channel.py (it runs in Rasa's environment)

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


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slot values the ``slot`` events among ``events`` leave (the secret-free ones)."""
    values: dict[str, Any] = {}
    for e in events:
        if e["event"] == "slot" and e["name"] != "session_started_metadata":
            values[e["name"]] = e["value"]
    return values


def test_a_long_conversation_stays_short_for_rasa_and_keeps_its_state(
    start_chat: Start, dialogue: RasaDialogue, shop: Shop
) -> None:
    chat = start_chat("erin")
    chat.turn("add six bananas")
    chat.turn("the first one")
    basket = shop.lines("erin")
    assert basket
    lines = ("what's in my basket", "how much are bananas", "what can you do")
    for n in range(40):  # about 300 events: past SESSION_EVENTS once
        chat.turn(lines[n % len(lines)])
    events = dialogue.tracker(chat.sender)["events"]
    starts = [i for i, e in enumerate(events) if e["event"] == "session_started"]
    assert len(starts) >= 2  # the first session, and at least one started since
    assert len(events) - starts[-1] <= SESSION_EVENTS
    # what the old session had set is what the new one starts with (carried over)
    before = {k: v for k, v in _slots(events[: starts[-1]]).items() if v is not None}
    first_user = next(i for i in range(starts[-1], len(events)) if events[i]["event"] == "user")
    carried = _slots(events[starts[-1] : first_user])
    copies = [e["name"] for e in events[starts[-1] : first_user] if e["event"] == "slot"]
    assert len(copies) == len(set(copies))  # each slot once, not every value it ever had
    assert before
    assert {k: carried.get(k) for k in before} == before
    answer = chat.turn("what's in my basket")
    assert answer["responses"] == ["utter_basket_contents"]
    assert shop.lines("erin") == basket
