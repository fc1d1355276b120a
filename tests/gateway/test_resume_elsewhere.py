"""A device's session resumes on a second gateway process after the first is killed: two
``serve --gateway-only`` processes in front of the test stack, their sessions' state in the
real Redis (under a key prefix of the test's own, removed afterwards). The question the first
asked (the order read back, waiting for a yes) is answered on the second, and the commerce
database shows the order placed once."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.channels.device import DeviceClient
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
