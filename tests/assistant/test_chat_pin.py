"""The PIN prompt of a conversation (``ChatSession``): only digits are a PIN attempt, checked with
the service and never sent to the dialogue; anything else is an ordinary turn, so "cancel" or a
new request leaves the prompt instead of counting as a wrong PIN."""

from __future__ import annotations

from typing import Any

import pytest

from assistant import chat
from assistant.chat import PIN_SHOWN, ChatSession, PinLine, pin_line
from assistant.events import IntentParsed, Reply, ReplyReady

ASK_PIN = ReplyReady((Reply("Please say or type your PIN.", "utter_ask_pin", {"expect": "pin"}),))
ANSWER = ReplyReady((Reply("Okay, I've stopped that.", "utter_cancelled"),))


class FakeDialogue:
    """Records what reached the dialogue; asks for a PIN after "yes"."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> tuple[Any, ReplyReady]:
        self.sent.append((text, metadata))
        reply = ASK_PIN if text == "yes" else ANSWER
        return IntentParsed(text, None, None), reply


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> tuple[ChatSession, FakeDialogue, list[str]]:
    checked: list[str] = []

    def fake_ticket(settings: Any, token: str, spoken: str) -> str | None:
        checked.append(spoken)
        return "pt_good" if chat.spoken_digits(spoken) == "4321" else None

    monkeypatch.setattr(chat, "pin_ticket", fake_ticket)
    dialogue = FakeDialogue()
    talk = ChatSession(None, dialogue, "cst_test")  # type: ignore[arg-type]
    talk.exchange("yes")
    assert talk.expecting_pin
    return talk, dialogue, checked


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("4321", PinLine.DIGITS),
        ("four three two one", PinLine.DIGITS),
        ("my pin is 4 3 2 1", PinLine.DIGITS),
        ("one one one one", PinLine.DIGITS),
        ("cancel", PinLine.WORDS),
        ("what's in my basket", PinLine.WORDS),
        ("never mind", PinLine.WORDS),
        ("go back", PinLine.WORDS),
        ("book it for 5 pm instead", PinLine.MIXED),
        ("four three two won", PinLine.MIXED),
    ],
)
def test_what_a_line_at_the_pin_prompt_is(text, kind):
    assert pin_line(text) == kind


@pytest.mark.parametrize("text", ["cancel", "what's in my basket", "never mind", "stop"])
def test_words_at_the_pin_prompt_are_an_ordinary_turn_not_a_pin_attempt(session, text):
    talk, dialogue, checked = session
    shown, _, _ = talk.exchange(text)
    assert checked == [], "no PIN was checked with the service, so none was counted"
    assert dialogue.sent[-1] == (text, {"customer_token": "cst_test"})
    assert shown == text
    assert not talk.expecting_pin, "the prompt is left"


def test_digits_are_checked_and_only_the_ticket_reaches_the_dialogue(session):
    talk, dialogue, checked = session
    shown, _, _ = talk.exchange("four three two one")
    assert checked == ["four three two one"]
    text, metadata = dialogue.sent[-1]
    assert (text, metadata["pin_ticket"]) == ("/provide_pin", "pt_good")
    assert shown == PIN_SHOWN
    assert "4321" not in str(dialogue.sent)
    assert "four three two one" not in str(dialogue.sent)


def test_digits_among_words_are_neither_checked_nor_sent(session):
    talk, dialogue, checked = session
    shown, _, _ = talk.exchange("four three two won")
    assert checked == []
    assert dialogue.sent[-1][0] == "/provide_pin"
    assert dialogue.sent[-1][1]["pin_unclear"] is True
    assert "four" not in str(dialogue.sent)
    assert shown == PIN_SHOWN


def test_each_turn_carries_the_conversations_current_token():
    """A conversation that outlives its token (``ConversationToken``) sends the renewed one."""
    tokens = iter(["cst_one", "cst_two"])
    dialogue = FakeDialogue()
    talk = ChatSession(None, dialogue, "cst_zero", renew=lambda: next(tokens))  # type: ignore[arg-type]
    talk.exchange("hello")
    talk.exchange("hello")
    assert [metadata["customer_token"] for _, metadata in dialogue.sent] == ["cst_one", "cst_two"]
    assert talk.token == "cst_two"
