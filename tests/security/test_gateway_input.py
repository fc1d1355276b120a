"""Odd input to the voice gateway is an error message, never a dead session or a 500."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from assistant.channels.device import DeviceClient
from tests.stack import GatewayServer


@pytest.mark.slow
def test_a_slots_date_that_is_not_a_string_is_an_error_and_the_session_goes_on(
    gateway: GatewayServer,
) -> None:
    client = DeviceClient(gateway.url, gateway.add_device(home="grace"))
    try:
        for date in (123, ["2026-12-08"], {"day": 8}):
            client.send_control({"type": "slots", "date": date})
            error = client.next_event(30)
            assert error is not None
            assert (error["type"], error["code"]) == ("error", "date-invalid"), error
        client.send_control({"type": "ping"})
        assert client.next_event(30) == {"type": "pong"}
    finally:
        client.close()


@pytest.mark.slow
@pytest.mark.parametrize("audio", ["pcm", 16000, ["pcm"]])
def test_a_hello_with_an_odd_audio_value_is_refused_by_name(
    gateway: GatewayServer, audio: object
) -> None:
    token = gateway.add_device(home="grace")
    with connect(gateway.url) as ws:
        ws.send(json.dumps({"type": "hello", "token": token, "audio": audio}))
        error = json.loads(ws.recv(timeout=30))
        assert (error["type"], error["code"]) == ("error", "audio-format")
        assert "16000" in error["message"]
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400


@pytest.mark.slow
def test_a_kiosk_asset_name_with_a_nul_byte_is_not_found(gateway: GatewayServer) -> None:
    for name in ("index.html%00.js", "%00", "kiosk.js%00"):
        answer = httpx.get(f"{gateway.http}/kiosk/{name}", timeout=30)
        assert answer.status_code == 404, (name, answer.status_code)
        assert answer.json()["error"]["code"] == "not-found"
    assert httpx.get(f"{gateway.http}/kiosk/index.html", timeout=30).status_code == 200
