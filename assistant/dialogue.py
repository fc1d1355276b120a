"""The dialogue stage: Rasa over HTTP (its REST channel for turns, its API for parses).

A turn's secrets (the customer's token, a PIN ticket) never go to Rasa: ``RasaDialogue.turn``
takes them out of the message metadata and hands them to the action server directly
(``PUT /handover``, keyed by the conversation id), for the skills of that turn only, and takes
them back (``DELETE /handover``) as soon as Rasa has answered."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from assistant.errors import DialogueError
from assistant.events import IntentParsed, Reply, ReplyReady

if TYPE_CHECKING:
    from assistant.settings import DialogueSettings

log = logging.getLogger(__name__)

# What a turn's metadata may carry that must never reach Rasa (skills/handover.py SECRET_KEYS).
SECRET_KEYS = ("customer_token", "pin_ticket")


class Dialogue(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...

    def turn(
        self, sender: str, text: str, metadata: dict[str, Any]
    ) -> tuple[IntentParsed, ReplyReady]: ...


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

        ``metadata``'s secrets (SECRET_KEYS) go to the action server for this turn only;
        Rasa gets the rest."""
        secrets = {k: metadata[k] for k in SECRET_KEYS if metadata.get(k)}
        public = {k: v for k, v in metadata.items() if k not in SECRET_KEYS}
        if secrets:
            self._hand_over("PUT", {"conversation": sender, "secrets": secrets})
        try:
            self._post(
                "/webhooks/rest/webhook", {"sender": sender, "message": text, "metadata": public}
            )
        finally:
            if secrets:
                try:
                    self._hand_over("DELETE", {"conversation": sender})
                except DialogueError as err:  # it goes by itself after a few minutes
                    log.warning("taking a turn's secrets back failed: %s", err.code)
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
