"""What the gateway protocol's messages are made of (``protocol.py`` builds on it): the message
base class, the parts several messages share (a pickup slot is the commerce service's
``shapes.commerce.Slot``), the coded error a device is sent when it breaks
the protocol, and a text frame's JSON object. ``protocol.py`` re-exports them: devices and the
gateway import that module only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from assistant.channels import wire
from assistant.errors import AssistantError
from audio.base import CHANNELS, RATE, WIDTH
from shapes.commerce import Slot


class GatewayError(AssistantError):
    """A device did something the protocol does not allow (codes are sent to it)."""

    def __init__(self, code: str, message: str, close: int | None = None) -> None:
        super().__init__(code, message)
        self.close = close  # WebSocket close code when the connection must end


# -- parts of messages --------------------------------------------------------------------
@dataclass(frozen=True)
class AudioFormat:
    rate: int = RATE
    width: int = WIDTH  # bytes per sample
    channels: int = CHANNELS


@dataclass(frozen=True)
class CustomerView:
    handle: str
    name: str


@dataclass(frozen=True)
class BasketLine:
    sku: str
    name: str
    quantity: int
    line_total: float


# A pickup slot as the commerce service lists it: the service's own shape.
PickupSlot = Slot


class Message:
    """A JSON text frame: ``{"type": TYPE, **fields}``."""

    TYPE: ClassVar[str]

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Self:
        """From a decoded JSON object; every field checked against its type."""
        try:
            return wire.build(cls, data, f"a {cls.TYPE!r} message")
        except wire.WireError as err:
            raise GatewayError("message-invalid", str(err)) from err


def parse_object(text: str) -> dict[str, Any]:
    """A text frame's JSON object, or ``malformed-json``."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GatewayError("malformed-json", "Send JSON objects.")
    return data


def hello_expected() -> GatewayError:
    return GatewayError("hello-expected", "First send {type: hello, token: ...}.", 4400)
