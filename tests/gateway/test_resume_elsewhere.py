"""A device's session resumes on a second gateway process after the first is killed: two
``serve --gateway-only`` processes in front of the test stack, their sessions' state in the
real Redis (under a key prefix of the test's own, removed afterwards) and one session key. The
question the first asked (the order read back, waiting for a yes) is answered on the second,
and the commerce database shows the order placed once. A kiosk's signed-in customer resumes
signed in (their token sealed in the state) and their order is placed by the Confirm touch on
the second; a seal changed in Redis resumes the kiosk signed out, with the log line's code."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.channels.device import DeviceClient
from assistant.channels.gateway.sealing import new_key
from assistant.services import ManagedProcess, Stack, free_port
from assistant.settings import ROOT
from tests.conftest import service_missing
from tests.stack import Shop, add, add_device, command_env, pickup_day, responses, turn

REDIS_URL = "redis://127.0.0.1:6379/0"
CUSTOMER = "wendy"  # this test's own (Shop.more_customers)


@pytest.fixture
def sessions_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own; its keys are removed afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as err:
        service_missing("Redis at 127.0.0.1:6379", err)
    prefix = f"test:resume:{uuid.uuid4().hex[:10]}:"
    yield prefix
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def two_gateways(
    stack: Stack, sessions_prefix: str, tmp_path: Path
) -> Iterator[list[tuple[str, ManagedProcess]]]:
    """Two gateway processes sharing the Redis store: their WebSocket URLs and processes."""
    env = {
        **command_env(stack),
        "GATEWAY_SESSIONS_URL": REDIS_URL,
        "GATEWAY_SESSIONS_PREFIX": sessions_prefix,
        "SPEECH_DECODE_PROCESSES": "1",
        "GATEWAY_SESSIONS_KEY": new_key(),  # one per deployment: both gateways share it
    }
    ports = [free_port(), free_port()]
    serve = [sys.executable, str(ROOT / "run_assistant.py"), "serve", "--gateway-only"]
    processes = [
        ManagedProcess(
            f"gateway-{i}",
            [*serve, "--host", "127.0.0.1", "--port", str(port)],
            f"http://127.0.0.1:{port}/health",
            tmp_path / f"gateway-{i}.log",
            env=env,
            cwd=ROOT,
        )
        for i, port in enumerate(ports, 1)
    ]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_ready(stack.settings.dialogue.start_timeout_s)
        yield [
            (f"ws://127.0.0.1:{port}/v1/stream", process)
            for port, process in zip(ports, processes, strict=True)
        ]
    finally:
        for process in processes:
            process.stop()


def orders(shop: Shop) -> list[tuple[int, str]]:
    return shop.rows(
        "SELECT o.id, o.quote_id FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE c.handle = :h AND o.quote_id IS NOT NULL ORDER BY o.id",
        h=CUSTOMER,
    )


def test_the_pending_question_is_answered_on_a_second_gateway_after_the_first_is_killed(
    stack: Stack, shop: Shop, two_gateways: list[tuple[str, ManagedProcess]]
) -> None:
    (first_url, first), (second_url, _) = two_gateways
    shop.more_customers(23)
    token = add_device(stack.settings.resolve_database_url(), home=CUSTOMER)
    client = DeviceClient(first_url, token)
    add(client, "add a litre of whole milk")
    booked = responses(turn(client, f"book a pickup {pickup_day()} at 5 pm"))
    assert booked == ["utter_pickup_booked"], booked
    assert responses(turn(client, "checkout")) == ["utter_quote_readback"]
    before = orders(shop)
    basket = shop.lines(CUSTOMER)

    assert first.process is not None
    first.process.kill()  # SIGKILL: no goodbye, the session's end never runs
    first.process.wait(timeout=10)
    client.close()

    again = DeviceClient(second_url, token, resume=client.session_id)
    try:
        assert again.session_id == client.session_id, "the same session, on another process"
        assert again.ready.customer is not None
        assert again.ready.customer.handle == CUSTOMER
        assert shop.lines(CUSTOMER) == basket, "the same basket"
        placed = responses(turn(again, "yes"))  # the question asked on the first process
        assert placed == ["utter_order_placed"], placed
        new = [row for row in orders(shop) if row not in before]
        assert len(new) == 1, f"orders placed: {new}"
        assert responses(turn(again, "yes")) != ["utter_order_placed"], "a yes places no more"
        assert len(orders(shop)) == len(before) + 1
    finally:
        again.close()


def kiosk_signed_in(stack: Stack, shop: Shop, url: str, handle: str) -> tuple[str, DeviceClient]:
    """A new kiosk (its token) on ``url`` with ``handle`` (one of the customers after the ten
    every test shares) signed in by loyalty number and PIN, milk in the basket."""
    from commerce.seed.seeder import FIRST_NAMES

    shop.more_customers(FIRST_NAMES.index(handle) + 1)
    token = add_device(stack.settings.resolve_database_url(), kiosk="riverside")
    shop.set_pin(handle, "4321")
    number = shop.scalar("SELECT loyalty_number FROM customers WHERE handle = :h", h=handle)
    client = DeviceClient(url, token)
    client.send_control({"type": "sign_in", "loyalty_number": str(number), "pin": "4321"})
    signed_in = client.next_event(30)
    assert signed_in is not None
    assert signed_in["type"] == "signed_in", signed_in
    assert signed_in["customer"]["handle"] == handle
    client.next_event(30)  # the (empty) basket
    add(client, "add a litre of whole milk")
    return token, client


def kill(process: ManagedProcess) -> None:
    assert process.process is not None
    process.process.kill()  # SIGKILL: no goodbye, the session's end never runs
    process.process.wait(timeout=10)


def held_states(prefix: str) -> list[str]:
    """The ``state`` field of every session's hash under ``prefix``."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return [str(client.hget(key, "state")) for key in client.scan_iter(prefix + "*")]
    finally:
        client.close()


def test_a_kiosk_customer_resumes_signed_in_and_their_order_is_confirmed_on_the_second(
    stack: Stack,
    shop: Shop,
    two_gateways: list[tuple[str, ManagedProcess]],
    sessions_prefix: str,
) -> None:
    (first_url, first), (second_url, _) = two_gateways
    handle = "xavier"  # this test's own
    token, client = kiosk_signed_in(stack, shop, first_url, handle)
    booked = responses(turn(client, f"book a pickup {pickup_day()} at 11 am"))
    assert booked == ["utter_pickup_booked"], booked
    readback = turn(client, "checkout")
    assert responses(readback) == ["utter_quote_readback"]
    assert {"type": "confirm_needed"} in readback
    states = held_states(sessions_prefix)
    assert states, "the kiosk's state is in Redis"
    assert all("cst_" not in state for state in states), "no token in clear"
    basket = shop.lines(handle)
    assert len(basket) == 1, basket

    kill(first)
    client.close()
    again = DeviceClient(second_url, token, resume=client.session_id)
    try:
        assert again.session_id == client.session_id
        assert again.ready.customer is not None, "still signed in on the other gateway"
        assert again.ready.customer.handle == handle
        assert shop.lines(handle) == basket
        again.send_control({"type": "confirm"})  # the Confirm the first gateway showed
        placed = list(again.events_until_turn_done(timeout_s=60))
        assert responses(placed) == ["utter_order_placed"], placed
        lines = shop.rows(
            "SELECT p.sku, l.quantity FROM orders o JOIN customers c ON c.id = o.customer_id "
            "JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id "
            "WHERE c.handle = :h "
            "AND o.quote_id IS NOT NULL",
            h=handle,
        )
        assert [(sku, quantity) for sku, quantity in lines] == list(basket.items()), lines
    finally:
        again.close()


def test_a_kiosk_whose_seal_was_changed_resumes_signed_out(
    stack: Stack,
    shop: Shop,
    two_gateways: list[tuple[str, ManagedProcess]],
    sessions_prefix: str,
    tmp_path: Path,
) -> None:
    (first_url, first), (second_url, _) = two_gateways
    handle = "yvonne"  # this test's own
    token, client = kiosk_signed_in(stack, shop, first_url, handle)
    basket = shop.lines(handle)
    kill(first)
    client.close()

    import redis

    store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    key = sessions_prefix + client.session_id
    state = json.loads(store.hget(key, "state") or "{}")
    sealed = state["sealed"]
    state["sealed"] = sealed[:20] + ("A" if sealed[20] != "A" else "B") + sealed[21:]
    store.hset(key, "state", json.dumps(state))
    store.close()

    again = DeviceClient(second_url, token, resume=client.session_id)
    try:
        assert again.session_id == client.session_id, "the session resumes"
        assert again.ready.customer is None, "signed out, never an error"
        refused = turn(again, "add a dozen eggs")
        assert [e["code"] for e in refused if e["type"] == "error"] == ["sign-in-needed"]
        assert shop.lines(handle) == basket, "nothing done for the customer"
    finally:
        again.close()
    log = (tmp_path / "gateway-2.log").read_text()
    assert "resumes signed out (resume-seal-invalid)" in log
