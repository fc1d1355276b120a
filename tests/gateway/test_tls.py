"""The gateway over https / wss: what a kiosk page on the shop's network needs (browsers give a
page the microphone only over https or on localhost)."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.channels.device import DeviceClient, DeviceError
from assistant.channels.gateway.server import Tls, create_app
from assistant.errors import ConfigError
from assistant.services import free_port
from tests.stack import GatewayServer, Shop, serving


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    """A self-signed certificate for 127.0.0.1, as a shop would make for its kiosk network."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "gateway.pem", folder / "gateway.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    tls = Tls.from_args(cert, key)
    assert tls is not None
    return tls


@pytest.fixture(scope="module")
def secure_port(gateway: GatewayServer, certificate: Tls) -> Iterator[int]:
    """The test stack's gateway served a second time, with TLS, as `serve --tls-cert` does."""
    port = free_port()
    tls = {"ssl_certfile": str(certificate.cert), "ssl_keyfile": str(certificate.key)}
    with serving(create_app(gateway.gateway), port, **tls):
        yield port


def test_the_kiosk_page_and_a_device_over_tls(
    gateway: GatewayServer, shop: Shop, certificate: Tls, secure_port: int
) -> None:
    trust = ssl.create_default_context(cafile=str(certificate.cert))
    page = httpx.get(f"https://127.0.0.1:{secure_port}/", verify=trust)
    assert page.status_code == 200
    assert "kiosk.js" in page.text

    token = gateway.add_device(home="judy")
    client = DeviceClient(f"wss://127.0.0.1:{secure_port}/v1/stream", token, ca=certificate.cert)
    try:
        assert client.ready.customer is not None
        assert client.ready.customer.handle == "judy"
        client.send_control({"type": "text", "text": "what is in my basket"})
        events = list(client.events_until_turn_done())
        replies = [e for e in events if e.get("type") == "reply"]
        assert replies
        assert replies[0]["response"] in ("utter_basket_contents", "utter_basket_empty")
    finally:
        client.close()
        gateway.end_sessions([client.session_id])


def test_an_untrusted_certificate_is_refused_by_the_device(
    gateway: GatewayServer, secure_port: int
) -> None:
    token = gateway.add_device(home="judy")
    with pytest.raises(DeviceError) as refused:
        DeviceClient(f"wss://127.0.0.1:{secure_port}/v1/stream", token)
    assert refused.value.code == "gateway-unreachable"


def test_tls_needs_both_a_certificate_and_its_key(certificate: Tls, tmp_path: Path) -> None:
    assert Tls.from_args(None, None) is None
    with pytest.raises(ConfigError):
        Tls.from_args(certificate.cert, None)
    with pytest.raises(ConfigError) as missing:
        Tls.from_args(tmp_path / "no.pem", certificate.key)
    assert "no.pem" in missing.value.message
