"""The dialogue stage: Rasa over HTTP (its REST channel for turns, its API for parses)."""

from __future__ import annotations

from typing import Any

import httpx

from assistant.errors import DialogueError
from assistant.events import IntentParsed, Reply, ReplyReady


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
        """One customer turn through Rasa and the skills; the replies and the intent it saw."""
        self._post(
            "/webhooks/rest/webhook", {"sender": sender, "message": text, "metadata": metadata}
        )
        # The REST channel splits one utterance into a text and a custom message; the tracker
        # keeps it whole, with the response key, so the replies are read from there.
        events = self._tracker(sender).get("events") or []
        last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
        user = events[last_user] if last_user >= 0 else {}
        replies = tuple(
            Reply(
                text=e.get("text") or "",
                response=(e.get("metadata") or {}).get("utter_action"),
                custom=(e.get("data") or {}).get("custom") or {},
            )
            for e in events[last_user + 1 :]
            if e.get("event") == "bot"
        )
        parse_data = user.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        parsed = IntentParsed(
            text=text,
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            entities=tuple(parse_data.get("entities") or ()),
        )
        return parsed, ReplyReady(replies)

    def _tracker(self, sender: str) -> dict[str, Any]:
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
