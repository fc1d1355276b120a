"""Finding a pickup slot from what the customer said, in the store's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from assistant.errors import CommerceError
from commerce.db import Database
from commerce.models import PickupSlot, Store
from commerce.services.when import find_slot, interpret
from tests.commerce.conftest import tomorrow

# Wednesday 16 June 2027, 09:15 in Wrenford (British Summer Time, UTC+1)
NOW = datetime(2027, 6, 16, 8, 15, tzinfo=UTC)
HOURS = {
    **{day: ["07:00", "22:00"] for day in ("monday", "tuesday", "wednesday", "thursday")},
    **{day: ["07:00", "22:00"] for day in ("friday", "saturday")},
    "sunday": ["10:00", "16:00"],
}


def riverside_like() -> Store:
    return Store(
        id="riverside",
        name="Greenleaf Riverside",
        address="14 Mill Quay",
        timezone="Europe/London",
        opening_hours=HOURS,
        slot_minutes=30,
        slot_capacity=4,
    )


@pytest.mark.parametrize(
    ("phrase", "start"),
    [
        ("tomorrow at five", "2027-06-17T17:00:00+01:00"),  # a bare 1-7 is the afternoon
        ("today at 3pm", "2027-06-16T15:00:00+01:00"),
        ("next tuesday at 10", "2027-06-22T10:00:00+01:00"),
        ("at half past four", "2027-06-16T16:30:00+01:00"),
        ("in two hours", "2027-06-16T11:15:00+01:00"),
        ("at five", "2027-06-16T17:00:00+01:00"),
        ("at 8", "2027-06-17T08:00:00+01:00"),  # 08:00 has gone today: tomorrow
        ("at 8 in the evening", "2027-06-16T20:00:00+01:00"),
        ("quarter to five tomorrow", "2027-06-17T16:45:00+01:00"),
        ("half four", "2027-06-16T16:30:00+01:00"),
        ("tomorrow at 17:30", "2027-06-17T17:30:00+01:00"),
        ("Tomorrow at five p.m.", "2027-06-17T17:00:00+01:00"),
        ("noon on saturday", "2027-06-19T12:00:00+01:00"),
        ("wednesday at 8am", "2027-06-23T08:00:00+01:00"),  # today's 8am has gone: next week
        ("saturday 10", "2027-06-19T10:00:00+01:00"),  # a lone number beside a day is an hour
        ("2027-06-17T16:00:00Z", "2027-06-17T17:00:00+01:00"),  # ISO, as an extractor sends
    ],
)
def test_exact_times(phrase, start):
    request = interpret(phrase, riverside_like(), NOW)
    assert request.start is not None
    assert request.start.isoformat() == start
    assert request.window_start == request.start


@pytest.mark.parametrize(
    ("phrase", "window"),
    [
        ("saturday morning", ("2027-06-19T08:00:00+01:00", "2027-06-19T12:00:00+01:00")),
        ("saturday lunchtime", ("2027-06-19T12:00:00+01:00", "2027-06-19T14:00:00+01:00")),
        ("friday afternoon", ("2027-06-18T12:00:00+01:00", "2027-06-18T17:00:00+01:00")),
        ("tomorrow evening", ("2027-06-17T17:00:00+01:00", "2027-06-17T22:00:00+01:00")),
        ("tonight", ("2027-06-16T17:00:00+01:00", "2027-06-16T22:00:00+01:00")),
        ("tomorrow", ("2027-06-17T07:00:00+01:00", "2027-06-17T22:00:00+01:00")),
        ("sunday", ("2027-06-20T10:00:00+01:00", "2027-06-20T16:00:00+01:00")),
        ("wednesday", ("2027-06-16T07:00:00+01:00", "2027-06-16T22:00:00+01:00")),
        ("the 20th", ("2027-06-20T10:00:00+01:00", "2027-06-20T16:00:00+01:00")),
        ("2027-06-20", ("2027-06-20T10:00:00+01:00", "2027-06-20T16:00:00+01:00")),
    ],
)
def test_windows(phrase, window):
    request = interpret(phrase, riverside_like(), NOW)
    assert request.start is None
    assert (request.window_start.isoformat(), request.window_end.isoformat()) == window


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("the moon", "when-not-understood"),
        ("   ", "when-not-understood"),
        ("at 25", "when-not-understood"),
        ("tonight on sunday", "when-not-understood"),
        ("today at 8am", "date-in-past"),
        ("yesterday", "date-in-past"),
        ("in 90 days", "date-out-of-range"),
    ],
)
def test_refusals(phrase, code):
    with pytest.raises(CommerceError) as caught:
        interpret(phrase, riverside_like(), NOW)
    assert (caught.value.code, caught.value.status) == (code, 400)


def test_not_understood_names_the_phrase():
    with pytest.raises(CommerceError) as caught:
        interpret("the moon", riverside_like(), NOW)
    assert caught.value.details == {"when": "the moon"}


# --- finding the slot in the database --------------------------------------------------------


def starts(found: dict) -> tuple[str | None, list[str]]:
    slot = found["slot"]["start"] if found["slot"] else None
    return slot, [s["start"] for s in found["alternatives"]]


def fill(db: Database, store_id: str, start: str) -> None:
    """Book ``store_id``'s slot starting at local ``start`` to capacity."""
    with db.session(write=True) as session:
        changed = session.execute(
            update(PickupSlot)
            .where(PickupSlot.store_id == store_id)
            .where(PickupSlot.start == datetime.fromisoformat(start).astimezone(UTC))
            .values(booked=PickupSlot.capacity)
        )
        assert changed.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's CursorResult


@pytest.mark.parametrize(
    ("phrase", "slot", "alternatives"),
    [
        (
            "tomorrow at five",
            "2027-06-17T17:00:00+01:00",
            ["2027-06-17T16:30:00+01:00", "2027-06-17T17:30:00+01:00", "2027-06-17T16:00:00+01:00"],
        ),
        (
            "today at 3pm",
            "2027-06-16T15:00:00+01:00",
            ["2027-06-16T14:30:00+01:00", "2027-06-16T15:30:00+01:00", "2027-06-16T14:00:00+01:00"],
        ),
        (
            "next tuesday at 10",
            "2027-06-22T10:00:00+01:00",
            ["2027-06-22T09:30:00+01:00", "2027-06-22T10:30:00+01:00", "2027-06-22T09:00:00+01:00"],
        ),
        (
            "at half past four",
            "2027-06-16T16:30:00+01:00",
            ["2027-06-16T16:00:00+01:00", "2027-06-16T17:00:00+01:00", "2027-06-16T15:30:00+01:00"],
        ),
        (  # 11:15 is inside the 11:00 slot
            "in two hours",
            "2027-06-16T11:00:00+01:00",
            ["2027-06-16T11:30:00+01:00", "2027-06-16T10:30:00+01:00", "2027-06-16T12:00:00+01:00"],
        ),
        (  # a window: its first free slot, then the next ones in it
            "saturday morning",
            "2027-06-19T08:00:00+01:00",
            ["2027-06-19T08:30:00+01:00", "2027-06-19T09:00:00+01:00", "2027-06-19T09:30:00+01:00"],
        ),
        (  # the whole open day; the first hour is for picking
            "tomorrow",
            "2027-06-17T08:00:00+01:00",
            ["2027-06-17T08:30:00+01:00", "2027-06-17T09:00:00+01:00", "2027-06-17T09:30:00+01:00"],
        ),
    ],
)
def test_slot_found_in_store_time(any_db: Database, phrase, slot, alternatives):
    found = find_slot(any_db, "riverside", phrase, NOW)
    assert found["when"] == phrase
    assert starts(found) == (slot, alternatives)
    assert found["slot"]["store_id"] == "riverside"
    assert found["slot"]["available"] > 0


def test_full_slot_is_none_with_the_nearest_free_ones(any_db: Database):
    find_slot(any_db, "riverside", "tomorrow at five", NOW)  # creates the day's slots
    fill(any_db, "riverside", "2027-06-17T17:00:00+01:00")
    fill(any_db, "riverside", "2027-06-17T17:30:00+01:00")
    found = find_slot(any_db, "riverside", "tomorrow at five", NOW)
    assert found["requested_start"] == "2027-06-17T17:00:00+01:00"
    assert starts(found) == (
        None,
        ["2027-06-17T16:30:00+01:00", "2027-06-17T16:00:00+01:00", "2027-06-17T18:00:00+01:00"],
    )


def test_full_window_start_moves_to_its_first_free_slot(any_db: Database):
    find_slot(any_db, "riverside", "saturday morning", NOW)
    for start in ("08:00", "08:30", "09:00"):
        fill(any_db, "riverside", f"2027-06-19T{start}:00+01:00")
    found = find_slot(any_db, "riverside", "saturday morning", NOW)
    assert found["window_start"] == "2027-06-19T08:00:00+01:00"
    assert found["window_end"] == "2027-06-19T12:00:00+01:00"
    assert found["slot"]["start"] == "2027-06-19T09:30:00+01:00"


def test_time_outside_opening_hours_offers_the_nearest(any_db: Database):
    found = find_slot(any_db, "riverside", "tomorrow at 6am", NOW)
    assert starts(found) == (
        None,
        ["2027-06-17T08:00:00+01:00", "2027-06-17T08:30:00+01:00", "2027-06-17T09:00:00+01:00"],
    )


def test_missing_slots_are_created(any_db: Database):
    day_start = datetime(2027, 6, 23, tzinfo=UTC)
    # The seed makes slots from today's real date on: on a date close enough to NOW it has
    # already made this day's, so they are removed first (the seed books none of them).
    with any_db.session(write=True) as session:
        session.execute(delete(PickupSlot).where(PickupSlot.start >= day_start))
    with any_db.session() as session:
        assert (
            session.scalars(
                select(PickupSlot.id).where(PickupSlot.start >= day_start).limit(1)
            ).first()
            is None
        )
    found = find_slot(any_db, "riverside", "next wednesday at noon", NOW)
    assert found["slot"]["start"] == "2027-06-23T12:00:00+01:00"


def test_when_is_read_in_the_stores_time_zone(any_db: Database):
    """At 03:00 UTC it is already Wednesday in Wrenford but still Tuesday in New York."""
    with any_db.session(write=True) as session:
        session.add(
            Store(
                id="test-new-york",
                name="Greenleaf Test Manhattan",
                address="1 Broadway, New York",
                timezone="America/New_York",
                opening_hours=HOURS,
                slot_minutes=30,
                slot_capacity=4,
            )
        )
    now = datetime(2027, 6, 16, 3, 0, tzinfo=UTC)
    new_york = find_slot(any_db, "test-new-york", "tomorrow at five", now)
    assert new_york["slot"]["start"] == "2027-06-16T17:00:00-04:00"
    wrenford = find_slot(any_db, "riverside", "tomorrow at five", now)
    assert wrenford["slot"]["start"] == "2027-06-17T17:00:00+01:00"


@pytest.mark.parametrize(
    ("phrase", "code"),
    [("the moon", "when-not-understood"), ("yesterday", "date-in-past")],
)
def test_find_slot_refusals(any_db: Database, phrase, code):
    with pytest.raises(CommerceError) as caught:
        find_slot(any_db, "riverside", phrase, NOW)
    assert caught.value.code == code


# --- the endpoint ------------------------------------------------------------------------------


# Instants where a clock-dependent answer could slip a day: a Saturday late evening (tomorrow is
# a Sunday), a Sunday, a month's end at 23:44, just after midnight, and a year's end in UTC.
INSTANTS = [
    "2027-06-19T23:44:00+01:00",
    "2027-06-20T12:00:00+01:00",
    "2027-06-30T23:44:00+01:00",
    "2027-07-01T00:15:00+01:00",
    "2027-12-31T23:44:00+00:00",
]


@pytest.mark.parametrize("instant", INSTANTS)
def test_endpoint_finds_tomorrow_at_noon(any_client: TestClient, any_db: Database, instant):
    with time_machine.travel(instant, tick=False):
        day = tomorrow(any_db, "old-town")
        response = any_client.get(
            "/v1/stores/old-town/pickup-slots/find", params={"when": "tomorrow at noon"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requested_start"].startswith(f"{day.isoformat()}T12:00:00")
    assert body["slot"]["start"] == body["requested_start"]
    assert len(body["alternatives"]) == 3
    assert body["slot"]["slot_id"] not in {s["slot_id"] for s in body["alternatives"]}


@pytest.mark.parametrize(
    ("store", "when", "status", "code"),
    [
        ("riverside", "the moon", 400, "when-not-understood"),
        ("riverside", "yesterday", 400, "date-in-past"),
        ("riverside", "in 90 days", 400, "date-out-of-range"),
        ("nowhere", "tomorrow", 404, "store-not-found"),
    ],
)
def test_endpoint_refusals(client: TestClient, store, when, status, code):
    response = client.get(f"/v1/stores/{store}/pickup-slots/find", params={"when": when})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


# --- the phrases customers used that were not understood or booked the wrong day ------------

# Thursday 17 June 2027, 00:15 in Wrenford: just after midnight, "tomorrow" is the 18th.
JUST_AFTER_MIDNIGHT = datetime(2027, 6, 16, 23, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "now", "start"),
    [
        ("tomorrow at 11am", NOW, "2027-06-17T11:00:00+01:00"),
        ("7 in the evening", NOW, "2027-06-16T19:00:00+01:00"),
        ("seven in the evening", NOW, "2027-06-16T19:00:00+01:00"),
        ("tomorrow 7 in the evening", NOW, "2027-06-17T19:00:00+01:00"),
        ("half five", NOW, "2027-06-16T17:30:00+01:00"),
        ("noon", NOW, "2027-06-16T12:00:00+01:00"),
        ("in two hours", NOW, "2027-06-16T11:15:00+01:00"),
        ("the day after tomorrow at 5 pm", NOW, "2027-06-18T17:00:00+01:00"),
        ("the day after tomorrow at 5 pm", JUST_AFTER_MIDNIGHT, "2027-06-19T17:00:00+01:00"),
        ("day after tomorrow at noon", JUST_AFTER_MIDNIGHT, "2027-06-19T12:00:00+01:00"),
        ("tomorrow at 5 pm", JUST_AFTER_MIDNIGHT, "2027-06-18T17:00:00+01:00"),
    ],
)
def test_everyday_times(phrase, now, start):
    request = interpret(phrase, riverside_like(), now)
    assert request.start is not None
    assert request.start.isoformat() == start


def test_the_day_after_tomorrow_is_a_whole_day():
    request = interpret("the day after tomorrow", riverside_like(), JUST_AFTER_MIDNIGHT)
    assert request.start is None
    assert request.window_start.isoformat() == "2027-06-19T07:00:00+01:00"


@pytest.mark.parametrize(
    ("phrase", "day"),
    [
        ("christmas eve at noon", "2027-12-24"),
        ("boxing day", "2027-12-26"),
        ("new year's eve", "2027-12-31"),
    ],
)
def test_holidays_are_dates(phrase, day):
    late_november = datetime(2027, 11, 30, 10, 0, tzinfo=UTC)
    assert interpret(phrase, riverside_like(), late_november).day.isoformat() == day


@pytest.mark.parametrize("phrase", ["christmas day", "xmas day at 10 am", "2027-12-25"])
def test_christmas_day_is_a_date_every_store_is_closed(phrase):
    """ "christmas day" at checkout booked a slot on it; in England large shops may not open."""
    late_november = datetime(2027, 11, 30, 10, 0, tzinfo=UTC)
    with pytest.raises(CommerceError) as caught:
        interpret(phrase, riverside_like(), late_november)
    assert caught.value.code == "store-closed"
    assert caught.value.details == {"date": "2027-12-25", "holiday": "Christmas Day"}


def test_christmas_in_june_is_too_far_ahead_not_misunderstood():
    with pytest.raises(CommerceError) as caught:
        interpret("christmas day", riverside_like(), NOW)
    assert caught.value.code == "date-out-of-range"


def test_endpoint_books_the_day_after_tomorrow_just_after_midnight(
    any_client: TestClient, any_db: Database
):
    with time_machine.travel("2027-07-01T00:15:00+01:00", tick=False):
        response = any_client.get(
            "/v1/stores/riverside/pickup-slots/find",
            params={"when": "the day after tomorrow at 5 pm"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["requested_start"] == "2027-07-03T17:00:00+01:00"
