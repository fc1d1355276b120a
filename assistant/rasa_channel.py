"""Rasa's input channel for the assistant's own turns: one request in, the whole turn out.

Runs inside Rasa (``.venv-rasa``; Python 3.10 syntax); credentials.yml names it. Rasa's REST
channel answers a turn with its replies split apart (a reply's text and its custom payload as
two messages, the response key left out) and without what the NLU understood, so the
assistant used to read the conversation's whole tracker after every turn to put them back
together: a cost that grew with every turn of a conversation. This channel answers
``POST /webhooks/turn/webhook`` (``{"sender", "message", "metadata"}``) with exactly what a turn
needs, whatever the conversation's length::

    {"intent": {"name", "confidence"}, "entities": [...],
     "replies": [{"text", "response", "custom"}, ...]}

The message is parsed once, here, and handed to the dialogue already parsed. Like every route
of our Rasa server it is reached only with the server's bearer token (``rasa_servers.py``).

A turn's cost must not grow with the conversation: Rasa reads and replays every event of the
current session on every turn, and a home speaker's conversation can run all day. So once a
session holds more than ``SESSION_EVENTS`` events, a new session is started before the turn,
as Rasa does after an idle hour, with every slot's value carried over (once each), so the last
search, the store and any open question (the ``pending`` slot: every rule here is one intent
to one action, the state is in slots) stay as they were; only older events stop being
replayed (``bench/bench_turn_cost.py`` measures turn 1 against turn 1,000).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, SESSION_START_METADATA_SLOT
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

SESSION_EVENTS = 200  # about 25 turns: what a turn replays at most, then a new session


class TurnCollector(CollectingOutputChannel):
    """Keeps each reply whole: its text, its response key and its custom payload."""

    @classmethod
    def name(cls) -> str:
        return "turn"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(
            {
                "text": message.get("text") or "",
                "response": message.get("utter_action"),
                "custom": message.get("custom") or {},
            }
        )


async def _keep_session_short(agent: Any, sender: str) -> None:
    """Start a new session when the current one has grown past ``SESSION_EVENTS`` events:
    ``SessionStarted``, then each slot's current value once, then listening. (Rasa's own
    session start copies every ``SlotSet`` event of the old session, which would grow from
    session to session.) A store that cannot count (not ours) is left alone."""
    store = agent.tracker_store
    inner = getattr(store, "_tracker_store", store)  # Rasa wraps the store in a fail-safe
    count = getattr(inner, "events_in_session", None)
    if count is None or count(sender) <= SESSION_EVENTS:
        return
    async with agent.lock_store.lock(sender):
        tracker = await store.retrieve(sender)
        if tracker is None:
            return
        carried = [
            SlotSet(name, slot.value)
            for name, slot in tracker.slots.items()
            if slot.value is not None and name != SESSION_START_METADATA_SLOT
        ]
        for event in (SessionStarted(), *carried, ActionExecuted(ACTION_LISTEN_NAME)):
            tracker.update(event)
        await store.save(tracker)


def _bad_request(message: str) -> HTTPResponse:
    return response.json({"error": {"code": "turn-invalid", "message": message}}, status=400)


class TurnInput(InputChannel):
    """The assistant's channel: a turn's intent, entities and whole replies in one answer."""

    @classmethod
    def name(cls) -> str:
        return "turn"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("turn_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            metadata = body.get("metadata") or {}
            if not isinstance(sender, str) or not sender:
                return _bad_request("'sender' must be a non-empty string.")
            if not isinstance(text, str):
                return _bad_request("'message' must be a string.")
            if not isinstance(metadata, dict):
                return _bad_request("'metadata' must be an object.")
            agent = request.app.ctx.agent
            await _keep_session_short(agent, sender)
            parsed = await agent.parse_message(text)
            collector = TurnCollector()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    parse_data=parsed,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
            intent = parsed.get("intent") or {}
            return response.json(
                {
                    "intent": {
                        "name": intent.get("name"),
                        "confidence": intent.get("confidence"),
                    },
                    "entities": parsed.get("entities") or [],
                    "replies": collector.messages,
                }
            )

        return hook
