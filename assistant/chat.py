"""``run_assistant.py chat``: a text conversation through Rasa, the skills and the service."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import httpx
from text_to_num import alpha2digit

from assistant.conversations import conversation_id
from assistant.dialogue import RasaDialogue
from assistant.erasures import erase_conversations
from assistant.errors import CommerceError
from assistant.events import IntentParsed, ReplyReady
from assistant.readings import best_reading
from assistant.services import running
from assistant.settings import Settings
from audio.base import Transcript
from audio.text import spoken_digits

log = logging.getLogger(__name__)
CONVERSATION_TOKEN_TTL = timedelta(hours=8)  # a chat's token, should nothing revoke it
RENEW_BEFORE = timedelta(minutes=10)  # a conversation's token is replaced this long before
PIN_SHOWN = "[PIN]"  # what logs, displays and transcripts show instead of a PIN


def customer_token(
    settings: Settings, customer: str, ttl: timedelta = CONVERSATION_TOKEN_TTL
) -> str:
    """A fresh API token for the named customer (handle, loyalty number or id), asked of the
    service with the operator token the assistant started it with (``/v1/operator``); it
    expires after ``ttl`` (8 hours unless told otherwise)."""
    c = settings.commerce
    if not c.operator_token:
        raise CommerceError(
            "operator-token-missing",
            f"The commerce service at {c.base_url} was not started by the assistant: set "
            "COMMERCE_OPERATOR_TOKEN to the operator token it was started with.",
            401,
        )
    response = httpx.post(
        f"{c.base_url}/v1/operator/customer-tokens",
        timeout=10,
        json={"customer": customer, "ttl_seconds": int(ttl.total_seconds())},
        headers={"Authorization": f"Bearer {c.operator_token}"},
    )
    token: str = _answer(response)["customer_token"]
    return token


def revoke_tokens(settings: Settings, tokens: Iterable[str]) -> None:
    """Revoke each token with the service (``DELETE /v1/me/token``, the token's own call)."""
    for token in tokens:
        response = httpx.delete(
            f"{settings.commerce.base_url}/v1/me/token",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        if response.status_code != 401:  # 401: already revoked or expired, nothing to do
            _answer(response)


@contextlib.contextmanager
def conversation_token(
    settings: Settings, customer: str, ttl: timedelta = CONVERSATION_TOKEN_TTL
) -> Iterator[str]:
    """A customer token for one conversation, revoked when it ends (and expiring after
    ``ttl`` should the process be killed before). ``settings``: a running stack's (the
    service must answer)."""
    token = customer_token(settings, customer, ttl)
    try:
        yield token
    finally:
        revoke_tokens(settings, [token])


class ConversationToken:
    """The customer token of a conversation that may last days (the assistant listening at
    home): each token expires after ``ttl`` and ``current`` replaces it (revoking the old one)
    shortly before it would; every token it minted is revoked when the conversation ends."""

    def __init__(
        self, settings: Settings, customer: str, ttl: timedelta = CONVERSATION_TOKEN_TTL
    ) -> None:
        self.settings = settings
        self.customer = customer
        self.ttl = ttl
        self._minted: list[str] = []
        self.value = self._mint()

    def _mint(self) -> str:
        self.expires_at = datetime.now(UTC) + self.ttl
        self._minted.append(customer_token(self.settings, self.customer, self.ttl))
        return self._minted[-1]

    def current(self) -> str:
        """The token to use now: a fresh one when this one is about to expire."""
        if self.expires_at - datetime.now(UTC) < RENEW_BEFORE:
            old, self.value = self.value, self._mint()
            revoke_tokens(self.settings, [old])
        return self.value

    def close(self) -> None:
        revoke_tokens(self.settings, self._minted)

    def __enter__(self) -> ConversationToken:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def customer_subject(settings: Settings, token: str) -> str | None:
    """The customer's subject: the key their conversations are filed under (``GET /v1/me``),
    so that they can be exported and erased with the rest of what the shop keeps."""
    response = httpx.get(
        f"{settings.commerce.base_url}/v1/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    subject: str | None = _answer(response).get("subject")
    return subject


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a 2xx answer; a refusal as the service's own coded error."""
    body: dict[str, Any] = response.json()
    if response.status_code >= 400:
        error = body.get("error") or {}
        raise CommerceError(
            str(error.get("code", "http-error")),
            str(error.get("message", "")),
            response.status_code,
        )
    return body


# Words that may go with the digits of a PIN: "my pin is 4 3 2 1", "um, it's 4321".
PIN_CARRIER = frozenset({"my", "pin", "is", "it's", "its", "it", "the", "code", "um", "uh", "er"})


class PinLine:
    """What a line said at the PIN prompt is: a PIN, digits among other words, or no PIN."""

    DIGITS = "digits"  # only digits (and "my pin is"): a PIN attempt, checked and counted
    MIXED = "mixed"  # digits among other words: neither counted nor sent to the dialogue
    WORDS = "words"  # no digits ("cancel", "what's in my basket"): an ordinary turn


def pin_line(text: str) -> str:
    words = re.findall(r"[a-z']+|\d+", alpha2digit(text.lower(), "en", threshold=0))
    if not any(w.isdigit() for w in words):
        return PinLine.WORDS
    if all(w.isdigit() or w in PIN_CARRIER for w in words):
        return PinLine.DIGITS
    return PinLine.MIXED


def pin_ticket(settings: Settings, token: str, spoken: str) -> str | None:
    """Check a spoken PIN with the service; the conversation only ever sees the ticket."""
    pin = spoken_digits(spoken)
    if not 4 <= len(pin) <= 8:
        return None
    response = httpx.post(
        f"{settings.commerce.base_url}/v1/me/pin/verify",
        json={"pin": pin},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    if response.status_code >= 400:
        return None
    ticket: str | None = response.json().get("ticket")
    return ticket


class ChatSession:
    """One customer's text conversation: each ``turn`` is one line the customer typed or said.

    While the assistant waits for a PIN, a line of digits is checked with the service and only
    the resulting ticket reaches the dialogue: the PIN is never sent, stored or echoed. A line
    with no digits ("cancel", "what's in my basket") is an ordinary turn and no PIN attempt;
    digits among other words are neither (the dialogue asks for just the digits).
    """

    def __init__(
        self,
        settings: Settings,
        dialogue: RasaDialogue,
        token: str,
        store: str | None = None,
        sender: str | None = None,
        renew: Callable[[], str] | None = None,
        subject: str | None = None,
    ) -> None:
        self.settings = settings
        self.dialogue = dialogue
        self.token = token
        self.renew = renew  # the token to use now, for a conversation that outlives one
        # filed under the customer's subject (assistant/conversations.py): found to export or
        # erase with the rest of what is kept about them
        self.sender = conversation_id(subject, sender or f"chat-{uuid.uuid4().hex[:12]}")
        self.metadata: dict[str, Any] = {"customer_token": token}
        if store:
            self.metadata["store_id"] = store
        self.expecting_pin = False
        self.erased = False  # the customer erased their account in this conversation

    def reading(self, transcript: Transcript) -> str:
        """What to answer of a spoken turn: of several readings of noisy speech, the one Rasa
        understands best. A PIN is never sent to be parsed."""
        if self.expecting_pin:
            return transcript.text
        return best_reading(transcript, self.dialogue.parse)

    def exchange(
        self, text: str, extra: dict[str, Any] | None = None
    ) -> tuple[str, IntentParsed, ReplyReady]:
        """One customer turn: (what may be shown of it, what Rasa understood, the replies).

        ``extra`` adds metadata for this turn only (a kiosk's Confirm button: ``touched``).
        """
        if self.renew is not None:
            self.token = self.metadata["customer_token"] = self.renew()
        metadata = {**self.metadata, **(extra or {})}
        kind = pin_line(text) if self.expecting_pin else PinLine.WORDS
        if kind != PinLine.WORDS:
            said: dict[str, Any]
            if kind == PinLine.DIGITS:
                said = {"pin_ticket": pin_ticket(self.settings, self.token, text)}
            else:
                said = {"pin_ticket": None, "pin_unclear": True}
            parsed, reply = self.dialogue.turn(self.sender, "/provide_pin", {**metadata, **said})
            shown = PIN_SHOWN
        else:
            parsed, reply = self.dialogue.turn(self.sender, text, metadata)
            shown = text
        self.expecting_pin = reply.expects_pin
        self._erase_if_asked(reply)
        return shown, parsed, reply

    def _erase_if_asked(self, reply: ReplyReady) -> None:
        """The customer's account was erased (the privacy skill's reply says so with their
        subject)."""
        subject = next((r.custom["erased"] for r in reply.replies if r.custom.get("erased")), None)
        if subject:
            self.forget(str(subject))

    def forget(self, subject: str) -> None:
        """The customer (``subject``) was erased: their conversations go, this one included,
        and nothing more of this conversation is filed under them."""
        deleted = erase_conversations(self.settings, subject)
        log.info("a customer was erased: %d events of their conversations deleted", deleted)
        self.sender = f"erased-{uuid.uuid4().hex[:12]}"
        self.erased = True

    def turn(self, text: str) -> dict[str, Any]:
        """One typed turn through the turn engine, as the line ``chat`` prints for it."""
        from assistant.turns import TurnEngine

        turn = TurnEngine(self).typed(text)
        return {
            "user": turn.transcript,
            "intent": turn.intent,
            "confidence": turn.confidence,
            "replies": turn.replies,
            "responses": turn.responses,
            "latency_ms": turn.timings_ms["end_of_speech_to_first_audio"],
        }


def converse(session: ChatSession, lines: Iterable[str], out: IO[str]) -> None:
    for line in lines:
        text = line.strip()
        if text:
            out.write(json.dumps(session.turn(text)) + "\n")
            out.flush()


@contextlib.contextmanager
def customer_conversation(
    settings: Settings, customer: str, store: str | None
) -> Iterator[ChatSession]:
    """The stack running (started if need be) and one conversation of ``customer`` on it,
    filed under their subject; its token is revoked and the client closed at the end."""
    with running(settings) as stack, conversation_token(stack.settings, customer) as token:
        dialogue = RasaDialogue.of(stack.settings.dialogue)
        try:
            subject = customer_subject(stack.settings, token)
            yield ChatSession(stack.settings, dialogue, token, store, subject=subject)
        finally:
            dialogue.close()


def chat(
    settings: Settings, customer: str, store: str | None, lines: Iterable[str], out: IO[str]
) -> None:
    with customer_conversation(settings, customer, store) as session:
        converse(session, lines, out)


def parse(settings: Settings, texts: Iterable[str], out: IO[str]) -> None:
    with running(settings, commerce=False, actions=False) as stack:
        d = stack.settings.dialogue
        dialogue = RasaDialogue.of(d)
        try:
            for text in texts:
                out.write(json.dumps(dialogue.parse(text)) + "\n")
                out.flush()
        finally:
            dialogue.close()
