"""Chaos on the scaled stack (``run_assistant.py deploy``: 2 gateways, 2 Rasa servers, 2
commerce processes, 1 action server behind HAProxy, PostgreSQL and Redis): one process of a
kind is killed (SIGKILL: no goodbye) in the middle of a customer's conversation, and the
conversation goes on — after a reconnect, or after a spoken apology and the customer saying it
again — with every basket change made exactly once and no order placed twice, as the commerce
database (PostgreSQL) shows. The killed replicas stay dead (the action server, of which
there is one, is started again): each test kills a different kind, so the stack still has one
of each for the next."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from websockets.exceptions import ConnectionClosed

from assistant.channels import protocol as p
from assistant.channels.device import DeviceError
from assistant.services import ManagedProcess
from tests.scale.conftest import Scaled, add, responses, turn
from tests.stack import pickup_day

APOLOGIES = {"utter_service_unavailable", "utter_assistant_unavailable"}


def orders_of(scaled: Scaled, customer: str) -> list[tuple[int, str]]:
    return scaled.shop.rows(
        "SELECT o.id, o.quote_id FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE c.handle = :h AND o.quote_id IS NOT NULL ORDER BY o.id",
        h=customer,
    )


def kill(process: ManagedProcess) -> None:
    """SIGKILL: no goodbye, no token revoked, no session ended."""
    assert process.process is not None
    process.process.kill()
    process.process.wait(timeout=10)


def kill_soon(process: ManagedProcess, after_s: float) -> threading.Thread:
    """SIGKILL ``process`` ``after_s`` from now: during the turn in flight."""

    def later() -> None:
        time.sleep(after_s)
        kill(process)

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    return thread


def test_a_gateway_killed_mid_conversation(scaled: Scaled) -> None:
    """The gateway holding the device's session dies. Gateway sessions live in that process's
    memory today (keeping them in Redis is the issue's part 2, not built yet), so the device
    reconnects through the balancer, asks to resume, and gets a new session on the live
    gateway: acceptable here because what matters lives elsewhere — the basket in the
    commerce database, untouched by the loss, and nothing in it applied twice. It runs first,
    while no other session is on the gateways: the one whose count grows took the device."""
    token = scaled.add_device("erin")
    client, victim = scaled.gateway_of(token)
    add(client, "add a litre of whole milk")
    milk = scaled.shop.lines("erin")
    assert list(milk.values()) == [1], milk

    kill(victim)
    with pytest.raises((DeviceError, ConnectionClosed, OSError)):
        turn(client, "what's in my basket")  # the connection is gone with its gateway

    again = scaled.connect(token, resume=client.session_id)
    assert again.session_id != client.session_id  # a new session: part 2 will resume it
    assert isinstance(again.ready, p.Ready)
    assert responses(turn(again, "what's in my basket")) == ["utter_basket_contents"]
    assert scaled.shop.lines("erin") == milk, "the gateway's death changed the basket"
    add(again, "add a dozen eggs")
    lines = scaled.shop.lines("erin")
    assert len(lines) == 2, lines
    assert set(lines.values()) == {1}, lines
    assert sum(1 for n in scaled.sessions() if n >= 0) == 1  # the other gateway carried on
    again.close()


def test_a_commerce_process_killed_during_a_basket_change(scaled: Scaled) -> None:
    """A commerce process is killed while the turn that adds the milk is in flight: either
    the balancer's other process answered (the milk is added), or the skill says the shop is
    not answering and nothing was changed, and the customer says it again. Either way the milk
    is in the basket exactly once, beside the eggs from before."""
    client = scaled.connect(scaled.add_device("carol"))
    add(client, "add a dozen eggs")
    eggs = scaled.shop.lines("carol")
    assert list(eggs.values()) == [1], eggs

    keys = responses(turn(client, "add a litre of whole milk"))
    killer = kill_soon(scaled.deployment.commerce[0], 0.3)
    if keys == ["utter_product_choices"]:  # the choice is the turn that adds: kill during it
        keys = responses(turn(client, "the first one"))
    killer.join()
    if keys and keys[0] in APOLOGIES:  # what a customer does when told nothing was changed
        add(client, "add a litre of whole milk")
    else:
        assert keys[:1] == ["utter_added_items"], keys

    after = responses(turn(client, "what's in my basket"))
    assert after == ["utter_basket_contents"], after
    lines = scaled.shop.lines("carol")
    assert len(lines) == 2, lines
    assert set(lines.values()) == {1}, f"a change lost or made twice: {lines}"
    client.close()


def test_a_rasa_server_killed_while_the_order_is_confirmed(scaled: Scaled) -> None:
    """One Rasa server dies while the customer's yes is in flight. The conversation lives in
    PostgreSQL and its lock in Redis, so the other server carries on: the yes is answered, or
    the turn is a spoken apology and the customer says yes again. The order is placed once (the
    quote's idempotency key), and the next turn is answered as usual."""
    client = scaled.connect(scaled.add_device("alice"))
    add(client, "add a litre of whole milk")
    # the scaled stack (``deploy``) runs on the machine's clock: its tomorrow is the machine's
    today = datetime.now(ZoneInfo("Europe/London")).date()
    booked = responses(turn(client, f"book a pickup {pickup_day(today)} at 5 pm"))
    assert booked == ["utter_pickup_booked"], booked
    assert responses(turn(client, "checkout")) == ["utter_quote_readback"]
    assert orders_of(scaled, "alice") == []

    killer = kill_soon(scaled.deployment.rasa[0], 0.15)
    keys = responses(turn(client, "yes"))
    killer.join()
    if "utter_order_placed" not in keys:
        assert set(keys) <= APOLOGIES, keys
        keys = responses(turn(client, "yes"))  # said again after the apology
    orders = orders_of(scaled, "alice")
    assert len(orders) == 1, f"orders placed: {orders}"

    again = responses(turn(client, "yes"))  # a repeated yes places nothing more
    assert not set(again) & APOLOGIES, again
    assert len(orders_of(scaled, "alice")) == 1
    status = responses(turn(client, "what's in my basket"))
    assert status, status
    assert not set(status) & APOLOGIES, status
    client.close()


def test_the_action_server_killed_and_restarted(scaled: Scaled) -> None:
    """There is one action server (a turn's handover and Rasa's call must reach the same one):
    while it is down a turn is a spoken apology with nothing changed; once it is started again
    the same conversation goes on, its basket as it was."""
    client = scaled.connect(scaled.add_device("grace"))
    add(client, "add a litre of whole milk")
    milk = scaled.shop.lines("grace")
    assert list(milk.values()) == [1], milk

    actions = scaled.deployment.actions
    assert actions is not None
    kill(actions)
    down = responses(turn(client, "add a dozen eggs"))
    assert down, down
    assert set(down) <= APOLOGIES, down
    assert scaled.shop.lines("grace") == milk  # nothing changed while it was down

    scaled.deployment.restart(actions)
    add(client, "add a dozen eggs")  # said again
    lines = scaled.shop.lines("grace")
    assert len(lines) == 2, lines
    assert set(lines.values()) == {1}, lines
    client.close()
