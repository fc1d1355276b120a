"""The dialogue stage: Rasa over HTTP (our own channel for turns, its API for parses)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx

from assistant.errors import DialogueError
from assistant.events import IntentParsed, Reply, ReplyReady

log = logging.getLogger(__name__)


class RasaDialogue:
    """A client of one Rasa server started by ``assistant/rasa_servers.py``: the API token
    travels in a header, never in the URL (which HTTP client logs print)."""

    def __init__(self, url: str, token: str, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=url, timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            response = self._http.post(path, json=body)
        except httpx.HTTPError as err:
            raise DialogueError("rasa-unreachable", f"Rasa did not answer: {err}") from err
        if response.status_code >= 400:
            raise DialogueError("rasa-error", f"Rasa answered {response.status_code}")
        return response.json()

    def parse(self, text: str) -> dict[str, Any]:
        """The NLU result for ``text``: intent, confidence, entities (no dialogue). A text
        with no words has no intent (Rasa's classifier would answer 500 on it)."""
        if not text.strip():
            return {"text": text, "intent": {"name": None, "confidence": None}, "entities": []}
        result = self._post("/model/parse", {"text": text})
        intent = result.get("intent") or {}
        return {
            "text": text,
            "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
            "entities": [
                {k: e.get(k) for k in ("entity", "value", "start", "end")}
                for e in result.get("entities", [])
            ],
        }

    def turn(
        self, sender: str, text: str, metadata: dict[str, Any]
    ) -> tuple[IntentParsed, ReplyReady]:
        """One customer turn through Rasa and the skills; the replies and the intent it saw.
        One request whatever the conversation's length (``assistant/rasa_channel.py``)."""
        result = self._post(
            "/webhooks/turn/webhook", {"sender": sender, "message": text, "metadata": metadata}
        )
        replies = tuple(
            Reply(
                text=r.get("text") or "",
                response=r.get("response"),
                custom=r.get("custom") or {},
            )
            for r in result.get("replies") or ()
        )
        intent = result.get("intent") or {}
        parsed = IntentParsed(
            text=text,
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            entities=tuple(result.get("entities") or ()),
        )
        return parsed, ReplyReady(replies)

    def warm_up(self) -> bool:
        """Exercise Rasa's NLU and dialogue and the action server once (a help request in a
        conversation of its own, with no customer), so that the first customer's turn is not
        the one that pays for cold caches. False when Rasa did not answer (the first turn will
        say so)."""
        try:
            self.parse("what can you do")
            self.turn(f"warm-up-{uuid.uuid4().hex[:12]}", "what can you do", {})
        except DialogueError as err:
            log.warning("dialogue warm-up failed: %s", err.code)
            return False
        return True

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker since its last restart (tools and tests; no turn needs it)."""
        try:
            response = self._http.get(
                f"/conversations/{sender}/tracker",
                params={"include_events": "AFTER_RESTART"},
            )
        except httpx.HTTPError as err:
            raise DialogueError("rasa-unreachable", f"Rasa did not answer: {err}") from err
        if response.status_code >= 400:
            raise DialogueError("rasa-error", f"Rasa answered {response.status_code}")
        result: dict[str, Any] = response.json()
        return result
