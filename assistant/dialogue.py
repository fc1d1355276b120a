"""The dialogue stage: Rasa over HTTP (our own channel for turns, its API for parses).

A turn's secrets (the customer's token, a PIN ticket) never go to Rasa: ``RasaDialogue.turn``
takes them out of the message metadata and hands them to the action server directly
(``PUT /handover``, keyed by the conversation id), for the skills of that turn only, and takes
them back (``DELETE /handover``) as soon as Rasa has answered."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

import httpx

from assistant.errors import DialogueError
from assistant.events import IntentParsed, Reply, ReplyReady

if TYPE_CHECKING:
    from assistant.settings import DialogueSettings

log = logging.getLogger(__name__)

# What a turn's metadata may carry that must never reach Rasa (skills/handover.py SECRET_KEYS).
SECRET_KEYS = ("customer_token", "pin_ticket")


class RasaDialogue:
    """A client of one Rasa server started by ``assistant/rasa_servers.py``: the API token
    travels in a header, never in the URL (which HTTP client logs print).

    ``action_url`` and ``action_token`` name the action server that Rasa calls, to which
    each turn's secrets are handed (a dialogue without them can only parse, or hold turns
    that carry no secret)."""

    def __init__(
        self,
        url: str,
        token: str,
        timeout_s: float = 30.0,
        *,
        action_url: str | None = None,
        action_token: str | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=url, timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )
        self._actions = (
            httpx.Client(
                base_url=action_url,
                timeout=10.0,
                headers={"Authorization": f"Bearer {action_token}"},
            )
            if action_url and action_token
            else None
        )

    @classmethod
    def of(cls, dialogue: DialogueSettings, timeout_s: float | None = None) -> RasaDialogue:
        """The client for ``dialogue`` (``DialogueSettings``): its Rasa and its action server."""
        return cls(
            dialogue.rasa_url,
            dialogue.auth_token or "",
            dialogue.turn_timeout_s if timeout_s is None else timeout_s,
            action_url=dialogue.action_url,
            action_token=dialogue.action_token,
        )

    def close(self) -> None:
        self._http.close()
        if self._actions is not None:
            self._actions.close()

    def _hand_over(self, method: str, body: dict[str, Any]) -> None:
        """Hand a turn's secrets to the action server (PUT), or take them back (DELETE)."""
        if self._actions is None:
            raise DialogueError(
                "action-token-missing",
                "This turn carries a customer's token, which goes to the action server "
                "directly: set ACTION_SERVER_TOKEN to that server's secret",
            )
        try:
            response = self._actions.request(method, "/handover", json=body)
        except httpx.HTTPError as err:
            raise DialogueError(
                "actions-unreachable", f"The action server did not answer: {type(err).__name__}"
            ) from err
        if response.status_code >= 400:
            raise DialogueError(
                "actions-error", f"The action server answered {response.status_code}"
            )

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
        One request whatever the conversation's length (``assistant/rasa_channel.py``).

        ``metadata``'s secrets (SECRET_KEYS) go to the action server for this turn only;
        Rasa gets the rest."""
        secrets = {k: metadata[k] for k in SECRET_KEYS if metadata.get(k)}
        public = {k: v for k, v in metadata.items() if k not in SECRET_KEYS}
        if secrets:
            self._hand_over("PUT", {"conversation": sender, "secrets": secrets})
        try:
            result = self._exchange(sender, text, public)
        finally:
            if secrets:
                try:
                    self._hand_over("DELETE", {"conversation": sender})
                except DialogueError as err:  # it goes by itself after a few minutes
                    log.warning("taking a turn's secrets back failed: %s", err.code)
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

    def _exchange(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """Rasa's answer to one message: ``{"intent", "entities", "replies"}``."""
        answer: dict[str, Any] = self._post(
            "/webhooks/turn/webhook", {"sender": sender, "message": text, "metadata": metadata}
        )
        return answer

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
