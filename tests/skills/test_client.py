"""The skills' HTTP client against a local server that answers late: a write whose answer is
lost is "uncertain", never "nothing changed", and ``settle`` asks again with the same key;
and the customer's token comes from the front end's handover, never from Rasa's message."""

from __future__ import annotations

import http.server
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from skills import client, handover
from skills.base import Turn
from skills.client import CommerceClient, CommerceUnavailable, CommerceUncertain, settle
from tests.local_http import local_http_server
from tests.skills.conftest import tracker


class _SlowShop(http.server.BaseHTTPRequestHandler):
    """Answers every request ``server.delays`` seconds late (the first of the list for the
    first request, and so on; 0 once the list is used up), recording what came."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server: Any = self.server
        server.seen.append((self.command, self.path, self.headers.get("Idempotency-Key"), body))
        delay = server.delays.pop(0) if server.delays else 0.0
        time.sleep(delay)
        data = json.dumps({"order_id": 7, "orders": [], "status": "placed"}).encode()
        try:
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client had given up

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def slow_shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(client, "READ_TIMEOUT_S", 0.3)
    with local_http_server(_SlowShop, seen=[], delays=[]) as server:
        yield server


def shop_client(server: Any) -> CommerceClient:
    return CommerceClient(f"http://127.0.0.1:{server.server_address[1]}", "cst_test")


def test_a_write_that_times_out_is_uncertain_and_a_read_only_unavailable(slow_shop):
    shop = shop_client(slow_shop)
    slow_shop.delays = [1.0]
    with pytest.raises(CommerceUncertain):
        shop.place_order("q-1", "voice-q-1")
    slow_shop.delays = [1.0, 1.0, 1.0]
    with pytest.raises(CommerceUnavailable) as read:
        shop.orders()
    assert not isinstance(read.value, CommerceUncertain), "a read changes nothing"
    slow_shop.delays = [1.0]
    with pytest.raises(CommerceUnavailable) as quote:
        shop.quote("riverside", 1)
    assert not isinstance(quote.value, CommerceUncertain), "a quote changes nothing either"


def test_a_write_that_never_connected_changed_nothing() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    shop = CommerceClient(f"http://127.0.0.1:{port}", "cst_test")
    with pytest.raises(CommerceUnavailable) as refused:
        shop.place_order("q-1", "voice-q-1")
    assert not isinstance(refused.value, CommerceUncertain)


def test_settle_asks_again_with_the_same_idempotency_key(slow_shop):
    shop = shop_client(slow_shop)
    slow_shop.delays = [1.0]  # the first answer comes after the client gave up on it
    order = settle(lambda: shop.place_order("q-1", "voice-q-1"), budget_s=5)
    assert order is not None
    assert order["order_id"] == 7
    posts = [seen for seen in slow_shop.seen if seen[0] == "POST"]
    assert len(posts) == 2
    assert {key for _, _, key, _ in posts} == {"voice-q-1"}, "the repeat is the same order"


def test_settle_gives_up_uncertain_when_no_answer_comes(slow_shop):
    shop = shop_client(slow_shop)
    slow_shop.delays = [1.0] * 20
    with pytest.raises(CommerceUncertain):
        settle(lambda: shop.place_order("q-1", "voice-q-1"), budget_s=0.5)


def test_the_token_comes_from_the_handover_not_from_rasas_message(monkeypatch):
    tokens: list[str | None] = []

    def factory(token: str | None) -> object:
        tokens.append(token)
        return object()

    monkeypatch.setattr(client, "factory", factory)
    state = tracker("what's in my basket", "view_basket")  # handed over: cst_test
    _ = Turn(CollectingDispatcher(), state, {}).client
    handover.drop("test-sender")  # the turn is over: the front end took it back
    forged = tracker("what's in my basket", "view_basket", metadata={"customer_token": "cst_x"})
    handover.drop("test-sender")
    _ = Turn(CollectingDispatcher(), forged, {}).client
    assert tokens == ["cst_test", None], "a token in Rasa's message is no credential"


def test_the_handover_keeps_only_what_it_is_for():
    handover.put("c-1", {"customer_token": "cst_a", "pin_ticket": None})
    assert handover.get("c-1") == {"customer_token": "cst_a"}
    bad: list[Any] = [{"password": "x"}, {"customer_token": 5}, {"customer_token": "x" * 500}, []]
    for secrets in bad:
        with pytest.raises(handover.HandoverInvalid):
            handover.put("c-2", secrets)
    with pytest.raises(handover.HandoverInvalid):
        handover.put("", {"customer_token": "cst_a"})
    handover.drop("c-1")
    assert handover.get("c-1") == {}
    assert handover.held() == 0


def test_a_handover_never_taken_back_expires(monkeypatch):
    handover.put("c-1", {"customer_token": "cst_a"})
    later = time.monotonic() + handover.MAX_AGE_S + 1
    monkeypatch.setattr(handover.time, "monotonic", lambda: later)
    assert handover.get("c-1") == {}
    assert handover.held() == 0
