"""The voice gateway with real devices' traffic: the real stack, real speech engines, real TTS.

Every outcome is read back: the basket in the commerce database, the events each device got.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from assistant.channels import protocol as p
from assistant.channels.device import WAKE_LEAD_S, DeviceClient, DeviceError, MicrophoneStream
from assistant.voice import paced
from audio import formats, synthetic
from audio.base import AudioChunk
from audio.wakeword import MicroWakeWordDetector, WakeGate
from tests.stack import GatewayServer, Shop, pickup_day

# "tomorrow", unless every store is closed tomorrow (Christmas Day)
DAY = pickup_day()

VOICE = "kal"  # a festival voice: the recogniser hears it best


def speech(text: str, tmp: Path) -> AudioChunk:
    """``text`` spoken, then the pause that ends an utterance."""
    spoken = synthetic.synthesize(text, voice=VOICE, cache=tmp)
    return formats.join([formats.silence(300), spoken, formats.silence(900)])


def turn(client: DeviceClient, **message: Any) -> list[dict[str, Any]]:
    client.send_control(message)
    return list(client.events_until_turn_done())


def spoken_turn(client: DeviceClient, audio: AudioChunk) -> list[dict[str, Any]]:
    client.send_audio(audio, real_time=True)
    client.send_control({"type": "end_of_speech"})
    return list(client.events_until_turn_done())


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("type") == kind]


def added_names(shop: Shop, who: str, had: dict[str, int]) -> list[str]:
    """The names of the lines of ``who``'s basket that grew since ``had`` (sku -> quantity)."""
    items = shop.basket(who)["items"]
    return [i["name"].lower() for i in items if i["quantity"] > had.get(i["sku"], 0)]


def test_two_devices_hold_two_independent_conversations_at_once(
    gateway: GatewayServer, shop: Shop, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cache = tmp_path_factory.mktemp("speech")
    milk = speech("okay nabu, add two litres of milk", cache)  # a home device: its wake word
    tokens = {"grace": gateway.add_device(home="grace"), "heidi": gateway.add_device(home="heidi")}
    before = {who: shop.basket(who)["item_count"] for who in tokens}
    # the session's shop is shared: other tests may have left things in these baskets
    had = {who: shop.lines(who) for who in tokens}
    results: dict[str, list[dict[str, Any]]] = {}
    failures: list[BaseException] = []

    def grace() -> None:
        client = DeviceClient(gateway.url, tokens["grace"])
        try:
            events = spoken_turn(client, milk)
            assert client.reply_audio() is not None, "the reply was spoken"
            if of_type(events, "reply")[0]["response"] == "utter_product_choices":
                events += turn(client, type="text", text="the first one")  # whole or skimmed?
            results["grace"] = events
        except BaseException as err:
            failures.append(err)
        finally:
            client.close()

    def heidi() -> None:
        client = DeviceClient(gateway.url, tokens["heidi"])
        try:
            events = turn(client, type="text", text="add a dozen eggs")
            if of_type(events, "reply")[0]["response"] == "utter_product_choices":
                events += turn(client, type="text", text="the first one")
            results["heidi"] = events
        except BaseException as err:
            failures.append(err)
        finally:
            client.close()

    threads = [threading.Thread(target=grace), threading.Thread(target=heidi)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not failures, failures
    grace_heard = " ".join(e["text"] for e in of_type(results["grace"], "transcript"))
    assert "milk" in grace_heard
    assert of_type(results["grace"], "intent")[0]["name"] == "add_to_basket"
    grace_basket = added_names(shop, "grace", had["grace"])
    heidi_basket = added_names(shop, "heidi", had["heidi"])
    grace_replies = [(e["response"], e["text"]) for e in of_type(results["grace"], "reply")]
    assert shop.basket("grace")["item_count"] > before["grace"], (grace_heard, grace_replies)
    assert shop.basket("heidi")["item_count"] > before["heidi"]
    assert any("milk" in n for n in grace_basket)
    assert not any("egg" in n for n in grace_basket)
    assert any("egg" in n for n in heidi_basket)
    assert not any("milk" in n for n in heidi_basket)
    heidi_said = json.dumps(results["heidi"])
    assert "milk" not in heidi_said, "nothing of grace's session reached heidi's device"


@pytest.mark.parametrize(
    ("first", "code", "close"),
    [
        (json.dumps({"type": "hello", "token": "dev_not-a-real-token"}), "auth-invalid", 4401),
        (b"\x00\x00" * 800, "hello-expected", 4400),
    ],
    ids=["a bad token", "audio before hello"],
)
def test_a_device_that_opens_wrongly_is_told_why_and_closed(
    gateway: GatewayServer, first: str | bytes, code: str, close: int
) -> None:
    with connect(gateway.url) as ws:
        ws.send(first)
        error = json.loads(ws.recv(timeout=30))
        assert error["type"] == "error"
        assert error["code"] == code
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == close


def test_a_wrong_audio_format_is_named_and_refused(gateway: GatewayServer) -> None:
    token = gateway.add_device(home="grace")
    with connect(gateway.url) as ws:
        hello = {
            "type": "hello",
            "token": token,
            "audio": {"rate": 44100, "width": 2, "channels": 2},
        }
        ws.send(json.dumps(hello))
        error = json.loads(ws.recv(timeout=30))
        assert error["code"] == "audio-format"
        assert "16000" in error["message"]
        assert "44100" in error["message"]


def test_malformed_messages_get_errors_and_the_session_goes_on(gateway: GatewayServer) -> None:
    client = DeviceClient(gateway.url, gateway.add_device(home="grace"))
    try:
        client.ws.send("{not json")
        assert client.next_event(30) == {
            "type": "error",
            "code": "malformed-json",
            "message": "Send JSON objects.",
        }
        client.send_control({"type": "launch_rockets"})
        assert client.next_event(30)["code"] == "message-unknown"  # type: ignore[index]
        client.send_control({"type": "ping"})
        assert client.next_event(30) == {"type": "pong"}
        client.ws.send(b"\x00" * 3)  # half a sample: not 16-bit PCM
        error = client.next_event(30)
        assert error is not None
        assert error["code"] == "frame-invalid"
    finally:
        client.close()


def test_a_reconnect_resumes_the_conversation(gateway: GatewayServer) -> None:
    token = gateway.add_device(home="heidi")
    first = DeviceClient(gateway.url, token)
    menu = turn(first, type="text", text="find oat milk")
    assert of_type(menu, "reply")[0]["response"] == "utter_product_choices"
    session_id = first.session_id
    first.close()  # the device drops off mid-conversation

    again = DeviceClient(gateway.url, token, resume=session_id)
    try:
        assert again.session_id == session_id
        chosen = turn(again, type="text", text="the second one")
        assert of_type(chosen, "reply")[0]["response"] == "utter_chosen_product"
    finally:
        again.close()


def test_a_session_is_not_resumed_by_another_device(gateway: GatewayServer) -> None:
    owner = DeviceClient(gateway.url, gateway.add_device(home="grace"))
    session_id = owner.session_id
    owner.close()
    other = DeviceClient(gateway.url, gateway.add_device(home="heidi"), resume=session_id)
    try:
        assert other.session_id != session_id
        assert other.ready.customer is not None
        assert other.ready.customer.handle == "heidi"
    finally:
        other.close()


def wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError("the gateway did not get there in time")


def live_device_tokens(shop: Shop, handle: str) -> int:
    return int(
        shop.scalar(
            "SELECT count(*) FROM api_tokens t JOIN customers c ON c.id = t.customer_id "
            "WHERE c.handle = :h AND t.device_id IS NOT NULL AND t.revoked_at IS NULL",
            h=handle,
        )
    )


def test_a_full_gateway_gives_a_gone_devices_place_to_a_new_one(
    gateway: GatewayServer, shop: Shop
) -> None:
    """Sessions waiting for their device to reconnect do not keep connected devices out; a
    session that ends takes its customer token with it."""
    gw = gateway.gateway
    for session_id in list(gw._detached_at):  # leftovers of earlier tests
        gw._end_detached(session_id)
    limit, seats = gw.max_sessions, gw.kiosk_seats
    # earlier tests' tokens that are still valid (another gateway process's, say) stay so
    before = {h: live_device_tokens(shop, h) for h in ("grace", "heidi", "dave", "erin")}
    first = DeviceClient(gateway.url, gateway.add_device(home="grace"))
    second = DeviceClient(gateway.url, gateway.add_device(home="heidi"))
    clients = [second]
    opened = [first.session_id, second.session_id]
    try:
        gw.max_sessions, gw.kiosk_seats = len(gw.sessions), 0  # full, no place kept for kiosks
        gone = first.session_id
        first.close()  # grace's speaker drops off
        wait_for(lambda: gone in gw._detached_at)

        third = DeviceClient(gateway.url, gateway.add_device(home="dave"))
        clients.append(third)
        opened.append(third.session_id)
        assert third.ready.customer is not None
        assert third.ready.customer.handle == "dave"
        assert gone not in gw.sessions, "the session that waited longest made room"

        evicted = live_device_tokens(shop, "grace")
        assert evicted == before["grace"], "the evicted session's token is revoked"
        with pytest.raises(DeviceError) as refused:  # full of connected devices: refused
            clients.append(DeviceClient(gateway.url, gateway.add_device(home="erin")))
        assert refused.value.code == "gateway-full"
        kept = live_device_tokens(shop, "erin")
        assert kept == before["erin"], "a refused device keeps no token"
    finally:
        gw.max_sessions, gw.kiosk_seats = limit, seats
        for client in clients:
            client.close()
        gateway.end_sessions(opened)
    assert live_device_tokens(shop, "heidi") == before["heidi"]
    assert live_device_tokens(shop, "dave") == before["dave"]


# --- a home device's wake word -----------------------------------------------------------------


def basket_count(shop: Shop, who: str) -> int:
    return int(shop.basket(who)["item_count"])


def test_a_home_device_heard_without_its_wake_word_is_never_decoded_and_never_acts(
    gateway: GatewayServer, shop: Shop, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A television in the room: commands, a yes, a checkout, all without the wake word."""
    cache = tmp_path_factory.mktemp("speech")
    tv = formats.join(
        [
            speech(text, cache)
            for text in (
                "add a dozen eggs to my basket",
                "yes please",
                "checkout and place my order",
                "tonight on channel four, the news and then the weather",
                "add two litres of milk",
            )
        ]
    )
    before = basket_count(shop, "dave")
    client = DeviceClient(gateway.url, gateway.add_device(home="dave"))
    try:
        session = gateway.gateway.sessions[client.session_id]
        client.send_audio(tv, real_time=False)
        client.send_control({"type": "end_of_speech"})
        events = list(client.events_until_turn_done())
        assert events == [{"type": "turn_done", "intent": None, "nothing_heard": True}]
        assert session.audio_received_s == pytest.approx(tv.duration_s, abs=0.1)  # all came
        assert session.turns == []  # nothing reached the dialogue
    finally:
        client.close()
    assert basket_count(shop, "dave") == before


def test_the_device_sends_nothing_before_its_wake_word_and_nothing_while_muted(
    gateway: GatewayServer, shop: Shop, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The reference device's microphone, fed in real time: the room's talk never leaves
    it; the wake word and the command said with it do, and the gateway acts on them."""
    cache = tmp_path_factory.mktemp("speech")
    room = speech("the weather tomorrow will be cold and wet", cache)
    command = speech("okay nabu, add a dozen eggs", cache)
    before = basket_count(shop, "erin")
    client = DeviceClient(gateway.url, gateway.add_device(home="erin"))
    mic = MicrophoneStream(client, WakeGate(MicroWakeWordDetector(), preroll_s=WAKE_LEAD_S))
    try:
        events = hear(client, mic, formats.join([room, command]))
        listening = [(e["listening"], e["reason"]) for e in of_type(events, "listening")]
        assert listening[:2] == [(True, "wake"), (False, "end_of_utterance")]
        heard = " ".join(e["text"] for e in of_type(events, "transcript")).lower()
        assert "egg" in heard, events
        assert "weather" not in heard
        assert mic.sent_s < WAKE_LEAD_S + command.duration_s + 0.5  # the room never left
        if of_type(events, "reply")[0]["response"] == "utter_product_choices":
            events += turn(client, type="text", text="the first one")
        assert basket_count(shop, "erin") > before

        sent, count = mic.sent_s, basket_count(shop, "erin")
        mic.mute(True)
        answer = [client.next_event(30)]
        while len(answer) < 4 and answer[-1] != {"type": "muted", "muted": True}:
            answer.append(client.next_event(30))  # after a follow-up window's indicator
        assert answer[-1] == {"type": "muted", "muted": True}, answer
        assert hear(client, mic, command, until=None) == []
        assert mic.sent_s == sent  # muted: nothing left the device
        assert basket_count(shop, "erin") == count
    finally:
        client.close()


def hear(
    client: DeviceClient,
    mic: MicrophoneStream,
    audio: AudioChunk,
    until: str | None = "turn_done",
) -> list[dict[str, Any]]:
    """Feed the device's microphone in real time while it follows the gateway's messages;
    the messages, through ``until`` (or all that came while feeding and 3 s after)."""

    def feed() -> None:
        for chunk in paced(formats.split(audio, 20)):
            mic.feed(chunk)

    fed = threading.Thread(target=feed)
    fed.start()
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + audio.duration_s + 60
    try:
        while time.monotonic() < deadline:
            message = client.next_message(timeout_s=3 if not fed.is_alive() else 0.5)
            if message is None:
                if fed.is_alive() or until is not None:
                    continue
                break
            mic.heard(message)
            events.append(p.to_wire(message))
            if until is not None and until == message.TYPE:
                break
    finally:
        fed.join()
    return events
