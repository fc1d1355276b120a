"""Pickup slots: listing, booking, rescheduling, cancelling, and never over capacity."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from commerce.db import Database
from commerce.models import PickupBooking, PickupSlot
from commerce.seed.seeder import seed
from tests.commerce.conftest import (
    bearer,
    future_slot,
    live_server,
    open_day,
    token_for,
    tomorrow,
)


def booked(db: Database, slot_id: int) -> tuple[int, int]:
    """(slot.booked, active bookings in the table) for one slot."""
    with db.session() as session:
        slot = session.get_one(PickupSlot, slot_id)
        count = session.scalar(
            select(func.count())
            .select_from(PickupBooking)
            .where(PickupBooking.slot_id == slot_id, PickupBooking.status == "active")
        )
        return slot.booked, count or 0


def test_slots_listed_in_store_time_with_availability(client: TestClient, sqlite_db: Database):
    day = tomorrow(sqlite_db, "riverside")
    body = client.get(f"/v1/stores/riverside/pickup-slots?date={day}").json()
    assert body["slots"], "an open store has slots tomorrow"
    first = body["slots"][0]
    assert set(first) >= {"slot_id", "start", "end", "capacity", "available"}
    assert first["start"].startswith(day.isoformat())
    assert first["available"] == first["capacity"]


def test_far_ahead_day_gets_slots_created(client: TestClient, sqlite_db: Database):
    day = open_day(tomorrow(sqlite_db, "riverside") + timedelta(days=40))
    body = client.get(f"/v1/stores/riverside/pickup-slots?date={day}").json()
    # the seeded stores open every day of the week
    assert body["slots"]
    again = client.get(f"/v1/stores/riverside/pickup-slots?date={day}").json()
    assert [s["slot_id"] for s in again["slots"]] == [s["slot_id"] for s in body["slots"]]


@pytest.mark.parametrize(
    ("day", "code"), [("2020-01-01", "date-in-past"), ("2999-01-01", "date-out-of-range")]
)
def test_slot_dates_out_of_range_refused(client: TestClient, day: str, code: str):
    response = client.get(f"/v1/stores/riverside/pickup-slots?date={day}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_book_reschedule_cancel(any_client: TestClient, any_db: Database):
    headers = bearer(token_for(any_db, "alice"))
    first = future_slot(any_db, "riverside")
    response = any_client.post("/v1/me/pickups", json={"slot_id": first}, headers=headers)
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["slot"]["slot_id"] == first
    assert booked(any_db, first) == (1, 1)

    second = first + 1
    moved = any_client.patch(
        f"/v1/me/pickups/{booking['booking_id']}", json={"slot_id": second}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot"]["slot_id"] == second
    assert booked(any_db, first) == (0, 0)
    assert booked(any_db, second) == (1, 1)

    listed = any_client.get("/v1/me/pickups", headers=headers).json()["bookings"]
    assert [b["booking_id"] for b in listed] == [booking["booking_id"]]

    gone = any_client.delete(f"/v1/me/pickups/{booking['booking_id']}", headers=headers)
    assert gone.status_code == 200
    assert gone.json()["status"] == "cancelled"
    assert booked(any_db, second) == (0, 0)


def test_full_slot_offers_nearest_free_and_reschedule_keeps_old(
    client: TestClient, sqlite_db: Database
):
    full = future_slot(sqlite_db, "riverside", capacity=1)
    alice = bearer(token_for(sqlite_db, "alice"))
    bob = bearer(token_for(sqlite_db, "bob"))
    assert client.post("/v1/me/pickups", json={"slot_id": full}, headers=alice).status_code == 201
    other = full + 3
    bob_booking = client.post("/v1/me/pickups", json={"slot_id": other}, headers=bob).json()

    refused = client.post("/v1/me/pickups", json={"slot_id": full}, headers=bob)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "slot-full"
    assert error["alternatives"], "the nearest free slots are offered"
    assert full not in [s["slot_id"] for s in error["alternatives"]]

    moved = client.patch(
        f"/v1/me/pickups/{bob_booking['booking_id']}", json={"slot_id": full}, headers=bob
    )
    assert moved.status_code == 409
    assert booked(sqlite_db, other) == (1, 1), "a refused reschedule keeps the old slot"
    assert booked(sqlite_db, full) == (1, 1)


def concurrent_bookings(db: Database, slot_id: int, customers: int) -> list[httpx.Response]:
    tokens = [token_for(db, handle) for handle in customer_handles(db, customers)]
    with live_server(db) as url, httpx.Client(base_url=url, timeout=60) as http:

        def book(token: str) -> httpx.Response:
            return http.post("/v1/me/pickups", json={"slot_id": slot_id}, headers=bearer(token))

        with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
            return list(pool.map(book, tokens))


def customer_handles(db: Database, count: int) -> list[str]:
    summary = seed(db, customers=count)
    return summary.customers


@pytest.mark.slow
@pytest.mark.parametrize("capacity", [1, 7])
def test_hundred_concurrent_bookings_never_overbook(any_db: Database, capacity: int):
    slot_id = future_slot(any_db, "harbour", capacity=capacity)
    responses = concurrent_bookings(any_db, slot_id, 100)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == capacity
    assert statuses.count(409) == 100 - capacity
    assert all(r.json()["error"]["code"] == "slot-full" for r in responses if r.status_code == 409)
    assert booked(any_db, slot_id) == (capacity, capacity)
