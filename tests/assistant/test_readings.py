"""Choosing between readings of one noisy utterance by how well the dialogue understands each."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.chat import ChatSession
from assistant.errors import DialogueError
from assistant.readings import best_reading, most_understood, readings
from assistant.settings import load_settings
from audio.base import Transcript


class FakeDialogue:
    def __init__(self, confidence: dict[str, float | None], fail: bool = False) -> None:
        self.confidence = confidence
        self.fail = fail
        self.parsed: list[str] = []

    def parse(self, text: str) -> dict[str, Any]:
        self.parsed.append(text)
        if self.fail:
            raise DialogueError("rasa-unreachable", "Rasa did not answer")
        return {"text": text, "intent": {"name": "x", "confidence": self.confidence.get(text)}}


def heard(text: str, *alternatives: str) -> Transcript:
    return Transcript(text, "pocketsphinx", alternatives=alternatives)


def test_readings_are_the_text_then_its_distinct_alternatives() -> None:
    assert readings(heard("add milk", "add milk", " ", "add silk")) == ["add milk", "add silk"]
    assert readings(heard("", "add silk")) == ["add silk"]


def test_the_most_confident_reading_wins_and_a_tie_keeps_the_first() -> None:
    parses: dict[str, dict[str, Any]] = {
        "a": {"intent": {"confidence": 0.5}},
        "b": {"intent": {"confidence": 0.9}},
        "c": {"intent": {"confidence": 0.9}},
        "d": {"intent": {"name": None, "confidence": None}},
    }
    assert most_understood(["a", "b", "c"], parses) == "b"
    assert most_understood(["d", "a"], parses) == "a"
    assert most_understood(["a", "d"], parses) == "a"


def test_one_reading_is_not_sent_to_be_parsed() -> None:
    dialogue = FakeDialogue({})
    assert best_reading(heard("add milk", "add milk"), dialogue.parse) == "add milk"
    assert dialogue.parsed == []


def test_an_unreachable_dialogue_leaves_the_transcript_as_it_was() -> None:
    dialogue = FakeDialogue({}, fail=True)
    assert best_reading(heard("at my last order", "repeat my last order"), dialogue.parse) == (
        "at my last order"
    )


@pytest.mark.parametrize("expecting_pin", [False, True])
def test_a_conversation_chooses_but_never_parses_a_pin(expecting_pin: bool) -> None:
    dialogue = FakeDialogue({"for three two one": 0.2, "four three two one": 0.6})
    session = ChatSession(load_settings(), dialogue, token="t")  # type: ignore[arg-type]
    session.expecting_pin = expecting_pin
    chosen = session.reading(heard("for three two one", "four three two one"))
    if expecting_pin:
        assert chosen == "for three two one"
        assert dialogue.parsed == [], "a PIN never goes to the NLU"
    else:
        assert chosen == "four three two one"
        assert dialogue.parsed == ["for three two one", "four three two one"]
