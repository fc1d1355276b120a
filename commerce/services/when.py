"""When a customer wants to pick up, read from what they said, in the store's time zone.

``interpret`` turns a phrase such as "tomorrow at five", "saturday morning", "next tuesday at 10",
"at half past four" or "in two hours" into a :class:`PickupRequest`: an exact local time, or a
window (morning 08-12, lunchtime 12-14, afternoon 12-17, evening 17-closing, or a whole open
day). Times of day, parts of the day and "in N hours" are read apart (``when_words.py``); the
date that is left ("tomorrow", "saturday", "next tuesday", "3rd of december") is read by
dateparser relative to the store's local now, preferring dates to come. ISO dates and
date-times are taken as they are. A bare hour from 1 to 7 means the afternoon ("at five" is
17:00: nobody picks up groceries at 5 am). "The day after tomorrow" and fixed-date holidays
("christmas day", "boxing day", "new year's eve") are dates too. A time said without a date
that has already gone today means tomorrow; with "today" it is refused (``date-in-past``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select

from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import PickupSlot, Store
from commerce.services.common import WEEKDAYS, get_store
from commerce.services.pickups import (
    MAX_DAYS_AHEAD,
    NEAREST_FREE,
    check_day,
    ensure_slots,
    has_slots,
    local_today,
    slot_dict,
    within_hours,
)
from commerce.services.store_finder import hours_on
from commerce.services.when_words import (
    MAX_PHRASE,
    WEEKDAY_RE,
    hour24,
    parse_date,
    split_phrase,
)

__all__ = ["PARTS_OF_DAY", "PickupRequest", "find_slot", "interpret"]

# Parts of the day as local (start, end); None as the end means the store's closing time.
PARTS_OF_DAY: Final[dict[str, tuple[time, time | None]]] = {
    "morning": (time(8), time(12)),
    "lunchtime": (time(12), time(14)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), None),
}


@dataclass(frozen=True)
class PickupRequest:
    """What was asked for: an exact local ``start``, or only a window; times are aware."""

    when: str
    day: date
    start: datetime | None
    window_start: datetime
    window_end: datetime


def not_understood(when: str) -> CommerceError:
    return CommerceError(
        "when-not-understood",
        f"Could not tell when {when[:MAX_PHRASE]!r} is; try 'tomorrow at five'.",
        400,
        {"when": when[:MAX_PHRASE]},
    )


def open_hours(store: Store, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    hours = hours_on(store, day)  # a holiday's special hours, else the weekly ones
    if not hours:
        return None
    return (
        datetime.combine(day, time.fromisoformat(hours[0]), zone),
        datetime.combine(day, time.fromisoformat(hours[1]), zone),
    )


def _window(store: Store, day: date, part: str | None, zone: ZoneInfo) -> tuple[datetime, datetime]:
    hours = open_hours(store, day, zone)
    if part is None:
        if hours is None:  # closed all day: the whole day, which has no slots
            start = datetime.combine(day, time(0), zone)
            return start, start + timedelta(days=1)
        return hours
    begin, end = PARTS_OF_DAY[part]
    start = datetime.combine(day, begin, zone)
    if end is not None:
        return start, datetime.combine(day, end, zone)
    closes = hours[1] if hours else start
    return start, max(start, closes)


def _from_iso(when: str, zone: ZoneInfo) -> date | datetime | None:
    """An ISO date or date-time ("2027-06-17", "2027-06-17T17:00:00+01:00") in store time."""
    text = when.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]+)?", text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 10:
        return moment.date()
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def interpret(when: str, store: Store, now: datetime | None = None) -> PickupRequest:
    """Read ``when`` in ``store``'s time zone relative to ``now``.

    Raises ``when-not-understood`` (400) for a phrase that names no time, ``date-in-past`` or
    ``date-out-of-range`` (400, see :func:`commerce.services.pickups.check_day`).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    zone = ZoneInfo(store.timezone)
    local_now = now.astimezone(zone)
    slot_length = timedelta(minutes=store.slot_minutes)
    exact = _from_iso(when, zone)  # what a date picker or an entity extractor sends
    if isinstance(exact, datetime):
        check_day(store, exact.date(), now)
        if exact <= now:
            raise CommerceError("date-in-past", f"{when} has already gone.", 400)
        return PickupRequest(when, exact.date(), exact, exact, exact + slot_length)
    if isinstance(exact, date):
        check_day(store, exact, now)
        return PickupRequest(when, exact, None, *_window(store, exact, None, zone))
    said = split_phrase(when)

    if said.offset is not None:
        if said.clock is not None or said.part is not None or said.rest:
            raise not_understood(when)
        start = (now + said.offset).astimezone(zone)
        check_day(store, start.date(), now)
        return PickupRequest(when, start.date(), start, start, start + slot_length)

    today = local_now.date()
    day = today
    roll: timedelta | None = timedelta(days=1)  # how far to move a time that has gone
    if said.rest:
        weekday = WEEKDAY_RE.fullmatch(said.rest)
        parsed = parse_date(said.rest, local_now, store.timezone)
        if parsed is None or (said.this and parsed != today):  # "tonight" is not "sunday"
            raise not_understood(when)
        if weekday and WEEKDAYS.index(weekday[1]) == today.weekday():
            roll = timedelta(days=7)  # "saturday" on a Saturday: today, if it has not gone
        else:
            day, roll = parsed, None
    elif said.clock is None and said.part is None:
        raise not_understood(when)
    if said.this:
        roll = None

    if said.clock is not None:
        hour, minute, ampm = said.clock
        at = hour24(hour, minute, None if ampm == "exact" else ampm, said.part)
        start = datetime.combine(day, at, zone)
        if start <= local_now and roll is not None:
            day += roll
            start = datetime.combine(day, at, zone)
        check_day(store, day, now)
        if start <= local_now:
            raise CommerceError(
                "date-in-past", f"{start.strftime('%H:%M')} today has already gone.", 400
            )
        return PickupRequest(when, day, start, start, start + slot_length)

    window = _window(store, day, said.part, zone)
    if said.part is not None and window[1] <= local_now and day <= today and roll is not None:
        day += roll
        window = _window(store, day, said.part, zone)
    check_day(store, day, now)
    return PickupRequest(when, day, None, *window)


def _distance(slot: PickupSlot, request: PickupRequest) -> timedelta:
    """How far ``slot`` is from what was asked for: its start from the time, or the window."""
    if request.start is not None:
        return abs(slot.start - request.start)
    if slot.start < request.window_start:
        return request.window_start - slot.start
    if slot.start >= request.window_end:
        return slot.start - request.window_end
    return timedelta(0)


def find_slot(
    db: Database, store_id: str, when: str, now: datetime | None = None
) -> dict[str, Any]:
    """The free pickup slot at ``store_id`` for what the customer said, and the nearest others.

    An exact time gets the free slot starting at (or covering) it, a window its first free
    slot; ``slot`` is None when there is none. ``alternatives`` are the free slots nearest the
    time or window (at most three, within a day of it), for when the slot is full or missing.
    The store's slots for the day (and the days either side) are created first if missing.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with db.session() as session:
        store = get_store(session, store_id)
        request = interpret(when, store, now)
        today = local_today(store, now)
        days = [
            d
            for d in (request.day - timedelta(days=1), request.day, request.day + timedelta(days=1))
            if today <= d <= today + timedelta(days=MAX_DAYS_AHEAD)
        ]
        missing = [d for d in days if not has_slots(session, store, d)]
    if missing:
        with db.session(write=True) as session:
            store = get_store(session, store_id)
            for day in missing:
                ensure_slots(session, store, day)
    zone = ZoneInfo(store.timezone)
    earliest = max(now, datetime.combine(days[0], time(0), zone).astimezone(UTC))
    latest = datetime.combine(days[-1] + timedelta(days=1), time(0), zone).astimezone(UTC)
    with db.session() as session:
        here = get_store(session, store_id)  # read in this session: its special hours too
        free = [
            slot
            for slot in session.scalars(
                select(PickupSlot)
                .where(PickupSlot.store_id == store.id, PickupSlot.booked < PickupSlot.capacity)
                .where(PickupSlot.start > earliest, PickupSlot.start < latest)
                .order_by(PickupSlot.start)
            )
            if within_hours(here, slot)
        ]
    if request.start is not None:
        at = request.start
        chosen = next((s for s in free if s.start <= at < s.end), None)
    else:
        chosen = next(
            (s for s in free if request.window_start <= s.start < request.window_end), None
        )
    others = sorted(
        (s for s in free if s is not chosen), key=lambda s: (_distance(s, request), s.start)
    )
    return {
        **request_dict(request, zone),
        "slot": slot_dict(chosen, zone) if chosen is not None else None,
        "alternatives": [slot_dict(s, zone) for s in others[:NEAREST_FREE]],
    }


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def request_dict(request: PickupRequest, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "when": request.when,
        "requested_start": iso(request.start, zone),
        "window_start": iso(request.window_start, zone),
        "window_end": iso(request.window_end, zone),
    }
