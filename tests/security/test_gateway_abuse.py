"""The voice gateway under abuse (issue 19, point 5): one device cannot take every place, kiosks
keep theirs, simultaneous hellos are admitted as the README says, a resume takes over cleanly,
a dialogue that is down is an apology and not silence, a device cannot send far ahead of real
time, and failed hellos are rate-limited per address. On the real stack (tests/stack.py)."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from assistant.channels.device import DeviceClient, DeviceError
from assistant.channels.gateway.admission import Gateway, HelloLimit
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.link import AHEAD_S, INBOX_SECONDS
from assistant.channels.gateway.server import create_app
from assistant.channels.gateway.session import UNAVAILABLE
from assistant.dialogue import RasaDialogue
from assistant.services import free_port
from audio import formats
from tests.stack import GatewayServer, Shop, serving

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def own_gateway(
    gateway: GatewayServer, rasa_url: str | None = None, **options: Any
) -> Iterator[GatewayServer]:
    """A gateway of its own (its limits, its Rasa) on the test stack's speech engines."""
    s = gateway.settings
    directory = DeviceDirectory(s.commerce.base_url)
    dialogue = RasaDialogue(
        rasa_url or s.dialogue.rasa_url,
        s.dialogue.auth_token or "",
        30,
        action_url=s.dialogue.action_url,
        action_token=s.dialogue.action_token,
    )
    gw = Gateway(s, directory, dialogue, gateway.gateway.speech, **options)
    port = free_port()
    try:
        with serving(create_app(gw), port, ws_per_message_deflate=False):
            yield GatewayServer(
                f"ws://127.0.0.1:{port}/v1/stream", f"http://127.0.0.1:{port}", gw, s
            )
    finally:
        gw.close()  # the speech engines are the stack's: they stay
        dialogue.close()
        directory.close()


def refused(url: str, token: str) -> str:
    """The error code a device is refused with (fails if it is admitted)."""
    with pytest.raises(DeviceError) as err:
        DeviceClient(url, token).close()
    return err.value.code


def wait_for(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the gateway did not get there in time"
        time.sleep(0.05)


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("type") == kind]


def test_one_device_token_cannot_take_every_place_and_kiosks_keep_theirs(
    gateway: GatewayServer,
) -> None:
    with own_gateway(gateway, max_sessions=6, kiosk_seats=2, max_per_device=2) as gw:
        greedy = gateway.add_device(home="grace")
        clients = [DeviceClient(gw.url, greedy) for _ in range(2)]
        try:
            assert refused(gw.url, greedy) == "device-busy", "a third session of one token"
            other = gateway.add_device(home="heidi")
            clients += [DeviceClient(gw.url, other) for _ in range(2)]
            assert len(gw.gateway.sessions) == 4
            assert refused(gw.url, gateway.add_device(home="dave")) == "gateway-full", (
                "the last two places are the kiosks'"
            )
            kiosks = [gateway.add_device(kiosk="riverside") for _ in range(2)]
            clients += [DeviceClient(gw.url, k) for k in kiosks]
            assert [c.ready.kind for c in clients[-2:]] == ["kiosk", "kiosk"]
            assert refused(gw.url, gateway.add_device(kiosk="riverside")) == "gateway-full"
        finally:
            for client in clients:
                client.close()


def test_simultaneous_hellos_on_a_full_gateway_admit_everyone_the_readme_says(
    gateway: GatewayServer, shop: Shop
) -> None:
    """A full gateway of sessions whose devices are gone makes room for every new device, and
    never more than its places, however many say hello at the same instant."""
    places = 10
    before = live_tokens(shop, "grace")  # other tests' sessions may hold some of grace's
    with own_gateway(gateway, max_sessions=places, kiosk_seats=0) as gw:
        gone = [DeviceClient(gw.url, gateway.add_device(home="grace")) for _ in range(places)]
        for client in gone:
            client.close()
        wait_for(lambda: len(gw.gateway._detached_at) == places)
        tokens = [gateway.add_device(home="heidi") for _ in range(places)]
        start = threading.Barrier(places)
        admitted: list[DeviceClient] = []
        failures: list[str] = []

        def hello(token: str) -> None:
            start.wait()
            try:
                admitted.append(DeviceClient(gw.url, token))
            except Exception as err:  # every refusal is the finding
                failures.append(f"{type(err).__name__}: {err}")

        threads = [threading.Thread(target=hello, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        try:
            assert not failures, failures
            assert len(admitted) == places
            assert len(gw.gateway.sessions) == places, "never more sessions than places"
            assert not gw.gateway._detached_at, "every gone device's session made room"
            assert refused(gw.url, gateway.add_device(home="dave")) == "gateway-full"
        finally:
            for client in admitted:
                client.close()
    wait_for(lambda: live_tokens(shop, "grace") <= before)  # the evicted sessions' went


def live_tokens(shop: Shop, handle: str) -> int:
    return int(
        shop.scalar(
            "SELECT count(*) FROM api_tokens t JOIN customers c ON c.id = t.customer_id "
            "WHERE c.handle = :h AND t.device_id IS NOT NULL AND t.revoked_at IS NULL "
            "AND t.expires_at > CURRENT_TIMESTAMP",
            h=handle,
        )
    )


def until_closed(client: DeviceClient) -> list[dict[str, Any]]:
    """The events a client gets until the gateway closes it (fails if it stays open)."""
    told: list[dict[str, Any]] = []
    try:
        while (event := client.next_event(30)) is not None:
            told.append(event)
    except DeviceError:
        return told
    raise AssertionError(f"the connection stayed open: {told}")


def test_a_resume_while_the_old_connection_is_open_takes_the_session_over(
    gateway: GatewayServer,
) -> None:
    token = gateway.add_device(home="heidi")
    old = DeviceClient(gateway.url, token)
    new: DeviceClient | None = None
    try:
        old.send_control({"type": "text", "text": "find oat milk"})
        menu = list(old.events_until_turn_done())
        assert of_type(menu, "reply")[0]["response"] == "utter_product_choices"
        new = DeviceClient(gateway.url, token, resume=old.session_id)
        assert new.session_id == old.session_id
        told = until_closed(old)  # the gateway closes the old socket
        assert told, "the old connection was told why"
        assert told[-1]["code"] == "session-resumed", told
        new.send_control({"type": "text", "text": "the second one"})
        chosen = list(new.events_until_turn_done())
        assert of_type(chosen, "reply")[0]["response"] == "utter_chosen_product", chosen
        assert chosen[-1]["type"] == "turn_done"
        assert old.session_id not in gateway.gateway._detached_at, "the session is connected"
    finally:
        old.close()
        if new is not None:
            new.close()
        gateway.end_sessions([old.session_id])


def test_rasa_down_is_a_spoken_apology_and_the_turn_ends(gateway: GatewayServer) -> None:
    with own_gateway(gateway, rasa_url=f"http://127.0.0.1:{free_port()}") as gw:
        client = DeviceClient(gw.url, gateway.add_device(home="grace"))
        try:
            client.send_control({"type": "text", "text": "add a dozen eggs"})
            events = list(client.events_until_turn_done())
        finally:
            client.close()
    assert not of_type(events, "error"), events
    assert [r["response"] for r in of_type(events, "reply")] == [UNAVAILABLE]
    assert client.reply_audio() is not None, "the apology is spoken"
    assert events[-1]["type"] == "turn_done"
    assert "Errno" not in json.dumps(events), "no exception text reaches the device"


class _RasaWithoutActions(http.server.BaseHTTPRequestHandler):
    """Rasa as it answers when its action server is down: the action fails inside Rasa
    (rasa/core/processor.py logs it and drops its events), so the turn has no bot message."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        intent = {"name": "add_to_basket", "confidence": 0.97}
        if self.path.startswith("/webhooks/turn"):  # the turn: understood, and no reply
            self._json({"intent": intent, "entities": [], "replies": []})
        else:  # /model/parse
            self._json({"text": "", "intent": intent, "entities": []})

    def _json(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_action_server_down_is_a_spoken_apology_not_silence(gateway: GatewayServer) -> None:
    rasa = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RasaWithoutActions)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{rasa.server_address[1]}"
        with own_gateway(gateway, rasa_url=url) as gw:
            client = DeviceClient(gw.url, gateway.add_device(kiosk="riverside"))
            try:
                client.send_control({"type": "guest"})
                while (signed := client.next_event(30)) and signed["type"] != "signed_in":
                    pass
                assert signed is not None, "the guest is signed in"
                client.send_control({"type": "text", "text": "add a dozen eggs"})
                events = [
                    e
                    for e in client.events_until_turn_done()
                    if e["type"] not in ("signed_in", "signed_out", "basket")
                ]
            finally:
                client.close()
    finally:
        rasa.shutdown()
        rasa.server_close()
    assert [r["response"] for r in of_type(events, "reply")] == [UNAVAILABLE], events
    assert client.reply_audio() is not None, "the apology is spoken"
    assert events[-1]["type"] == "turn_done"


def test_a_device_sending_600_s_of_audio_at_once_is_held_to_real_time(
    gateway: GatewayServer,
) -> None:
    """The issue's device sent 600 s of audio in 40 s and the gateway took it all. Now the
    gateway takes at most AHEAD_S ahead of real time (its socket unread meanwhile), and the
    session's inbox never holds more than INBOX_SECONDS."""
    client = DeviceClient(gateway.url, gateway.add_device(home="grace"))
    session = gateway.gateway.sessions[client.session_id]
    second = formats.silence(1000).data
    sent = threading.Event()
    stopped: list[BaseException] = []

    def flood() -> None:
        try:
            for _ in range(600):
                client.ws.send(second)
            sent.set()
        except Exception as err:  # the connection is closed under it at the end
            stopped.append(err)

    started = time.monotonic()
    threading.Thread(target=flood, daemon=True).start()
    most_waiting = 0.0
    try:
        while time.monotonic() - started < 8:
            most_waiting = max(most_waiting, session.inbox.audio_s)
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        taken = session.audio_received_s
        died = list(stopped)  # before the close below
    finally:
        client.close()
    assert not sent.is_set(), "the device was not slowed: it sent 600 s in 8 s"
    assert not died, "the connection stayed open while the device waited"
    assert taken <= AHEAD_S + elapsed + 2, (taken, elapsed)
    assert most_waiting <= INBOX_SECONDS
    gateway.end_sessions([client.session_id])


def test_failed_hellos_from_one_address_are_rate_limited(gateway: GatewayServer) -> None:
    with own_gateway(gateway, hello_limit=HelloLimit(limit=3, window_s=60)) as gw:
        good = gateway.add_device(home="grace")
        with contextlib.closing(DeviceClient(gw.url, good)) as before:
            assert before.session_id
            for _ in range(3):
                assert refused(gw.url, "dev_guessed") == "auth-invalid"
            assert refused(gw.url, good) == "rate-limited", "even a good token, unchecked"
            with connect(gw.url) as ws:
                ws.send(json.dumps({"type": "hello", "token": good}))
                error = json.loads(ws.recv(timeout=30))
                assert "try again" in error["message"]
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4429
            before.send_control({"type": "ping"})
            assert before.next_event(30) == {"type": "pong"}, "a connected device goes on"
