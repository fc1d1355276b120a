"""Pickup slots per store and the customers' bookings of them.

A slot is never booked past its capacity: every booking is one conditional
``UPDATE ... SET booked = booked + 1 WHERE booked < capacity``, atomic on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import Customer, Order, PickupBooking, PickupSlot, Store
from commerce.services.common import get_store
from commerce.services.store_finder import closed_for, hours_on

MAX_DAYS_AHEAD = 60
NEAREST_FREE = 3
# Days every store is closed, whatever its weekly hours: (month, day) -> the day's name. Large
# shops in England and Wales may not open on Christmas Day (Christmas Day (Trading) Act 2004).
CLOSED_DAYS: dict[tuple[int, int], str] = {(12, 25): "Christmas Day"}


def closed_on(day: date) -> str | None:
    """The name of the holiday on which every store is closed, if ``day`` is one."""
    return CLOSED_DAYS.get((day.month, day.day))


def closed_dates(today: date, days: int = MAX_DAYS_AHEAD) -> list[dict[str, str]]:
    """The closed days from ``today`` to ``days`` ahead: [{"date", "name"}]."""
    found = []
    for ahead in range(days + 1):
        day = today + timedelta(days=ahead)
        name = closed_on(day)
        if name:
            found.append({"date": day.isoformat(), "name": name})
    return found


def local_today(store: Store, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(store.timezone)).date()


def slot_times(store: Store, day: date) -> list[tuple[datetime, datetime]]:
    """The (start, end) UTC windows of ``store`` on its local ``day`` (its special hours that
    day, else its weekly ones)."""
    hours = hours_on(store, day)
    if not hours or closed_on(day):
        return []
    zone = ZoneInfo(store.timezone)
    opens = datetime.combine(day, time.fromisoformat(hours[0]), zone)
    closes = datetime.combine(day, time.fromisoformat(hours[1]), zone)
    step = timedelta(minutes=store.slot_minutes)
    windows = []
    start = opens + timedelta(hours=1)  # picking needs an hour after opening
    while start + step <= closes:
        windows.append((start.astimezone(UTC), (start + step).astimezone(UTC)))
        start += step
    return windows


def ensure_slots(session: Session, store: Store, day: date) -> None:
    """Create the store's slots for ``day`` if missing (safe when run concurrently)."""
    rows = [
        {
            "store_id": store.id,
            "start": start,
            "end": end,
            "capacity": store.slot_capacity,
            "booked": 0,
        }
        for start, end in slot_times(store, day)
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(PickupSlot).values(rows).on_conflict_do_nothing(index_elements=["store_id", "start"])
    )


def _day_bounds(store: Store, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(store.timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    return start, start + timedelta(days=1)


def check_day(store: Store, day: date, now: datetime | None = None) -> None:
    today = local_today(store, now)
    if day < today:
        raise CommerceError("date-in-past", f"{day.isoformat()} has already gone.", 400)
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise CommerceError(
            "date-out-of-range", f"Pickups can be booked up to {MAX_DAYS_AHEAD} days ahead.", 400
        )
    holiday = closed_on(day) or closed_for(store, day)
    if holiday:
        raise CommerceError(
            "store-closed",
            f"{store.name} is closed on {holiday}.",
            400,
            {"date": day.isoformat(), "holiday": holiday},
        )


def slots_on(session: Session, store: Store, day: date) -> list[PickupSlot]:
    start, end = _day_bounds(store, day)
    return list(
        session.scalars(
            select(PickupSlot)
            .where(PickupSlot.store_id == store.id, PickupSlot.start >= start)
            .where(PickupSlot.start < end)
            .order_by(PickupSlot.start)
        )
    )


def slot_dict(slot: PickupSlot, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "slot_id": slot.id,
        "store_id": slot.store_id,
        "start": slot.start.astimezone(zone).isoformat(),
        "end": slot.end.astimezone(zone).isoformat(),
        "capacity": slot.capacity,
        "available": max(slot.capacity - slot.booked, 0),
    }


def list_slots(
    session: Session, store_id: str, day: date, now: datetime | None = None
) -> dict[str, Any]:
    """Slots of a store on a local day that have not started yet."""
    store = get_store(session, store_id)
    check_day(store, day, now)
    now = now or datetime.now(UTC)
    zone = ZoneInfo(store.timezone)
    slots = [s for s in slots_on(session, store, day) if s.start > now and within_hours(store, s)]
    return {
        "store_id": store.id,
        "date": day.isoformat(),
        "timezone": store.timezone,
        "slots": [slot_dict(s, zone) for s in slots],
    }


def has_slots(session: Session, store: Store, day: date) -> bool:
    start, end = _day_bounds(store, day)
    first = session.scalar(
        select(PickupSlot.id)
        .where(PickupSlot.store_id == store.id, PickupSlot.start >= start)
        .where(PickupSlot.start < end)
        .limit(1)
    )
    return first is not None


def get_slot(session: Session, slot_id: int, now: datetime | None = None) -> PickupSlot:
    slot = session.get(PickupSlot, slot_id)
    if slot is None:
        raise CommerceError("slot-not-found", f"No pickup slot {slot_id}.", 404)
    if slot.start <= (now or datetime.now(UTC)):
        raise CommerceError("slot-in-past", "That pickup slot has already started.", 409)
    store = session.get(Store, slot.store_id)
    local_day = slot.start.astimezone(ZoneInfo(store.timezone if store else "UTC")).date()
    holiday = closed_on(local_day) or (closed_for(store, local_day) if store else None)
    if holiday:  # a slot made before the day was known to be closed
        raise CommerceError(
            "store-closed",
            f"The store is closed on {holiday}.",
            409,
            {"date": local_day.isoformat(), "holiday": holiday},
        )
    if store is not None and not within_hours(store, slot):  # special hours set since
        raise CommerceError("store-closed", "The store is not open then.", 409)
    return slot


def within_hours(store: Store, slot: PickupSlot) -> bool:
    """Whether ``slot`` lies in the store's hours that day (special hours set after the
    day's slots were made can leave some outside)."""
    zone = ZoneInfo(store.timezone)
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)
    hours = hours_on(store, start.date())
    if not hours:
        return False
    return hours[0] <= f"{start:%H:%M}" and f"{end:%H:%M}" <= hours[1]


def nearest_free(session: Session, slot: PickupSlot, now: datetime | None = None) -> list[dict]:
    """The free slots of the same store closest in time to ``slot``."""
    now = now or datetime.now(UTC)
    window = timedelta(days=2)
    candidates = session.scalars(
        select(PickupSlot).where(
            PickupSlot.store_id == slot.store_id,
            PickupSlot.id != slot.id,
            PickupSlot.booked < PickupSlot.capacity,
            PickupSlot.start > now,
            PickupSlot.start >= slot.start - window,
            PickupSlot.start <= slot.start + window,
        )
    ).all()
    ranked = sorted(candidates, key=lambda s: (abs(s.start - slot.start), s.start))
    store = session.get(Store, slot.store_id)
    zone = ZoneInfo(store.timezone if store else "UTC")
    return [slot_dict(s, zone) for s in ranked[:NEAREST_FREE]]


def claim(session: Session, slot: PickupSlot, now: datetime | None = None) -> None:
    """Take one place in ``slot`` or raise ``slot-full`` with the nearest free slots."""
    result = session.execute(
        update(PickupSlot)
        .where(PickupSlot.id == slot.id, PickupSlot.booked < PickupSlot.capacity)
        .values(booked=PickupSlot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CommerceError(
            "slot-full",
            "That pickup slot is full.",
            409,
            {"alternatives": nearest_free(session, slot, now)},
        )
    session.expire(slot)


def release(session: Session, slot_id: int) -> None:
    session.execute(
        update(PickupSlot)
        .where(PickupSlot.id == slot_id, PickupSlot.booked > 0)
        .values(booked=PickupSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    cached = session.identity_map.get(session.identity_key(PickupSlot, slot_id))
    if cached is not None:
        session.expire(cached)


def active_booking(session: Session, customer: Customer, slot_id: int) -> PickupBooking | None:
    return session.scalar(
        select(PickupBooking).where(
            PickupBooking.customer_id == customer.id,
            PickupBooking.slot_id == slot_id,
            PickupBooking.status == "active",
        )
    )


def book(
    session: Session, customer: Customer, slot_id: int, now: datetime | None = None
) -> PickupBooking:
    slot = get_slot(session, slot_id, now)
    if active_booking(session, customer, slot_id) is not None:
        raise CommerceError("already-booked", "You already have this pickup slot.", 409)
    claim(session, slot, now)
    booking = PickupBooking(customer_id=customer.id, slot_id=slot.id, status="active")
    session.add(booking)
    session.flush()
    session.refresh(booking)
    return booking


def get_booking(session: Session, customer: Customer, booking_id: int) -> PickupBooking:
    booking = session.get(PickupBooking, booking_id)
    if booking is None or booking.customer_id != customer.id or booking.status != "active":
        raise CommerceError("booking-not-found", f"No pickup booking {booking_id}.", 404)
    return booking


def reschedule(
    session: Session,
    customer: Customer,
    booking_id: int,
    slot_id: int,
    now: datetime | None = None,
) -> PickupBooking:
    """Move a booking; on any refusal the old slot stays booked."""
    booking = get_booking(session, customer, booking_id)
    if booking.slot_id == slot_id:
        return booking
    new_slot = get_slot(session, slot_id, now)
    if active_booking(session, customer, slot_id) is not None:
        raise CommerceError("already-booked", "You already have that pickup slot.", 409)
    claim(session, new_slot, now)
    release(session, booking.slot_id)
    booking.slot_id = new_slot.id
    for order in session.scalars(select(Order).where(Order.booking_id == booking.id)):
        if order.store_id != new_slot.store_id:
            raise CommerceError(
                "store-mismatch", "An order's pickup can only move within its store.", 409
            )
        order.pickup_start = new_slot.start
    session.flush()
    session.refresh(booking)
    return booking


def cancel(session: Session, customer: Customer, booking_id: int) -> PickupBooking:
    booking = get_booking(session, customer, booking_id)
    placed = session.scalar(
        select(Order.id).where(Order.booking_id == booking.id, Order.status == "placed")
    )
    if placed is not None:
        raise CommerceError(
            "booking-has-order",
            "An order is waiting in this slot; reschedule it instead.",
            409,
        )
    booking.status = "cancelled"
    release(session, booking.slot_id)
    session.flush()
    return booking


def bookings(session: Session, customer: Customer) -> list[PickupBooking]:
    return list(
        session.scalars(
            select(PickupBooking)
            .join(PickupSlot)
            .where(PickupBooking.customer_id == customer.id, PickupBooking.status == "active")
            .order_by(PickupSlot.start)
        )
    )


def booking_dict(session: Session, booking: PickupBooking) -> dict[str, Any]:
    store = session.get(Store, booking.slot.store_id)
    zone = ZoneInfo(store.timezone if store else "UTC")
    return {
        "booking_id": booking.id,
        "status": booking.status,
        "store_id": booking.slot.store_id,
        "store_name": store.name if store else None,
        "slot": slot_dict(booking.slot, zone),
        # the order collected in this booking, if one was placed (a new order needs a new one)
        "order_id": session.scalar(
            select(Order.id).where(Order.booking_id == booking.id, Order.status != "cancelled")
        ),
    }
