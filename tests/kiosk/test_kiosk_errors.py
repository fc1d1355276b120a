"""The kiosk page shows a friendly line for every error the gateway sends, never the error's
own message (which may be an exception's text), against a stand-in gateway in Chromium that
speaks the protocol's schema (checked both ways)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.gateway.schema import off_protocol

RAW = "Rasa did not answer: [Errno 111] Connection refused Traceback KeyError"
CODES = [
    "rasa-unreachable",
    "rasa-error",
    "service-unavailable",
    "stt-failed",
    "tts-failed",
    "session-failed",
    "sign-in-invalid",
    "text-empty",
    "kiosk-only",
    "date-invalid",
    "malformed-json",
    "message-unknown",
    "rate-limited",
    "a-code-from-a-newer-gateway",
]


def test_every_error_code_is_a_friendly_line_without_the_raw_message(
    browser: Any, kiosk_files: str
) -> None:
    page = browser.new_page()
    sockets: list[Any] = []
    sent: list[dict[str, Any]] = []  # what the page sent
    told: list[dict[str, Any]] = []  # what the stand-in sent it

    def gateway(ws: Any) -> None:  # answers the hello as the real gateway does
        sockets.append(ws)
        ready = {
            "type": "ready",
            "protocol": 1,
            "session_id": f"s{len(sockets)}",
            "kind": "kiosk",
            "store_id": "riverside",
            "store_name": "Riverside",
            "customer": None,
            "audio": {"rate": 16000, "width": 2, "channels": 1},
        }

        def answer(message: str | bytes) -> None:
            if isinstance(message, str):
                sent.append(json.loads(message))
            told.append(ready)
            ws.send(json.dumps(ready))

        ws.on_message(answer)

    page.route_web_socket(re.compile(r".*/v1/stream$"), gateway)
    page.goto(f"{kiosk_files}/#token=dev_stand_in")
    page.wait_for_function("document.getElementById('connection').textContent === 'Ready'")
    shown: dict[str, str] = {}
    for code in CODES:
        told.append({"type": "error", "code": code, "message": RAW})
        sockets[-1].send(json.dumps(told[-1]))
        page.wait_for_function("!document.getElementById('alert').hidden")
        shown[code] = page.inner_text("#alert")
        page.evaluate("document.getElementById('alert').hidden = true")
        if code == "session-failed":  # the page starts a new session: wait until it is ready
            page.wait_for_function(
                "document.getElementById('connection').textContent === 'Ready'", timeout=30_000
            )
    for code, text in shown.items():
        assert text.strip(), code
        assert "Errno" not in text, (code, text)
        assert "Rasa" not in text, (code, text)
        assert RAW not in text, (code, text)
    assert shown["a-code-from-a-newer-gateway"] == "Sorry, something went wrong. Please try again."
    assert [m["type"] for m in sent] == ["hello", "hello"]  # again after session-failed
    assert not off_protocol("DeviceMessage", sent)
    assert not off_protocol("GatewayMessage", told)
    assert shown["rasa-unreachable"] != shown["a-code-from-a-newer-gateway"]
