"""After whole conversations on the real stack (a home speaker whose customer says her PIN at
checkout, a kiosk signed in by phone number with a spoken PIN, a chat with a typed PIN), no
customer token, PIN ticket, device token, PIN, phone or loyalty number is in the conversation
store or in any log: the action server's, Rasa's, the commerce service's, the gateway's. And
no secret ever reached Rasa: its tracker store says so when it has to leave one out."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.channels.device import DeviceClient
from assistant.chat import ChatSession
from assistant.services import Stack
from commerce.seed.seeder import DEMO_PIN
from tests.gateway.test_gateway import of_type, speech, turn
from tests.stack import GatewayServer, Shop

HOME = "laura"  # at her home speaker, and then in a chat
KIOSK = "nina"  # at a kiosk
HOME_PIN, HOME_PIN_SAID = "2857", "two eight five seven"  # said aloud at the home speaker
KIOSK_PIN, KIOSK_PIN_SAID = "9146", "nine one four six"  # said aloud at the kiosk
CHAT_PIN_SAID = "two eight five seven"  # the home customer's, typed in words in a chat
TOKENS = re.compile(r"(?:cst|pt|dev)_[A-Za-z0-9_-]{16,}")  # a customer or device token, a ticket
LEAK_WARNING = "a secret reached Rasa"  # assistant/tracker_store.py
ORDERS = (
    "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
    "WHERE c.handle = :h AND o.status = 'placed'"
)


def digits_pattern(digits: str) -> re.Pattern[str]:
    """``digits`` written any way: "2857", "2 8 5 7", "28-57", but not inside a longer number
    or an identifier (a message id's hex, "...be9146f7", holds any 4 digits by chance)."""
    spaced = r"[\s().+-]*".join(digits)
    return re.compile(rf"(?<![\w.-]){spaced}(?![\w.-])")


def secrets_in(text: str, pins: list[str], words: list[str], phones: list[str]) -> list[str]:
    found = TOKENS.findall(text)
    found += [p for p in pins if digits_pattern(p).search(text)]
    found += [w for w in words if w in text.lower()]
    # a UK mobile as stored (07700900123), without its 0, or as +44 7700 900123
    found += [p for p in phones if digits_pattern(p.removeprefix("0")).search(text)]
    return found


def until(client: DeviceClient, kinds: set[str], timeout_s: float = 60) -> list[dict[str, Any]]:
    """The device's events up to the first of ``kinds``."""
    events = []
    while (event := client.next_event(timeout_s)) is not None:
        events.append(event)
        if event.get("type") in kinds:
            return events
    raise AssertionError(f"no {kinds} in {events}")


def add(client: DeviceClient, text: str) -> None:
    added = turn(client, type="text", text=text)
    if of_type(added, "reply")[0]["response"] == "utter_product_choices":
        added = turn(client, type="text", text="the first one")
    assert "utter_added_items" in [r["response"] for r in of_type(added, "reply")], added


def orders_placed(shop: Shop, handle: str) -> int:
    return int(shop.scalar(ORDERS, h=handle))


def home_conversation(gateway: GatewayServer, shop: Shop, cache: Path) -> None:
    """At home: shop, book, check out and say the PIN aloud."""
    before = orders_placed(shop, HOME)
    home = DeviceClient(gateway.url, gateway.add_device(home=HOME))
    try:
        add(home, "add a dozen free range eggs")
        booked = turn(home, type="text", text="book a pickup tomorrow at 3 pm")
        assert of_type(booked, "reply")[0]["response"] == "utter_pickup_booked", booked
        turn(home, type="text", text="checkout")
        asked = turn(home, type="text", text="yes")
        assert of_type(asked, "reply")[0].get("expect") == "pin", asked
        home.send_audio(speech(HOME_PIN_SAID, cache), real_time=True)
        home.send_control({"type": "end_of_speech"})
        placed = list(home.events_until_turn_done())
        responses = [r["response"] for r in of_type(placed, "reply")]
        assert responses == ["utter_order_placed"], placed
        session = home.ready.session_id
    finally:
        home.close()
    gateway.end_sessions([session])  # the session ends: its token is revoked
    assert orders_placed(shop, HOME) == before + 1


def kiosk_conversation(gateway: GatewayServer, shop: Shop, cache: Path, phone: str) -> None:
    """At a kiosk: sign in with a phone number and a spoken PIN, order, leave."""
    before = orders_placed(shop, KIOSK)
    kiosk = DeviceClient(gateway.url, gateway.add_device(kiosk="riverside"))
    try:
        kiosk.send_control({"type": "sign_in", "phone": phone})
        assert kiosk.next_event(30) == {"type": "pin_needed"}
        kiosk.send_audio(speech(KIOSK_PIN_SAID, cache), real_time=True)
        kiosk.send_control({"type": "end_of_speech"})
        signed = until(kiosk, {"signed_in", "sign_in_failed"})
        assert signed[-1]["type"] == "signed_in", signed
        add(kiosk, "add two pints of semi skimmed milk")
        turn(kiosk, type="text", text="book a pickup tomorrow at 4 pm")
        readback = turn(kiosk, type="text", text="checkout")
        assert of_type(readback, "confirm_needed"), readback
        confirmed = turn(kiosk, type="confirm")
        assert of_type(confirmed, "reply")[0]["response"] == "utter_order_placed", confirmed
        turn(kiosk, type="text", text="goodbye")
        until(kiosk, {"signed_out"})
    finally:
        kiosk.close()
    assert orders_placed(shop, KIOSK) == before + 1


def chat_conversation(start_chat: Callable[..., ChatSession], shop: Shop) -> None:
    """The home customer again, in a chat: the PIN typed in words at the prompt."""
    before = orders_placed(shop, HOME)
    chat = start_chat(HOME)
    added = chat.turn("add six bananas")
    if added["responses"][:1] == ["utter_product_choices"]:
        chat.turn("the first one")
    assert chat.turn("book a pickup tomorrow at 5 pm")["responses"] == ["utter_pickup_booked"]
    assert chat.turn("checkout")["responses"] == ["utter_quote_readback"]
    assert chat.turn("yes")["responses"] == ["utter_ask_pin"]
    placed = chat.turn(CHAT_PIN_SAID)
    assert placed["responses"] == ["utter_order_placed"], placed
    assert orders_placed(shop, HOME) == before + 1


def tracker_text(stack: Stack) -> str:
    """Every byte of the conversation store (the SQLite file with its WAL), as text."""
    tracker = stack.tracker_file()
    assert tracker is not None, "the test stack keeps conversations in SQLite"
    with sqlite3.connect(tracker) as conn:
        rows = "\n".join(str(row) for row in conn.execute("SELECT * FROM events"))
    raw = b"".join(f.read_bytes() for f in tracker.parent.glob(tracker.name + "*"))
    return rows + "\n" + raw.decode("latin-1")


@pytest.mark.slow
def test_no_token_ticket_pin_or_phone_number_is_kept_anywhere(
    stack: Stack,
    shop: Shop,
    gateway: GatewayServer,
    start_chat: Callable[..., ChatSession],
    caplog: pytest.LogCaptureFixture,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cache = tmp_path_factory.mktemp("speech")
    shop.more_customers(14)  # customers of this test's own
    shop.set_pin(HOME, HOME_PIN)
    shop.set_pin(KIOSK, KIOSK_PIN)
    phone = str(shop.scalar("SELECT phone FROM customers WHERE handle = :h", h=KIOSK))
    assert phone.startswith("07")
    loyalty = [
        str(shop.scalar("SELECT loyalty_number FROM customers WHERE handle = :h", h=who))
        for who in (HOME, KIOSK)
    ]
    logs = {p.name: p.log_path for p in stack.started}
    start = {name: path.stat().st_size for name, path in logs.items()}
    try:
        with caplog.at_level(logging.DEBUG):  # the gateway's own log, every logger in it
            home_conversation(gateway, shop, cache)
            kiosk_conversation(gateway, shop, cache, phone)
            chat_conversation(start_chat, shop)
    finally:
        shop.set_pin(HOME, DEMO_PIN)
        shop.set_pin(KIOSK, DEMO_PIN)
    pins, words = [HOME_PIN, KIOSK_PIN], [HOME_PIN_SAID, KIOSK_PIN_SAID]

    stored = tracker_text(stack)
    assert "eggs" in stored, "the conversations were stored"
    assert secrets_in(stored, pins, words, [phone, *loyalty]) == [], "the conversation store"

    # (the WebSocket library's debug lines of binary frames are hex dumps of audio, where
    # "... 91 46 ..." is no PIN: the frames of text are read like every other line)
    gateway_log = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {json.dumps(r.args, default=str)}"
        for r in caplog.records
        if not (r.name.startswith("websockets") and "BINARY" in r.getMessage())
    )
    assert caplog.records, "the gateway logged its work"
    leaks = [
        line
        for line in gateway_log.splitlines()
        if secrets_in(line, pins, words, [phone, *loyalty])
    ]
    assert leaks == [], "the gateway's log"
    for name, path in logs.items():
        with path.open("rb") as log:
            log.seek(start[name])  # what these conversations wrote ...
            written = log.read().decode("utf-8", "replace")
        assert secrets_in(written, pins, words, [phone, *loyalty]) == [], path
        # (a test that sends Rasa a token on purpose gets this line: not these conversations)
        assert LEAK_WARNING not in written, "a token or ticket reached Rasa"
        # ... and no token in anything it ever wrote
        assert TOKENS.findall(path.read_text(errors="replace")) == [], path
