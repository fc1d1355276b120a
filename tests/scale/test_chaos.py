"""Chaos on the scaled stack (``run_assistant.py deploy``: 2 gateways, 2 Rasa servers, 2
commerce processes, 1 action server behind HAProxy, PostgreSQL and Redis): one process of a
kind is killed (SIGKILL: no goodbye) in the middle of a customer's conversation, and the
conversation goes on — after a reconnect, or after a spoken apology and the customer saying it
again — with every basket change made exactly once and no order placed twice, as the commerce
database (PostgreSQL) shows; also a recogniser worker killed mid-utterance, and two gateways
booking a slot's last place at once. The killed replicas stay dead (a gateway and the action
server are started again): each test kills a different kind, so the stack still has one of
each for the next. Redis and PostgreSQL restarted: ``test_chaos_services.py``."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import psutil
import pytest
from websockets.exceptions import ConnectionClosed

from assistant.channels import protocol as p
from assistant.channels.device import DeviceClient, DeviceError
from assistant.services import ManagedProcess
from audio import formats, synthetic
from tests.scale.conftest import Scaled, add, responses, stack_today, turn
from tests.stack import add_device, pickup_day

LONDON = ZoneInfo("Europe/London")
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
    """The gateway holding the device's session dies. The device reconnects through the
    balancer to the other gateway and resumes: the same session (its state was in Redis), the
    same conversation and basket, nothing in it applied twice. It runs first, while no other
    session is on the gateways: the one whose count grows took the device. The killed gateway
    is started again at the end (the next tests need two)."""
    token = scaled.add_device("erin")
    client, victim = scaled.gateway_of(token)
    add(client, "add a litre of whole milk")
    milk = scaled.shop.lines("erin")
    assert list(milk.values()) == [1], milk

    kill(victim)
    with pytest.raises((DeviceError, ConnectionClosed, OSError)):
        turn(client, "what's in my basket")  # the connection is gone with its gateway

    again = scaled.connect(token, resume=client.session_id)
    assert again.session_id == client.session_id, "resumed on the other gateway"
    assert isinstance(again.ready, p.Ready)
    assert again.ready.customer is not None
    assert again.ready.customer.handle == "erin"
    assert responses(turn(again, "what's in my basket")) == ["utter_basket_contents"]
    assert scaled.shop.lines("erin") == milk, "the gateway's death changed the basket"
    add(again, "add a dozen eggs")
    lines = scaled.shop.lines("erin")
    assert len(lines) == 2, lines
    assert set(lines.values()) == {1}, lines
    assert sum(1 for n in scaled.sessions() if n >= 0) == 1  # the other gateway carried on
    again.close()
    scaled.deployment.restart(victim)


def pickup_date() -> date:
    """The day ``pickup_day(stack_today())`` names."""
    today = stack_today()
    return today + timedelta(days=2 if pickup_day(today) == "the day after tomorrow" else 1)


def five_pm_slot(scaled: Scaled, store_id: str) -> int:
    """The id of the store's 5 pm pickup slot on the pickup day."""
    rows = scaled.shop.rows("SELECT id, start FROM pickup_slots WHERE store_id = :s", s=store_id)
    for slot_id, start in rows:
        local = (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(LONDON)
        if local.date() == pickup_date() and local.hour == 17:
            return int(slot_id)
    raise AssertionError(f"no 5 pm slot at {store_id} on {pickup_date()}")


def direct_url(gateway: ManagedProcess) -> str:
    """A gateway's own WebSocket address, past the balancer."""
    return gateway.health_url.replace("http://", "ws://").replace("/health", "/v1/stream")


def test_two_gateways_book_the_last_place_of_a_slot_at_once(scaled: Scaled) -> None:
    """Two customers of one store, on two gateways, book the last place of the same slot at
    the same moment: one is booked, the other is told it is full; the database shows the slot
    exactly full and one booking of theirs in it."""
    rows = scaled.shop.rows(
        "SELECT handle, home_store_id FROM customers WHERE handle IN "
        "('bob', 'dave', 'frank', 'heidi', 'ivan', 'judy') ORDER BY handle"
    )
    by_store: dict[str, list[str]] = {}
    for handle, store in rows:
        by_store.setdefault(store, []).append(handle)
    store, handles = next((s, h[:2]) for s, h in by_store.items() if len(h) >= 2)
    slot = five_pm_slot(scaled, store)
    gateways = scaled.deployment.gateways
    clients = [
        DeviceClient(direct_url(g), scaled.add_device(h))
        for g, h in zip(gateways, handles, strict=False)
    ]
    for client in clients:
        add(client, "add a litre of whole milk")
    scaled.shop.execute("UPDATE pickup_slots SET capacity = booked + 1 WHERE id = :i", i=slot)
    start = threading.Barrier(len(clients))
    said: dict[str, list[str]] = {}

    def book(handle: str, client: DeviceClient) -> None:
        start.wait()
        when = pickup_day(stack_today())
        said[handle] = responses(turn(client, f"book a pickup {when} at 5 pm"))

    threads = [
        threading.Thread(target=book, args=pair) for pair in zip(handles, clients, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    booked = [h for h, keys in said.items() if keys == ["utter_pickup_booked"]]
    assert len(booked) == 1, said
    (capacity, taken), *_ = scaled.shop.rows(
        "SELECT capacity, booked FROM pickup_slots WHERE id = :i", i=slot
    )
    assert taken == capacity, (taken, capacity)
    active = scaled.shop.rows(
        "SELECT c.handle FROM pickup_bookings b JOIN customers c ON c.id = b.customer_id "
        "WHERE b.slot_id = :i AND b.status = 'active'",
        i=slot,
    )
    assert len(active) == capacity, active
    assert [h for (h,) in active if h in handles] == booked
    for client in clients:
        client.close()


def recogniser_workers(gateway: ManagedProcess) -> list[psutil.Process]:
    assert gateway.process is not None
    children = psutil.Process(gateway.process.pid).children()
    return [c for c in children if "spawn_main" in " ".join(c.cmdline())]


def test_a_recogniser_worker_killed_while_a_kiosk_customer_speaks(
    scaled: Scaled, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The gateway's recogniser worker process is killed while a kiosk customer's utterance
    is being decoded: that utterance is a spoken apology (``stt-failed``), the session goes
    on, a new worker takes the next utterance, and the milk said again is added once."""
    gateway = scaled.deployment.gateways[0]
    client = DeviceClient(direct_url(gateway), add_device(scaled.database_url, kiosk="riverside"))
    client.send(p.Guest())
    signed_in = client.next_event(60)
    assert signed_in is not None
    assert signed_in["type"] == "signed_in", signed_in
    guest = signed_in["customer"]["handle"]
    spoken = synthetic.synthesize(
        "add a litre of whole milk", voice="kal", cache=tmp_path_factory.mktemp("speech")
    )
    milk = formats.join([formats.silence(300), spoken, formats.silence(900)])
    (worker,) = recogniser_workers(gateway)

    killer = threading.Timer(0.9, worker.kill)
    killer.start()
    client.send_audio(milk)
    events = list(client.events_until_turn_done(timeout_s=180))
    killer.join()
    assert not [e for e in events if e["type"] == "error"], events
    assert events[-1].get("error") == "stt-failed", events  # the utterance the worker held
    assert responses(events) == ["utter_assistant_unavailable"], events  # said so, not silence
    client.send_audio(milk)  # the customer says it again
    events = list(client.events_until_turn_done(timeout_s=180))
    keys = responses(events)
    if keys == ["utter_product_choices"]:
        keys = responses(turn(client, "the first one"))
    assert keys[:1] == ["utter_added_items"], events
    assert list(scaled.shop.lines(guest).values()) == [1], "the milk, once"
    assert worker.pid not in [w.pid for w in recogniser_workers(gateway)]
    client.close()


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
    booked = responses(turn(client, f"book a pickup {pickup_day(stack_today())} at 5 pm"))
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
