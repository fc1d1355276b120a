"""A gateway session on fakes (no services, no speech models): control messages in, typed
protocol messages out, in order, on the session's own worker thread."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any, cast

import pytest
from time_machine import TimeMachineFixture

from assistant.channels import protocol as p
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.link import Control
from assistant.channels.gateway.session import Session
from assistant.channels.gateway.speech import Outgoing, SpeechParts
from assistant.dialogue import RasaDialogue
from assistant.events import IntentParsed, Reply, ReplyReady
from assistant.settings import load_settings
from audio.fakes import FixedTranscriber
from audio.vad import Endpointer

# When the kiosk test runs: a Wednesday morning, not the machine's day and hour.
KIOSK_NOW = datetime.fromisoformat("2027-06-16T10:15:00+01:00")
SLOT = {"slot_id": 7, "store_id": "riverside", "start": "11:00", "end": "11:30"}
# What the skills' replies ask of a kiosk's screen, in their custom payload.
PAYLOADS: dict[str, dict[str, Any]] = {
    "utter_quote_readback": {"show": "confirm"},
    "utter_ask_pickup_time": {"show": "slots"},
    "utter_slots_that_day": {"show": "slots", "day": "2031-05-06"},
}


class FakeDirectory:
    """The commerce service's device endpoints, in memory; records sign-ins."""

    def __init__(self) -> None:
        self.sign_ins: list[dict[str, Any]] = []
        self.signed_out: list[str] = []

    def _issued(self, handle: str) -> dict[str, Any]:
        return {
            "customer": {"handle": handle, "name": handle.title()},
            "customer_token": f"tok-{handle}",
            "expires_at": "2099-01-01T00:00:00+00:00",
        }

    def guest(self, device_token: str) -> dict[str, Any]:
        return self._issued("guest-1")

    def sign_in(self, device_token: str, body: dict[str, Any]) -> dict[str, Any]:
        self.sign_ins.append(body)
        return self._issued("dave")

    def sign_out(self, device_token: str, customer_token: str) -> None:
        self.signed_out.append(customer_token)

    def basket(self, customer_token: str) -> dict[str, Any]:
        line = {"sku": "EGG-6", "name": "Free range eggs", "quantity": 1, "line_total": 2.1}
        return {"items": [line], "item_count": 1, "total": 2.1, "currency": "GBP"}

    def slots(self, store_id: str, day: date) -> list[dict[str, Any]]:
        if day == date.today():
            return [{**SLOT, "capacity": 6, "available": 0}]  # full: not shown
        return [{**SLOT, "capacity": 6, "available": 2}]


class FakeDialogue:
    """Answers every turn with the response key the text names ("say utter_x"), and the
    payload the skills send with it."""

    def __init__(self) -> None:
        self.turns: list[tuple[str, dict[str, Any]]] = []

    def parse(self, text: str) -> dict[str, Any]:
        return {"intent": {"name": "chat", "confidence": 1.0}}

    def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> Any:
        self.turns.append((text, metadata))
        response = text.removeprefix("say ") if text.startswith("say ") else "utter_ok"
        intent = "goodbye" if text == "goodbye" else "chat"
        reply = Reply(f"[{response}]", response, PAYLOADS.get(response, {}))
        return IntentParsed(text, intent, 0.9), ReplyReady((reply,))


@pytest.fixture
def wire() -> Iterator[tuple[FakeDirectory, FakeDialogue, Any]]:
    directory, dialogue = FakeDirectory(), FakeDialogue()
    settings = load_settings()
    speech = SpeechParts(lambda: FixedTranscriber("hello"), Endpointer, speaker=None)
    made: list[Session] = []

    def session(kind: str) -> tuple[Session, queue.Queue[Outgoing]]:
        device = {"kind": kind, "device_id": len(made) + 1, "store_id": "riverside"}
        if kind == "home":
            device.update(directory._issued("grace"))
        out: queue.Queue[Outgoing] = queue.Queue()
        made.append(
            Session(
                f"s{len(made)}",
                device,
                "dev_token",
                settings,
                cast(DeviceDirectory, directory),
                cast(RasaDialogue, dialogue),
                speech,
                idle_timeout_s=600,
            )
        )
        made[-1].attach(out.put, lambda: None)
        return made[-1], out

    yield directory, dialogue, session
    for each in made:
        each.close()


def said(session: Session, out: queue.Queue[Outgoing], **control: Any) -> list[p.Message]:
    """Send a control message; the messages it brought, through the turn's end (or 1 s of
    quiet for controls that end no turn)."""
    session.offer(Control(control))
    got: list[p.Message] = []
    while True:
        try:
            message = out.get(timeout=1.0 if got else 10.0)
        except queue.Empty:
            return got
        assert not isinstance(message, bytes), "no speaker: no reply audio"
        got.append(message)
        if isinstance(message, p.TurnDone | p.Error):
            return got


def test_a_kiosk_customer_signs_in_by_pin_and_sees_confirm_and_slots(
    wire: Any, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(KIOSK_NOW, tick=True)  # the kiosk's "today" is the one expected here
    today = KIOSK_NOW.date()
    directory, dialogue, open_session = wire
    kiosk, out = open_session("kiosk")
    assert kiosk.hello() == p.Ready(
        1, "s0", "kiosk", "riverside", None, None, p.AudioFormat(16000, 2, 1)
    )
    assert said(kiosk, out, type="text", text="add eggs") == [
        p.Transcript("add eggs"),
        p.Error("sign-in-needed", "Sign in or choose guest first."),
    ]
    assert said(kiosk, out, type="sign_in", loyalty_number="GL-4") == [p.PinNeeded()]
    basket = p.Basket([p.BasketLine("EGG-6", "Free range eggs", 1, 2.1)], 1, 2.1)
    assert said(kiosk, out, type="text", text="four three two one") == [
        p.SignedIn(p.CustomerView("dave", "Dave")),
        basket,
    ]
    assert directory.sign_ins == [{"loyalty_number": "GL-4", "pin": "4321"}]
    readback = said(kiosk, out, type="text", text="say utter_quote_readback")
    assert readback[:3] == [
        p.Transcript("say utter_quote_readback"),
        p.Intent("chat", 0.9),
        p.Reply("[utter_quote_readback]", "utter_quote_readback"),
    ]
    assert readback[3:5] == [basket, p.ConfirmNeeded()]
    assert isinstance(readback[5], p.TurnDone)
    assert readback[5].timings_ms is not None
    confirmed = said(kiosk, out, type="confirm")
    assert confirmed[0] == p.Transcript("[Confirm]")
    assert dialogue.turns[-1][0] == "/affirm"
    assert dialogue.turns[-1][1]["touched"] is True
    assert dialogue.turns[-1][1]["confirm_by"] == "touch"
    asked = said(kiosk, out, type="text", text="say utter_ask_pickup_time")
    tomorrow = p.PickupSlot(
        slot_id=7, store_id="riverside", start="11:00", end="11:30", capacity=6, available=2
    )
    assert [m for m in asked if isinstance(m, p.Slots)] == [
        p.Slots(today, []),
        p.Slots(today + timedelta(days=1), [tomorrow]),
    ]
    that_day = said(kiosk, out, type="text", text="say utter_slots_that_day")
    assert [m for m in that_day if isinstance(m, p.Slots)] == [
        p.Slots(date(2031, 5, 6), [tomorrow])
    ], "the day the payload names"
    plain = said(kiosk, out, type="text", text="say utter_basket_contents")
    assert [type(m) for m in plain] == [p.Transcript, p.Intent, p.Reply, p.Basket, p.TurnDone]
    bye = said(kiosk, out, type="text", text="goodbye")
    assert isinstance(bye[-1], p.TurnDone)
    assert out.get(timeout=10) == p.SignedOut("goodbye")
    assert directory.signed_out == ["tok-dave"], "the customer's token is given back"
    assert kiosk.customer is None
    assert not kiosk.turns


def test_a_home_device_has_no_kiosk_buttons_and_odd_messages_are_coded_errors(
    wire: Any,
) -> None:
    _, _, open_session = wire
    home, out = open_session("home")
    assert home.hello().customer == p.CustomerView("grace", "Grace")
    kiosk_only = p.Error("kiosk-only", "Only a kiosk can do that.")
    assert said(home, out, type="confirm") == [kiosk_only]
    assert said(home, out, type="guest") == [kiosk_only]
    assert said(home, out, type="launch_rockets") == [
        p.Error("message-unknown", "unknown message type 'launch_rockets'")
    ]
    assert said(home, out, type="hello", token="dev_token") == [
        p.Error("message-unknown", "unknown message type 'hello'")
    ]
    assert said(home, out, type="text", text=" ") == [
        p.Error("text-empty", "A text message needs some text.")
    ]
    assert said(home, out, type="slots", date=123) == [
        p.Error("date-invalid", "date must be YYYY-MM-DD")
    ]
    assert said(home, out, type="ping") == [p.Pong()]
    turn = said(home, out, type="text", text="say utter_basket_contents")
    assert [type(m) for m in turn] == [p.Transcript, p.Intent, p.Reply, p.TurnDone]
    assert said(home, out, type="end_of_speech") == [p.TurnDone(None, nothing_heard=True)]
