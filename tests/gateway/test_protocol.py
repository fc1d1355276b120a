"""The gateway protocol's messages: every one survives the wire, odd input is a coded error,
and the checked-in JSON schema is the one the dataclasses make (no services needed)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from assistant.channels import protocol as p
from assistant.channels.protocol_schema import SCHEMA_FILE, rendered
from tests.gateway.schema import off_protocol, validator

CUSTOMER = p.CustomerView("dave", "Dave Brown")
DEVICE_EXAMPLES: list[p.Message] = [
    p.Hello("dev_abc", p.AudioFormat(), "s-123"),
    p.Hello("dev_abc"),
    p.EndOfSpeech(),
    p.Text("add two litres of milk"),
    p.AskSlots(date(2026, 12, 8)),
    p.AskSlots(),
    p.SignIn(loyalty_number="GL-0004"),
    p.SignIn(phone="+44 7700 900004", pin="4321"),
    p.Guest(),
    p.Confirm(),
    p.Cancel(),
    p.SignOut(),
    p.Ping(),
    p.Mute(True),
    p.Mute(False),
    p.Stopped(),
]
GATEWAY_EXAMPLES: list[p.Message] = [
    p.Ready(1, "s-123", "kiosk", "riverside", "Riverside", None, p.AudioFormat()),
    p.Ready(1, "s-456", "home", "riverside", None, CUSTOMER, p.AudioFormat()),
    p.SpeechStarted(),
    p.Partial("add two"),
    p.Transcript("add two litres of milk"),
    p.Intent("add_to_basket", 0.97),
    p.Intent(None, None),
    p.Reply("Which milk?", "utter_product_choices"),
    p.Reply("What is your PIN?", "utter_ask_pin", "pin"),
    p.Reply(None, None),
    p.AudioStart(22050, 2, 1),
    p.AudioEnd(interrupted=True),
    p.TurnDone("add_to_basket", timings_ms={"dialogue": 120.5, "vad_wait": 400}),
    p.TurnDone(None, nothing_heard=True),
    p.TurnDone(None, error="rasa-unreachable"),
    p.Basket([p.BasketLine("MLK-2L", "Semi skimmed milk 2 l", 2, 3.3)], 2, 3.3),
    p.Basket([], 0, 0),
    p.Slots(
        date(2026, 12, 8),
        [
            p.PickupSlot(
                slot_id=7, store_id="riverside", start="11:00", end="11:30", capacity=6, available=2
            )
        ],
    ),
    p.ConfirmNeeded(),
    p.PinNeeded(),
    p.SignedIn(CUSTOMER),
    p.SignInFailed("sign-in-failed"),
    p.SignedOut("idle"),
    p.Error("frame-invalid", "audio frames are whole 16-bit samples"),
    p.Pong(),
    p.Listening(True, "wake", 6.0),
    p.Listening(True, "follow_up", 6.0),
    p.Listening(False, "end_of_utterance"),
    p.Muted(True),
]


def test_the_examples_cover_every_message() -> None:
    assert {type(m) for m in DEVICE_EXAMPLES} == set(p.DEVICE_MESSAGES.values())
    assert {type(m) for m in GATEWAY_EXAMPLES} == set(p.GATEWAY_MESSAGES.values())


@pytest.mark.parametrize("message", DEVICE_EXAMPLES, ids=repr)
def test_every_device_message_round_trips_and_fits_the_schema(message: p.Message) -> None:
    wire = json.loads(p.encode(message))
    assert wire["type"] == message.TYPE
    if isinstance(message, p.Hello):
        assert p.decode_hello(p.encode(message)) == message
    else:
        assert p.decode_device(p.parse_object(p.encode(message))) == message
    assert not off_protocol("DeviceMessage", [wire])
    assert off_protocol("GatewayMessage", [wire]), "a device's message is not the gateway's"


@pytest.mark.parametrize("message", GATEWAY_EXAMPLES, ids=repr)
def test_every_gateway_message_round_trips_and_fits_the_schema(message: p.Message) -> None:
    text = p.encode(message)
    assert p.decode_gateway(text) == message
    assert p.to_wire(p.decode_gateway(text)) == json.loads(text)
    assert not off_protocol("GatewayMessage", [json.loads(text)])


def test_optional_fields_are_left_out_and_the_others_sent_as_null() -> None:
    assert p.to_wire(p.TurnDone(None, nothing_heard=True)) == {
        "type": "turn_done",
        "intent": None,
        "nothing_heard": True,
    }
    assert p.to_wire(p.Reply("Hello", "utter_greet")) == {
        "type": "reply",
        "text": "Hello",
        "response": "utter_greet",
    }
    ready = p.to_wire(GATEWAY_EXAMPLES[0])
    assert ready["customer"] is None
    assert ready["audio"] == {"rate": 16000, "width": 2, "channels": 1}
    assert p.to_wire(p.Slots(date(2026, 1, 2), []))["date"] == "2026-01-02"


def refusal(call: Any, *args: Any) -> tuple[str, str, int | None]:
    with pytest.raises(p.GatewayError) as refused:
        call(*args)
    return refused.value.code, refused.value.message, refused.value.close


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"hello"', "null", ""])
def test_what_is_not_a_json_object_is_malformed_json(text: str) -> None:
    assert refusal(p.parse_object, text) == ("malformed-json", "Send JSON objects.", None)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"type": "launch_rockets"}, "message-unknown"),
        ({"type": 5}, "message-unknown"),
        ({"text": "add milk"}, "message-unknown"),
        ({"type": "pong"}, "message-unknown"),  # the gateway's, not a device's
        ({"type": "text"}, "text-empty"),
        ({"type": "text", "text": "   "}, "text-empty"),
        ({"type": "slots", "date": 123}, "date-invalid"),
        ({"type": "slots", "date": ["2026-12-08"]}, "date-invalid"),
        ({"type": "slots", "date": "2026-13-40"}, "date-invalid"),
        ({"type": "sign_in"}, "sign-in-invalid"),
        ({"type": "sign_in", "loyalty_number": "1", "phone": "2"}, "sign-in-invalid"),
    ],
)
def test_odd_device_messages_get_the_codes_devices_know(data: dict[str, Any], code: str) -> None:
    assert refusal(p.decode_device, data)[0] == code


def test_device_messages_are_read_as_leniently_as_before() -> None:
    assert p.decode_device({"type": "text", "text": 123}) == p.Text("123")
    assert p.decode_device({"type": "text", "text": " " + "a" * 600}) == p.Text("a" * 500)
    assert p.decode_device({"type": "slots", "date": ""}) == p.AskSlots()
    assert p.decode_device({"type": "ping", "extra": 1}) == p.Ping()
    signed = p.decode_device({"type": "sign_in", "phone": "07700", "pin": 4321})
    assert signed == p.SignIn(phone="07700", pin="4321")
    assert signed.who() == {"phone": "07700"}


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"type": "text", "text": "hi"}',
        '{"type": "hello"}',
        '{"type": "hello", "token": ""}',
        '{"type": "hello", "token": "t", "audio": {"rate": 8000, "width": "x"}}',
    ],
)
def test_anything_but_a_hello_first_is_hello_expected(text: str) -> None:
    code, _, close = refusal(p.decode_hello, text)
    assert (code, close) == ("hello-expected", 4400)


@pytest.mark.parametrize("audio", ["pcm", 16000, ["pcm"]])
def test_an_odd_audio_value_is_named(audio: object) -> None:
    hello = json.dumps({"type": "hello", "token": "t", "audio": audio})
    code, message, close = refusal(p.decode_hello, hello)
    assert (code, close) == ("audio-format", 4400)
    assert "16000" in message


def test_a_wrong_audio_format_names_what_was_sent() -> None:
    hello = json.dumps(
        {"type": "hello", "token": "t", "audio": {"rate": 44100, "width": 2, "channels": 2}}
    )
    code, message, _ = refusal(p.decode_hello, hello)
    assert code == "audio-format"
    assert "44100 Hz, 16-bit, 2 channel(s)" in message


def test_a_hello_keeps_a_string_resume_only() -> None:
    assert p.decode_hello('{"type": "hello", "token": "t", "resume": 7}') == p.Hello("t")
    assert p.decode_hello('{"type": "hello", "token": "t", "resume": "s1"}').resume == "s1"


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "reply", "text": 3, "response": null}',
        '{"type": "intent", "name": "x"}',
        '{"type": "audio_end", "interrupted": 1}',
        '{"type": "audio_start", "rate": true, "width": 2, "channels": 1}',
        '{"type": "ready", "protocol": 1, "session_id": "s", "kind": "car", "store_id": "r", '
        '"store_name": null, "customer": null, "audio": {}}',
        '{"type": "slots", "date": "soon", "slots": []}',
        '{"type": "basket", "items": [{"sku": "A"}], "item_count": 1, "total": 1.0}',
    ],
)
def test_a_gateway_message_of_the_wrong_shape_is_message_invalid(text: str) -> None:
    assert refusal(p.decode_gateway, text)[0] == "message-invalid"


def test_the_schema_refuses_what_the_protocol_does_not_send() -> None:
    gateway = validator("GatewayMessage")
    assert not gateway.is_valid({"type": "reply", "text": "hi", "response": None, "x": 1})
    assert not gateway.is_valid({"type": "turn_done"})
    assert not gateway.is_valid({"type": "reply", "text": "hi", "response": None, "expect": "x"})
    assert not gateway.is_valid({"type": "slots", "date": "soon", "slots": []})
    device = validator("DeviceMessage")
    assert not device.is_valid({"type": "hello"})
    assert not device.is_valid({"type": "launch_rockets"})


def test_the_checked_in_schema_is_the_one_the_messages_make() -> None:
    assert SCHEMA_FILE.read_text() == rendered(), (
        "run: .venv/bin/python -m assistant.channels.protocol_schema --write"
    )
