"""The servers of a test stack run on the clock the test chose (tests/clock/), not the machine's.

This module starts a stack of its own on a Wednesday night at 23:44 in Wrenford (one more
stack, about a minute): the hours of "today" are Wednesday's, the harbour store is closed now
and opens tomorrow, and a pickup "tomorrow" is booked on Thursday in the commerce database.
The other end-to-end tests use the shared stack on a Wednesday morning (``test_trust.py``: the
harbour store is open now).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from assistant.chat import ChatSession
from commerce.models import Customer, PickupBooking, Store
from tests.clock.fixed_clock import FixedClock
from tests.own_stack import own_dialogue, own_shop, own_stack  # noqa: F401 - fixtures
from tests.stack import Shop

LATE = datetime.fromisoformat("2027-06-16T23:44:00+01:00")  # a Wednesday, 16 minutes to midnight


@pytest.fixture(scope="module")
def stack_clock() -> FixedClock:
    return FixedClock(LATE)


def test_the_servers_run_on_the_clock_the_test_chose(
    start_chat: Callable[..., ChatSession], shop: Shop
) -> None:
    chat = start_chat("alice")
    weekday = LATE.strftime("%A")

    hours = chat.turn(f"what are the opening hours on {weekday.lower()}")
    assert hours["responses"] == ["utter_store_hours"], hours
    reply = hours["replies"][0]
    assert " today " in reply, f"{weekday} is today: {hours}"
    assert weekday not in reply, hours

    asked = chat.turn("is the harbour store open now")
    assert asked["responses"] == ["utter_store_closed_now"], asked
    assert "Greenleaf Harbour" in asked["replies"][0]
    assert "tomorrow" in asked["replies"][0], asked

    booked = chat.turn("book a pickup tomorrow at 10 am")
    assert booked["responses"] == ["utter_pickup_booked"], booked
    with shop.db.session() as session:
        customer = session.scalars(select(Customer).where(Customer.handle == "alice")).one()
        booking = session.scalars(
            select(PickupBooking).where(
                PickupBooking.customer_id == customer.id, PickupBooking.status == "active"
            )
        ).one()
        store = session.get(Store, booking.slot.store_id)
        assert store is not None
        start = booking.slot.start.astimezone(ZoneInfo(store.timezone))
    assert start.date() == LATE.date() + timedelta(days=1), start
    assert (start.hour, start.minute) == (10, 0), start
