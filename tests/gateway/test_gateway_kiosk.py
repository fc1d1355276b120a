"""A kiosk on the voice gateway with the real stack: signing in by voice, the Confirm button
an order needs, forgetting an idle customer (the rest of the gateway: ``test_gateway.py``)."""

from __future__ import annotations

import json

import pytest

from assistant.channels.device import DeviceClient, DeviceError
from audio.base import AudioChunk
from tests.gateway.test_gateway import DAY, of_type, turn
from tests.stack import GatewayServer, Shop


def loyalty_number(shop: Shop, handle: str) -> str:
    return str(shop.scalar("SELECT loyalty_number FROM customers WHERE handle = :h", h=handle))


def live_kiosk_tokens(shop: Shop, handle: str) -> int:
    """``handle``'s sign-ins at kiosks not revoked (their home devices' tokens, which other
    tests on the shared stack may have left, do not count)."""
    return int(
        shop.scalar(
            "SELECT count(*) FROM api_tokens t JOIN customers c ON c.id = t.customer_id "
            "JOIN devices d ON d.id = t.device_id "
            "WHERE c.handle = :h AND d.kind = 'kiosk' AND t.revoked_at IS NULL",
            h=handle,
        )
    )


def forgotten(kiosk: DeviceClient, shop: Shop, handle: str, why: str) -> None:
    """The kiosk signed ``handle`` out: their token revoked (``why``), and the next question
    needs a sign-in."""
    assert live_kiosk_tokens(shop, handle) == 0, why
    again = turn(kiosk, type="text", text="what's in my basket")
    assert of_type(again, "error")[0]["code"] == "sign-in-needed"


def test_kiosk_sign_in_pin_by_voice_basket_and_goodbye(gateway: GatewayServer, shop: Shop) -> None:
    kiosk = DeviceClient(gateway.url, gateway.add_device(kiosk="riverside"))
    try:
        assert kiosk.ready.kind == "kiosk"
        assert kiosk.ready.customer is None
        refused = turn(kiosk, type="text", text="add milk")
        assert of_type(refused, "error")[0]["code"] == "sign-in-needed"

        kiosk.send_control({"type": "sign_in", "loyalty_number": loyalty_number(shop, "dave")})
        assert kiosk.next_event(30) == {"type": "pin_needed"}
        kiosk.send_control({"type": "text", "text": "one one one one"})
        failed = kiosk.next_event(30)
        assert failed == {"type": "sign_in_failed", "code": "sign-in-failed"}

        kiosk.send_control({"type": "sign_in", "loyalty_number": loyalty_number(shop, "dave")})
        assert kiosk.next_event(30) == {"type": "pin_needed"}
        kiosk.send_control({"type": "text", "text": "four three two one"})
        signed_in = kiosk.next_event(30)
        assert signed_in is not None
        assert signed_in == {
            "type": "signed_in",
            "customer": {"handle": "dave", "name": signed_in["customer"]["name"]},
        }
        basket = kiosk.next_event(30)
        assert basket is not None
        assert basket["type"] == "basket"

        added = turn(kiosk, type="text", text="add two loaves of sourdough bread")
        if of_type(added, "reply")[0]["response"] == "utter_product_choices":
            added += turn(kiosk, type="text", text="the first one")
        baskets = of_type(added, "basket")
        assert baskets
        assert any("sourdough" in i["name"].lower() for i in baskets[-1]["items"])
        assert baskets[-1]["total"] == shop.basket("dave")["total"]

        bye = turn(kiosk, type="text", text="goodbye")
        assert of_type(bye, "intent")[0]["name"] == "goodbye"
        assert kiosk.next_event(30) == {"type": "signed_out", "reason": "goodbye"}
        forgotten(kiosk, shop, "dave", "the kiosk customer's token is revoked at goodbye")
    finally:
        kiosk.close()
    assert not any(
        "4321" in json.dumps(t) or "four three two one" in json.dumps(t)
        for s in gateway.gateway.sessions.values()
        for t in s.turns
    )


def test_a_kiosk_order_needs_the_confirm_button(gateway: GatewayServer, shop: Shop) -> None:
    kiosk = DeviceClient(gateway.url, gateway.add_device(kiosk="riverside"))
    try:
        kiosk.send_control({"type": "guest"})
        signed_in = kiosk.next_event(30)
        assert signed_in is not None
        assert signed_in["type"] == "signed_in"
        guest = signed_in["customer"]["handle"]
        kiosk.next_event(30)  # the (empty) basket
        added = turn(kiosk, type="text", text="add six free range eggs")
        if of_type(added, "reply")[0]["response"] == "utter_product_choices":
            turn(kiosk, type="text", text="the first one")
        turn(kiosk, type="text", text=f"book a pickup {DAY} at 11 am")
        readback = turn(kiosk, type="text", text="checkout")
        assert of_type(readback, "reply")[0]["response"] == "utter_quote_readback"
        assert of_type(readback, "confirm_needed")
        spoken_yes = turn(kiosk, type="text", text="yes")
        assert of_type(spoken_yes, "reply")[0]["response"] == "utter_press_confirm"
        orders = "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.handle = :h"  # noqa: E501
        assert shop.scalar(orders, h=guest) == 0, "a spoken yes at a kiosk buys nothing"
        confirmed = turn(kiosk, type="confirm")
        assert of_type(confirmed, "reply")[0]["response"] == "utter_order_placed"
        assert shop.scalar(orders, h=guest) == 1
    finally:
        kiosk.close()


def test_a_device_that_does_not_authenticate_cannot_connect(gateway: GatewayServer) -> None:
    with pytest.raises(DeviceError) as refused:
        DeviceClient(gateway.url, "dev_revoked-or-made-up")
    assert refused.value.code == "auth-invalid"


def test_an_idle_kiosk_forgets_its_customer(gateway: GatewayServer, shop: Shop) -> None:
    kiosk = DeviceClient(gateway.url, gateway.add_device(kiosk="riverside"))
    try:
        kiosk.send_control({"type": "sign_in", "loyalty_number": loyalty_number(shop, "judy")})
        assert kiosk.next_event(30) == {"type": "pin_needed"}
        kiosk.send_control({"type": "text", "text": "four three two one"})
        signed_in = kiosk.next_event(30)
        assert signed_in is not None
        assert signed_in["type"] == "signed_in", signed_in
        kiosk.next_event(30)  # the basket
        turn(kiosk, type="text", text="what's in my basket")
        session = gateway.gateway.sessions[kiosk.session_id]
        session.idle_timeout_s = 1.5  # the customer walked away
        assert kiosk.next_event(30) == {"type": "signed_out", "reason": "idle"}
        assert session.customer is None
        assert session.conversation is None
        assert not session.turns, "nothing of the customer's conversation stays in memory"
        forgotten(
            kiosk, shop, "judy", "the kiosk customer's token is revoked when the kiosk goes idle"
        )
    finally:
        kiosk.close()


def test_a_kiosk_microphone_streaming_silence_and_pings_is_still_idle(
    gateway: GatewayServer, shop: Shop
) -> None:
    """The kiosk page streams its microphone all the time; silence and pings are not a
    customer, so the idle timeout still signs them out."""
    kiosk = DeviceClient(gateway.url, gateway.add_device(kiosk="riverside"))
    try:
        heidi = loyalty_number(shop, "heidi")
        kiosk.send_control({"type": "sign_in", "loyalty_number": heidi, "pin": "4321"})
        signed_in = kiosk.next_event(30)
        assert signed_in is not None
        assert signed_in["type"] == "signed_in", signed_in
        session = gateway.gateway.sessions[kiosk.session_id]
        session.idle_timeout_s = 1.5
        quiet = AudioChunk(16000, 2, 1, bytes(16000))  # 0.5 s of a quiet shop floor
        for _ in range(8):  # 4 s of microphone, a ping every half second
            kiosk.send_audio(quiet)
            kiosk.send_control({"type": "ping"})
        assert session.customer is None, "signed out while the microphone was streaming"
        events = [kiosk.next_event(10) for _ in range(12)]
        assert {"type": "signed_out", "reason": "idle"} in events
    finally:
        kiosk.close()
