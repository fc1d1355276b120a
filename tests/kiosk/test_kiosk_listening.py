"""The kiosk page's listening indicator follows the gateway's ``listening`` messages (a
stand-in gateway in Chromium that speaks the protocol's schema, checked both ways)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.gateway.schema import off_protocol

READY = {
    "type": "ready",
    "protocol": 1,
    "session_id": "s1",
    "kind": "kiosk",
    "store_id": "riverside",
    "store_name": "Riverside",
    "customer": None,
    "audio": {"rate": 16000, "width": 2, "channels": 1},
}


def test_the_indicator_shows_listening_and_not_listening_as_the_gateway_says(
    browser: Any, kiosk_files: str
) -> None:
    page = browser.new_page()
    sockets: list[Any] = []
    told: list[dict[str, Any]] = [READY]
    sent: list[dict[str, Any]] = []

    def gateway(ws: Any) -> None:
        sockets.append(ws)

        def answer(message: str | bytes) -> None:
            if isinstance(message, str):
                sent.append(json.loads(message))
            ws.send(json.dumps(READY))

        ws.on_message(answer)

    page.route_web_socket(re.compile(r".*/v1/stream$"), gateway)
    page.goto(f"{kiosk_files}/#token=dev_stand_in")
    page.wait_for_function("document.getElementById('connection').textContent === 'Ready'")

    def shown() -> tuple[str | None, str]:
        return page.get_attribute("#listening", "data-on"), page.inner_text("#listening")

    assert shown() == ("false", "○ Not listening")
    seen = []
    for message in (
        {"type": "listening", "listening": True, "reason": "wake", "window_s": 6.0},
        {"type": "listening", "listening": False, "reason": "end_of_utterance"},
        {"type": "listening", "listening": True, "reason": "follow_up", "window_s": 6.0},
        {"type": "listening", "listening": False, "reason": "window_closed"},
    ):
        told.append(message)
        sockets[-1].send(json.dumps(message))
        on = "true" if message["listening"] else "false"
        page.wait_for_function(f"document.getElementById('listening').dataset.on === '{on}'")
        seen.append(shown())
    assert seen == [
        ("true", "● Listening"),
        ("false", "○ Not listening"),
        ("true", "● Listening for your answer"),
        ("false", "○ Not listening"),
    ]
    assert not off_protocol("GatewayMessage", told)
    assert not off_protocol("DeviceMessage", sent)
