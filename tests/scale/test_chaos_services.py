"""Chaos in the shared services, on a scaled stack of their own (``restartable``: 2 gateways,
1 Rasa server, 1 commerce process, the action server, on a private redis-server and a private
PostgreSQL, never the machine's shared ones): Redis restarted empty (Rasa's locks and the
gateways' sessions gone) and PostgreSQL restarted (every connection cut) in the middle of a
customer's conversation. The conversation goes on — at once, or after a spoken apology and
the customer saying it again — with each basket change made exactly once and one order, as
the commerce database shows; after Redis comes back the session is resumable again."""

from __future__ import annotations

import threading
import time

import redis

from tests.scale.conftest import Restartable, add, responses, stack_today, turn
from tests.stack import pickup_day

APOLOGIES = {"utter_service_unavailable", "utter_assistant_unavailable"}
UNSURE = "utter_service_uncertain"  # the change's answer was lost: "ask what's in your basket"


def session_kept(restartable: Restartable, session_id: str, within_s: float = 20.0) -> bool:
    """The gateways' Redis holds the session's state (again), within ``within_s``."""
    client = redis.Redis.from_url(restartable.redis.url)
    key = restartable.scaled.deployment.settings.gateway.sessions_prefix + session_id
    deadline = time.monotonic() + within_s
    try:
        while not client.exists(key):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        return True
    finally:
        client.close()


def test_redis_restarted_mid_conversation(restartable: Restartable) -> None:
    """Redis is restarted empty between two turns: the next turn goes on (or is an apology,
    said again), the session's state is written again, and the device then resumes its
    session on the other gateway after its own is killed."""
    scaled = restartable.scaled
    token = scaled.add_device("bob")
    client, holder = scaled.gateway_of(token)
    add(client, "add a litre of whole milk")
    assert session_kept(restartable, client.session_id)

    restartable.redis.restart()  # empty: no lock, no session state
    keys = responses(turn(client, "add a dozen eggs"))
    if set(keys) <= APOLOGIES:
        keys = responses(turn(client, "add a dozen eggs"))
    if keys == ["utter_product_choices"]:
        keys = responses(turn(client, "the first one"))
    assert keys[:1] == ["utter_added_items"], keys
    lines = scaled.shop.lines("bob")
    assert len(lines) == 2, lines
    assert set(lines.values()) == {1}, f"a change lost or made twice: {lines}"
    assert session_kept(restartable, client.session_id), "the session's state is back"

    assert holder.process is not None
    holder.process.kill()
    holder.process.wait(timeout=10)
    client.close()
    again = scaled.connect(token, resume=client.session_id)
    assert again.session_id == client.session_id
    assert responses(turn(again, "what's in my basket")) == ["utter_basket_contents"]
    assert scaled.shop.lines("bob") == lines
    again.close()


def test_postgresql_restarted_mid_conversation(restartable: Restartable) -> None:
    """PostgreSQL (the shop and the conversations) is restarted while a basket change is in
    flight, and again before the customer's yes to the order: each change is made once (the
    customer checks and says it again when told it failed or may have), one order placed."""
    scaled = restartable.scaled
    client = scaled.connect(scaled.add_device("carol"))
    add(client, "add a litre of whole milk")

    restart = threading.Timer(0.2, restartable.postgres.restart)
    restart.start()
    keys = responses(turn(client, "add a dozen eggs"))
    restart.join()
    for _ in range(3):  # until the eggs are in: as a customer would, told it failed
        if keys[:1] == ["utter_added_items"] or len(scaled.shop.lines("carol")) == 2:
            break
        assert set(keys) <= {*APOLOGIES, UNSURE, "utter_product_choices"}, keys
        keys = responses(turn(client, "add a dozen eggs"))
        if keys == ["utter_product_choices"]:
            keys = responses(turn(client, "the first one"))
    lines = scaled.shop.lines("carol")
    assert len(lines) == 2, lines
    assert set(lines.values()) == {1}, f"a change lost or made twice: {lines}"

    booked = responses(turn(client, f"book a pickup {pickup_day(stack_today())} at 5 pm"))
    assert booked == ["utter_pickup_booked"], booked
    assert responses(turn(client, "checkout")) == ["utter_quote_readback"]
    restartable.postgres.restart()
    keys = responses(turn(client, "yes"))
    if "utter_order_placed" not in keys:
        assert set(keys) <= APOLOGIES, keys
        keys = responses(turn(client, "yes"))  # said again after the apology
    orders = scaled.shop.rows(
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE c.handle = 'carol' AND o.quote_id IS NOT NULL"
    )
    assert len(orders) == 1, f"orders placed: {orders}"
    client.close()
