"""PIN lockouts that cannot be turned against customers: a lock ends and grows with each
further failure, per account and per kiosk; the right PIN after it, or staff, unlock; and a
failed sign-in looks the same (status, body, time) whatever the reason."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.db import Database
from commerce.models import Customer, Device
from commerce.seed.seeder import DEMO_PIN
from commerce.services import auth, devices
from tests.commerce.conftest import KIOSK_STORE, add_device, bearer, token_for
from tests.commerce.kiosks import assert_error, customer, sign_in

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WRONG = "0000"


def verify(client: TestClient, headers: dict[str, str], pin: str) -> Any:
    return client.post("/v1/me/pin/verify", json={"pin": pin}, headers=headers)


def test_lock_after() -> None:
    minutes = [auth.lock_after(n, 5) for n in range(4, 12)]
    assert minutes[0] is None  # four wrong PINs lock nothing
    assert [m.total_seconds() / 60 for m in minutes[1:] if m] == [1, 2, 4, 8, 15, 15, 15]
    assert auth.lock_after(10**6, 5) == auth.LONGEST_LOCK


def test_a_pin_lock_ends_and_each_further_failure_doubles_it(
    client: TestClient, sqlite_db: Database
) -> None:
    headers = bearer(token_for(sqlite_db, "bob"))
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(auth.MAX_PIN_ATTEMPTS):
            assert verify(client, headers, WRONG).json()["verified"] is False
        for lock in (1, 2, 4, 8, 15, 15):  # minutes
            # locked: even the right PIN is refused, and nothing is counted
            assert_error(verify(client, headers, DEMO_PIN), 423, "pin-locked")
            clock.shift(timedelta(minutes=lock) - timedelta(seconds=1))
            attempts = customer(sqlite_db, "bob").failed_pin_attempts
            assert_error(verify(client, headers, WRONG), 423, "pin-locked")
            assert customer(sqlite_db, "bob").failed_pin_attempts == attempts
            clock.shift(timedelta(seconds=1))  # the lock has ended: one more try
            assert verify(client, headers, WRONG).json()["verified"] is False
        clock.shift(auth.LONGEST_LOCK)
        # the right PIN after the lock works and starts the count again
        assert verify(client, headers, DEMO_PIN).json()["verified"] is True
        bob = customer(sqlite_db, "bob")
        assert (bob.failed_pin_attempts, bob.pin_locked_until) == (0, None)
        assert verify(client, headers, WRONG).json()["verified"] is False
        assert verify(client, headers, DEMO_PIN).json()["verified"] is True


def test_a_locked_customer_signs_in_at_a_kiosk_once_the_lock_ends(
    client: TestClient, sqlite_db: Database
) -> None:
    _, kiosk = add_device(sqlite_db, "kiosk", KIOSK_STORE)
    bob = customer(sqlite_db, "bob")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(auth.MAX_PIN_ATTEMPTS):
            wrong = sign_in(client, kiosk, loyalty_number=bob.loyalty_number, pin=WRONG)
            assert_error(wrong, 403, "sign-in-failed")
        refused = sign_in(client, kiosk, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
        assert (refused.status_code, refused.text) == (wrong.status_code, wrong.text)
        clock.shift(auth.FIRST_LOCK)
        signed_in = sign_in(client, kiosk, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
        assert signed_in.status_code == 200, signed_in.text
    assert customer(sqlite_db, "bob").failed_pin_attempts == 0


def test_one_kiosk_trying_many_numbers_locks_itself_not_the_customers(
    client: TestClient, sqlite_db: Database
) -> None:
    device_id, kiosk = add_device(sqlite_db, "kiosk", KIOSK_STORE)
    _, other_kiosk = add_device(sqlite_db, "kiosk", KIOSK_STORE)
    bob = customer(sqlite_db, "bob")
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(devices.KIOSK_FREE_FAILURES):  # ten numbers, none of them a customer's
            response = sign_in(client, kiosk, loyalty_number=f"GL9{n:07d}", pin=WRONG)
            assert_error(response, 403, "sign-in-failed")
        # the kiosk is locked: even bob's right PIN fails there (and counts against nobody) ...
        for _ in range(3):
            locked = sign_in(client, kiosk, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
            assert (locked.status_code, locked.text) == (response.status_code, response.text)
        assert customer(sqlite_db, "bob").failed_pin_attempts == 0
        # ... while every other kiosk signs him in
        elsewhere = sign_in(client, other_kiosk, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
        assert elsewhere.status_code == 200, elsewhere.text
        clock.shift(auth.FIRST_LOCK)
        again = sign_in(client, kiosk, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
        assert again.status_code == 200, again.text
    with sqlite_db.session() as session:
        device = session.get_one(Device, device_id)
        # bob's sign-in did not forgive the kiosk its failures
        assert device.failed_sign_ins == devices.KIOSK_FREE_FAILURES


def test_a_kiosk_is_forgiven_by_a_quiet_hour_not_by_a_sign_in(
    client: TestClient, sqlite_db: Database
) -> None:
    _, kiosk = add_device(sqlite_db, "kiosk", KIOSK_STORE)
    bob = customer(sqlite_db, "bob")

    def fail(times: int) -> None:
        for n in range(times):
            sign_in(client, kiosk, loyalty_number=f"GL8{n:07d}", pin=WRONG)

    def bob_signs_in() -> int:
        return sign_in(client, kiosk, loyalty_number=bob.loyalty_number, pin=DEMO_PIN).status_code

    with time_machine.travel(T0, tick=False) as clock:
        fail(devices.KIOSK_FREE_FAILURES - 1)
        assert bob_signs_in() == 200  # the attacker's own account, say: it forgives nothing
        fail(1)
        assert bob_signs_in() == 403  # the tenth failure locked the kiosk
        clock.shift(auth.FIRST_LOCK + devices.KIOSK_QUIET)
        fail(devices.KIOSK_FREE_FAILURES - 1)  # after a quiet hour: nine free failures again
        assert bob_signs_in() == 200


def reset(db: Database, handle: str, device_id: int) -> None:
    """What staff do: unlock the customer's PIN and the kiosk."""
    with db.session(write=True) as session:
        auth.unlock_pin(session.scalars(select(Customer).where(Customer.handle == handle)).one())
        devices.unlock_device(session, device_id)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = call()
    return time.perf_counter() - started, answer


@pytest.mark.slow
def test_every_failed_sign_in_looks_the_same_and_takes_as_long(
    client: TestClient, sqlite_db: Database
) -> None:
    """Unknown number, no PIN, locked PIN and wrong PIN: one status, one body, one time."""
    device_id, kiosk = add_device(sqlite_db, "kiosk", KIOSK_STORE)
    alice, bob, dave = (customer(sqlite_db, h) for h in ("alice", "bob", "dave"))
    assert alice.pin_hash is None
    assert bob.pin_hash
    assert dave.pin_hash
    with sqlite_db.session(write=True) as session:  # dave is locked (and stays locked)
        locked = session.scalars(select(Customer).where(Customer.id == dave.id)).one()
        locked.failed_pin_attempts = auth.MAX_PIN_ATTEMPTS
        locked.pin_locked_until = datetime.now(UTC) + timedelta(days=1)
    cases = {
        "unknown": {"loyalty_number": "GL99999999", "pin": WRONG},
        "no PIN": {"loyalty_number": alice.loyalty_number, "pin": WRONG},
        "locked": {"loyalty_number": dave.loyalty_number, "pin": DEMO_PIN},
        "wrong PIN": {"loyalty_number": bob.loyalty_number, "pin": WRONG},
    }
    times: dict[str, list[float]] = {case: [] for case in cases}
    answers = set()
    for _ in range(12):
        for case, body in cases.items():  # interleaved: a slow moment hits every case
            reset(sqlite_db, "bob", device_id)  # bob's PIN and the kiosk are never locked
            elapsed, response = timed(functools.partial(sign_in, client, kiosk, **body))
            times[case].append(elapsed)
            answers.add((response.status_code, response.text))
    assert len(answers) == 1, answers
    status, text = answers.pop()
    assert status == 403
    assert '"sign-in-failed"' in text
    medians = {case: statistics.median(t) for case, t in times.items()}
    slowest = max(medians.values())
    # one PIN check (scrypt) dominates each answer; a failure skipping it took a tenth as long
    assert all(m > 0.75 * slowest for m in medians.values()), medians
