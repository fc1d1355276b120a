"""Unit tests of the skills: real actions, CollectingDispatcher, the in-memory commerce twin.

These run in Rasa's environment (`.venv-rasa/bin/pytest --confcutdir=tests/skills tests/skills`,
which `make test` does); the end-to-end tests in tests/dialogue use the real service.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from skills import client, handover
from skills.checkout import ActionProvidePin
from skills.twin import InMemoryCommerce

# Every skill test runs at this instant unless it moves the clock itself (``clock.move_to``):
# a Wednesday morning in Wrenford, so "today", "tomorrow" and day names never depend on when
# the suite runs.
FIXED_NOW = "2027-06-16T10:15:00+01:00"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FIXED_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def no_secrets_left() -> Iterator[None]:
    """Each test hands its own secrets over (``tracker``); none outlives it."""
    handover.clear()
    yield
    handover.clear()


@pytest.fixture(autouse=True)
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lost answer is asked for again without the real pauses (the clock stands still)."""
    monkeypatch.setattr(client, "SETTLE_PAUSE_S", 0.0)


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> InMemoryCommerce:
    twin = InMemoryCommerce()
    monkeypatch.setattr(client, "factory", lambda token: twin)
    return twin


@pytest.fixture
def shop_with_pin(monkeypatch: pytest.MonkeyPatch) -> InMemoryCommerce:
    twin = InMemoryCommerce(pin=True)
    monkeypatch.setattr(client, "factory", lambda token: twin)
    return twin


def entity(text: str, name: str, value: str, occurrence: int = 0) -> dict[str, Any]:
    """An NLU entity for ``value`` as it occurs in ``text`` (character offsets included)."""
    starts = [m.start() for m in re.finditer(re.escape(value), text)]
    start = starts[occurrence]
    return {"entity": name, "value": value, "start": start, "end": start + len(value)}


def tracker(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    confidence: float = 0.99,
    secrets: dict[str, Any] | None = None,
) -> Tracker:
    """The tracker of a turn of "test-sender", whose ``secrets`` (the customer's token, a PIN
    ticket) the front end handed to the action server as it does (skills.handover)."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "metadata": {"store_id": "riverside", **(metadata or {})},
    }
    handover.put("test-sender", {"customer_token": "cst_test", **(secrets or {})})
    return Tracker("test-sender", slots or {}, latest, events or [], False, None, {}, "")


def run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages sent, events returned) of one action run."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, {}))
    return dispatcher.messages, events


def act(
    action: Any, text: str, intent: str, *named: tuple[str, str], **state: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``run`` of ``action`` on the turn ``text`` filed as ``intent``, with an entity for each
    ``(name, value)`` in ``named`` (found in ``text``); ``state``: the rest of ``tracker``'s
    arguments (slots, metadata, events, confidence, secrets)."""
    entities = [entity(text, name, value) for name, value in named]
    return run(action, tracker(text, intent, entities, **state))


def pin_said(
    slots: dict[str, Any], ticket: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The turn of a PIN said at the prompt: the front end checked it with the service and
    hands over its ticket (None: the PIN was wrong) with ``/provide_pin``."""
    return act(
        ActionProvidePin(),
        "/provide_pin",
        "provide_pin",
        slots=slots,
        secrets={"pin_ticket": ticket},
    )


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("response")) for m in messages]


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
