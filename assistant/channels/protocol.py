"""The voice gateway's protocol: a typed message per JSON text frame, in both directions.

A device sends a ``DeviceMessage`` per text frame (and its microphone as binary frames); the
gateway sends a ``GatewayMessage`` per text frame (and reply audio as binary frames). Each
message is a frozen dataclass whose ``TYPE`` is the frame's ``"type"``. ``to_wire`` / ``encode``
make the JSON; ``decode_device`` / ``decode_hello`` / ``decode_gateway`` make the typed message
again and refuse anything else with the coded errors devices already know (``malformed-json``,
``message-unknown``, ``hello-expected``, ``audio-format``, ``text-empty``, …).

The gateway (``channels/gateway/``) and the device client (``channels/device.py``) both use
this module. ``protocol_schema.py`` makes a JSON schema of it (checked in as
``protocol.schema.json``), which the kiosk page's traffic is checked against in the tests;
``wire.py`` converts (a field with ``metadata=OMIT`` is left out while None); the base class,
shared parts and ``GatewayError`` are ``message_parts.py``'s (re-exported here).
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal, Self, TypeAlias

from assistant.channels import message_parts as parts
from assistant.channels import wire
from assistant.channels.message_parts import hello_expected
from assistant.channels.wire import OMIT
from audio.base import CHANNELS, RATE, WIDTH

# the parts every message is made of, here for whoever speaks the protocol
AudioFormat = parts.AudioFormat
BasketLine = parts.BasketLine
CustomerView = parts.CustomerView
GatewayError = parts.GatewayError
Message = parts.Message
PickupSlot = parts.PickupSlot
parse_object = parts.parse_object

PROTOCOL = 1
MAX_TEXT = 500  # characters of a typed turn kept


# -- from the device ----------------------------------------------------------------------
@dataclass(frozen=True)
class Hello(Message):
    """First, within seconds: who the device is; ``resume`` continues a session."""

    TYPE: ClassVar[str] = "hello"
    token: str
    audio: AudioFormat | None = field(default=None, metadata=OMIT)
    resume: str | None = field(default=None, metadata=OMIT)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Self:
        if data.get("type") != cls.TYPE or not data.get("token"):
            raise hello_expected()
        audio = data.get("audio") or {"rate": RATE, "width": WIDTH, "channels": CHANNELS}
        if not isinstance(audio, dict):  # "audio": "pcm"
            raise GatewayError(
                "audio-format",
                'audio is {"rate": 16000, "width": 2, "channels": 1}: 16-bit mono PCM',
                4400,
            )
        got = (audio.get("rate"), audio.get("width"), audio.get("channels"))
        if got != (RATE, WIDTH, CHANNELS):
            try:
                bits = 8 * int(audio.get("width") or 0)
            except (TypeError, ValueError) as err:
                raise hello_expected() from err
            raise GatewayError(
                "audio-format",
                f"stream 16000 Hz, 16-bit, mono PCM; got {got[0]} Hz, {bits}-bit, "
                f"{got[2]} channel(s)",
                4400,
            )
        resume = data.get("resume")
        return cls(
            str(data["token"]),
            AudioFormat() if "audio" in data else None,
            resume if isinstance(resume, str) else None,
        )


@dataclass(frozen=True)
class EndOfSpeech(Message):
    """Push-to-talk released: the utterance ends now, not after the pause."""

    TYPE: ClassVar[str] = "end_of_speech"


@dataclass(frozen=True)
class Text(Message):
    """A typed turn (or, after ``pin_needed``, a typed PIN)."""

    TYPE: ClassVar[str] = "text"
    text: str

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Self:
        text = str(data.get("text") or "").strip()[:MAX_TEXT]
        if not text:
            raise GatewayError("text-empty", "A text message needs some text.")
        return cls(text)


@dataclass(frozen=True)
class AskSlots(Message):
    """The free pickup slots of the session's store: of ``date``, or of the next days."""

    TYPE: ClassVar[str] = "slots"
    date: date | None = field(default=None, metadata=OMIT)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Self:
        day = data.get("date")
        if not day:
            return cls()
        try:
            return cls(date.fromisoformat(day))
        except (ValueError, TypeError) as err:  # TypeError: not a string (123)
            raise GatewayError("date-invalid", "date must be YYYY-MM-DD") from err


@dataclass(frozen=True)
class SignIn(Message):
    """Kiosk: a loyalty number or a phone number; without ``pin`` the next line is the PIN."""

    TYPE: ClassVar[str] = "sign_in"
    loyalty_number: str | None = field(default=None, metadata=OMIT)
    phone: str | None = field(default=None, metadata=OMIT)
    pin: str | None = field(default=None, metadata=OMIT)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Self:
        given = [k for k in ("loyalty_number", "phone") if data.get(k)]
        if len(given) != 1:
            raise GatewayError("sign-in-invalid", "Give a loyalty number or a phone number.")
        pin = str(data["pin"]) if data.get("pin") else None
        return cls(**{given[0]: str(data[given[0]])}, pin=pin)

    def who(self) -> dict[str, str]:
        """The body of the commerce service's sign-in, without the PIN."""
        if self.loyalty_number:
            return {"loyalty_number": self.loyalty_number}
        return {"phone": self.phone or ""}


@dataclass(frozen=True)
class Guest(Message):
    TYPE: ClassVar[str] = "guest"


@dataclass(frozen=True)
class Confirm(Message):
    """The Confirm touch: an order at a kiosk is placed only by it."""

    TYPE: ClassVar[str] = "confirm"


@dataclass(frozen=True)
class Cancel(Message):
    TYPE: ClassVar[str] = "cancel"


@dataclass(frozen=True)
class SignOut(Message):
    TYPE: ClassVar[str] = "sign_out"


@dataclass(frozen=True)
class Ping(Message):
    TYPE: ClassVar[str] = "ping"


@dataclass(frozen=True)
class Mute(Message):
    """The microphone is muted (or unmuted): while muted no audio is sent, and whatever audio
    still arrives is dropped undecoded; an utterance in progress is dropped too."""

    TYPE: ClassVar[str] = "mute"
    muted: bool = True


@dataclass(frozen=True)
class Stopped(Message):
    """The device stopped playing the reply (a spoken "stop"): what the reply asked waits for
    the wake word again (no follow-up window)."""

    TYPE: ClassVar[str] = "stopped"


DeviceMessage: TypeAlias = (
    Hello
    | EndOfSpeech
    | Text
    | AskSlots
    | SignIn
    | Guest
    | Confirm
    | Cancel
    | SignOut
    | Ping
    | Mute
    | Stopped
)
KIOSK_ONLY = (SignIn, Guest, Confirm, Cancel, SignOut)


# -- from the gateway ---------------------------------------------------------------------
@dataclass(frozen=True)
class Ready(Message):
    """The answer to a good hello."""

    TYPE: ClassVar[str] = "ready"
    protocol: int
    session_id: str
    kind: Literal["home", "kiosk"]
    store_id: str
    store_name: str | None
    customer: CustomerView | None
    audio: AudioFormat


@dataclass(frozen=True)
class SpeechStarted(Message):
    TYPE: ClassVar[str] = "speech_started"


@dataclass(frozen=True)
class Partial(Message):
    """What is being heard so far (none while a PIN is expected)."""

    TYPE: ClassVar[str] = "partial"
    text: str


@dataclass(frozen=True)
class Transcript(Message):
    """What was heard or typed (a PIN shows as ``[PIN]``)."""

    TYPE: ClassVar[str] = "transcript"
    text: str


@dataclass(frozen=True)
class Intent(Message):
    TYPE: ClassVar[str] = "intent"
    name: str | None
    confidence: float | None


@dataclass(frozen=True)
class Reply(Message):
    """One reply of the turn; ``expect: "pin"`` when the next line is a PIN."""

    TYPE: ClassVar[str] = "reply"
    text: str | None
    response: str | None
    expect: Literal["pin"] | None = field(default=None, metadata=OMIT)


@dataclass(frozen=True)
class AudioStart(Message):
    """Reply audio follows in binary frames, in this format."""

    TYPE: ClassVar[str] = "audio_start"
    rate: int
    width: int
    channels: int


@dataclass(frozen=True)
class AudioEnd(Message):
    TYPE: ClassVar[str] = "audio_end"
    interrupted: bool


@dataclass(frozen=True)
class TurnDone(Message):
    """The turn is over: its timings, or that nothing was heard, or the error that ended it."""

    TYPE: ClassVar[str] = "turn_done"
    intent: str | None
    timings_ms: dict[str, float] | None = field(default=None, metadata=OMIT)
    nothing_heard: bool | None = field(default=None, metadata=OMIT)
    error: str | None = field(default=None, metadata=OMIT)


@dataclass(frozen=True)
class Basket(Message):
    TYPE: ClassVar[str] = "basket"
    items: list[BasketLine]
    item_count: int
    total: float


@dataclass(frozen=True)
class Slots(Message):
    """Free pickup slots of a day (at most 12)."""

    TYPE: ClassVar[str] = "slots"
    date: date
    slots: list[PickupSlot]


@dataclass(frozen=True)
class ConfirmNeeded(Message):
    TYPE: ClassVar[str] = "confirm_needed"


@dataclass(frozen=True)
class PinNeeded(Message):
    TYPE: ClassVar[str] = "pin_needed"


@dataclass(frozen=True)
class SignedIn(Message):
    TYPE: ClassVar[str] = "signed_in"
    customer: CustomerView


@dataclass(frozen=True)
class SignInFailed(Message):
    TYPE: ClassVar[str] = "sign_in_failed"
    code: str


@dataclass(frozen=True)
class SignedOut(Message):
    """The kiosk forgot its customer: ``goodbye``, ``idle``, ``button``, ``new-customer``, …"""

    TYPE: ClassVar[str] = "signed_out"
    reason: str


@dataclass(frozen=True)
class Error(Message):
    """A coded error; the fatal ones are followed by the socket's close."""

    TYPE: ClassVar[str] = "error"
    code: str
    message: str

    @classmethod
    def of(cls, err: Any) -> Error:
        """Of any coded error (``CODED_ERRORS``)."""
        return cls(err.code, err.message)


@dataclass(frozen=True)
class Pong(Message):
    TYPE: ClassVar[str] = "pong"


ListenReason: TypeAlias = Literal[
    "wake", "follow_up", "reply", "end_of_utterance", "window_closed", "muted"
]


@dataclass(frozen=True)
class Listening(Message):
    """A home device's listening indicator: on when the gateway heard the wake word
    (``wake``) or a question waits for its answer (``follow_up``: for ``window_s`` seconds of
    audio, no wake word needed); off when the utterance ended, no one spoke in time or the
    device muted. Audio that arrives while it is off is never decoded."""

    TYPE: ClassVar[str] = "listening"
    listening: bool
    reason: ListenReason
    window_s: float | None = field(default=None, metadata=OMIT)


@dataclass(frozen=True)
class Muted(Message):
    """The answer to ``mute``: whether the session now drops the device's audio."""

    TYPE: ClassVar[str] = "muted"
    muted: bool


GatewayMessage: TypeAlias = (
    Ready
    | SpeechStarted
    | Partial
    | Transcript
    | Intent
    | Reply
    | AudioStart
    | AudioEnd
    | TurnDone
    | Basket
    | Slots
    | ConfirmNeeded
    | PinNeeded
    | SignedIn
    | SignInFailed
    | SignedOut
    | Error
    | Pong
    | Listening
    | Muted
)

DEVICE_MESSAGES: dict[str, type[Message]] = {c.TYPE: c for c in typing.get_args(DeviceMessage)}
GATEWAY_MESSAGES: dict[str, type[Message]] = {c.TYPE: c for c in typing.get_args(GatewayMessage)}


# -- encoding -----------------------------------------------------------------------------
def to_wire(message: Message) -> dict[str, Any]:
    """The JSON object of ``message``."""
    return {"type": message.TYPE, **wire.plain(message)}


def encode(message: Message) -> str:
    return json.dumps(to_wire(message))


# -- decoding -----------------------------------------------------------------------------
def decode_hello(text: str) -> Hello:
    """The first frame of a connection (``hello-expected`` for anything but a hello)."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise hello_expected() from err
    if not isinstance(data, dict):
        raise hello_expected()
    return Hello.from_wire(data)


def decode_device(data: dict[str, Any]) -> DeviceMessage:
    """A device's message after the hello, from its JSON object (``parse_object``)."""
    kind = data.get("type")
    cls = DEVICE_MESSAGES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise GatewayError("message-unknown", f"unknown message type {kind!r}")
    return typing.cast(DeviceMessage, cls.from_wire(data))


def decode_gateway(text: str) -> GatewayMessage:
    """A gateway's message (what a device reads)."""
    data = parse_object(text)
    kind = data.get("type")
    cls = GATEWAY_MESSAGES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise GatewayError("message-unknown", f"unknown message type {kind!r}")
    return typing.cast(GatewayMessage, cls.from_wire(data))
