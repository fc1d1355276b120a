"""``run_assistant.py chat``: a text conversation through Rasa, the skills and the service."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable
from typing import IO, Any

import httpx
from text_to_num import alpha2digit

from assistant.dialogue import RasaDialogue
from assistant.services import running
from assistant.settings import Settings
from commerce.cli import open_database
from commerce.services import auth


def customer_token(settings: Settings, customer: str) -> str:
    """A fresh API token for the named customer, minted in the service's database."""
    db = open_database(settings)
    try:
        with db.session(write=True) as session:
            return auth.mint_token(session, auth.find_customer(session, customer))
    finally:
        db.dispose()


def spoken_digits(text: str) -> str:
    """ "four three two one" / "4 3 2 1" -> "4321"."""
    return "".join(re.findall(r"\d", alpha2digit(text.lower(), "en")))


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


def converse(
    settings: Settings,
    dialogue: RasaDialogue,
    token: str,
    store: str | None,
    lines: Iterable[str],
    out: IO[str],
) -> None:
    sender = f"chat-{uuid.uuid4().hex[:12]}"
    metadata: dict[str, Any] = {"customer_token": token}
    if store:
        metadata["store_id"] = store
    expecting_pin = False
    for line in lines:
        text = line.strip()
        if not text:
            continue
        started = time.perf_counter()
        if expecting_pin:
            ticket = pin_ticket(settings, token, text)
            parsed, reply = dialogue.turn(
                sender, "/provide_pin", {**metadata, "pin_ticket": ticket}
            )
            shown = "[PIN]"  # a PIN is never echoed, logged or sent to the dialogue
        else:
            parsed, reply = dialogue.turn(sender, text, metadata)
            shown = text
        expecting_pin = reply.expects_pin
        record = {
            "user": shown,
            "intent": parsed.intent,
            "confidence": parsed.confidence,
            "replies": [r.text for r in reply.replies],
            "responses": [r.response for r in reply.replies],
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        out.write(json.dumps(record) + "\n")
        out.flush()


def chat(
    settings: Settings, customer: str, store: str | None, lines: Iterable[str], out: IO[str]
) -> None:
    token = customer_token(settings, customer)
    with running(settings) as stack:
        d = stack.settings.dialogue
        dialogue = RasaDialogue(d.rasa_url, d.auth_token or "", d.turn_timeout_s)
        try:
            converse(stack.settings, dialogue, token, store, lines, out)
        finally:
            dialogue.close()


def parse(settings: Settings, texts: Iterable[str], out: IO[str]) -> None:
    with running(settings, commerce=False, actions=False) as stack:
        d = stack.settings.dialogue
        dialogue = RasaDialogue(d.rasa_url, d.auth_token or "", d.turn_timeout_s)
        try:
            for text in texts:
                out.write(json.dumps(dialogue.parse(text)) + "\n")
                out.flush()
        finally:
            dialogue.close()
