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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse


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
            parsed = await request.app.ctx.agent.parse_message(text)
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
