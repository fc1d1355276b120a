"""A customer's data rights: a copy of everything the shop keeps about them, and erasure.

Erasure keeps what the shop must keep for its accounts — the orders, their lines and totals,
and returns — as records of an anonymous customer: the customer row stays (orders point at
it) with every personal value removed; basket, quotes, feedback (the customer's own words),
PIN tickets and tokens are deleted, upcoming pickups cancelled (their capacity released),
home devices unbound. An order still waiting for pickup blocks erasure
(``409 erase-open-orders``): it must be collected or cancelled first, so that erasing never
cancels a purchase by surprise.

Both need the PIN of a customer who has one (a ticket from ``POST /v1/me/pin/verify``, or a
kiosk token issued after a PIN sign-in). ``subject`` is the customer's pseudonymous key in the
assistant's conversation store: the assistant erases the conversations filed under it. This
service reaches neither that store nor the gateways' sessions (it stands alone), so erasure
writes an ``ErasureRequest`` in the same transaction; the assistant's side reads the requests
(``/v1/operator/erasures``), erases the conversations and sessions, and marks them done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import (
    ApiToken,
    BasketItem,
    Customer,
    Device,
    ErasureRequest,
    Order,
    PickupBooking,
    PinTicket,
    Quote,
)
from commerce.services import (
    auth,
    basket,
    feedback,
    loyalty,
    orders,
    pickups,
    preferences,
    returns,
)
from commerce.tables_returns import Feedback, Return
from commerce.tables_stores import CustomerSettings

ERASURE_DONE_KEPT = timedelta(hours=1)  # a done request stays listed this long, then goes


def _prove(session: Session, customer: Customer, pin_ticket: str | None, now: datetime) -> None:
    """The PIN check of a request about the customer's own data (none without a PIN)."""
    if customer.pin_hash is None:
        return
    if pin_ticket is None:
        raise CommerceError(
            "pin-required",
            "Say your PIN first: send the ticket from POST /v1/me/pin/verify as Pin-Ticket.",
            403,
        )
    auth.redeem_ticket(session, customer, pin_ticket, now)


def _active(customer: Customer) -> None:
    if customer.erased_at is not None:
        raise CommerceError("customer-erased", "This account has been erased.", 410)


@dataclass(frozen=True)
class Proof:
    """Who asks for their own data and how they proved it is them: a PIN ticket, or a token
    issued after a PIN sign-in (``pin_verified``)."""

    customer_id: int
    pin_ticket: str | None = None
    pin_verified: bool = False


@contextmanager
def _proven(db: Database, who: Proof, now: datetime) -> Iterator[tuple[Session, Customer]]:
    """A write session on a customer still there who proved it is them (one transaction: a
    refusal after this leaves even the ticket unused)."""
    with db.session(write=True) as session:
        customer = session.get_one(Customer, who.customer_id)
        _active(customer)
        if not who.pin_verified:
            _prove(session, customer, who.pin_ticket, now)
        yield session, customer


def export(db: Database, who: Proof, now: datetime | None = None) -> dict[str, Any]:
    """Everything kept about the customer, in one document (the ticket is used up)."""
    now = now or datetime.now(UTC)
    with _proven(db, who, now) as (session, customer):
        history = session.scalars(
            select(Order).where(Order.customer_id == customer.id).order_by(Order.created_at)
        )
        bookings = session.scalars(
            select(PickupBooking)
            .where(PickupBooking.customer_id == customer.id)
            .order_by(PickupBooking.created_at)
        )
        devices = session.scalars(select(Device).where(Device.customer_id == customer.id))
        tokens = session.scalars(select(ApiToken).where(ApiToken.customer_id == customer.id))
        return {
            "exported_at": now.isoformat(),
            "profile": {
                "handle": customer.handle,
                "name": customer.name,
                "home_store_id": customer.home_store_id,
                "loyalty_number": customer.loyalty_number,
                "phone": customer.phone,
                "home_location": None
                if customer.home_latitude is None
                else {"latitude": customer.home_latitude, "longitude": customer.home_longitude},
                "has_pin": customer.pin_hash is not None,
                "subject": customer.subject,
            },
            "basket": basket.view(session, customer),
            "settings": preferences.settings_of(session, customer),
            "orders": [orders.order_dict(session, order, now) for order in history],
            "loyalty": loyalty.summary(session, customer, now, recent=1000),
            "pickups": [pickups.booking_dict(session, booking) for booking in bookings],
            "returns": [
                returns.return_dict(session, r) for r in returns.mine(session, customer, 1000)
            ],
            # what they told the shop, in their own words
            "feedback": [
                feedback.feedback_dict(session, f) for f in feedback.of_customer(session, customer)
            ],
            "devices": [
                {
                    "name": device.name,
                    "created_at": device.created_at.isoformat(),
                    "revoked_at": device.revoked_at.isoformat() if device.revoked_at else None,
                }
                for device in devices
            ],
            # when each sign-in token was made and ended; never the tokens themselves
            "tokens": [
                {
                    "created_at": token.created_at.isoformat(),
                    "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                    "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
                    "from_device": token.device_id is not None,
                }
                for token in tokens
            ],
        }


def erase(db: Database, who: Proof, now: datetime | None = None) -> dict[str, Any]:
    """Erase the customer (see the module's text); one transaction: all of it or nothing."""
    now = now or datetime.now(UTC)
    with _proven(db, who, now) as (session, customer):
        waiting = session.scalars(
            select(Order.id).where(Order.customer_id == customer.id, Order.status == "placed")
        ).all()
        if waiting:
            raise CommerceError(
                "erase-open-orders",
                "An order is still waiting for pickup: collect or cancel it, then erase.",
                409,
                {"order_ids": list(waiting)},
            )
        subject = customer.subject
        cancelled = 0
        for booking in pickups.bookings(session, customer):
            if booking.slot.start > now:
                booking.status = "cancelled"
                pickups.release(session, booking.slot_id)
                cancelled += 1
        session.execute(delete(BasketItem).where(BasketItem.customer_id == customer.id))
        session.execute(delete(CustomerSettings).where(CustomerSettings.customer_id == customer.id))
        session.execute(
            update(Order)
            .where(Order.customer_id == customer.id)
            .values(quote_id=None, idempotency_key=None, request_hash=None)
            .execution_options(synchronize_session=False)
        )
        # the points go; what a quote saved goes with the quote
        loyalty.erase(session, customer.id)
        session.execute(delete(Quote).where(Quote.customer_id == customer.id))
        # returns are kept as accounting records, like orders; what they said goes
        session.execute(
            update(Return)
            .where(Return.customer_id == customer.id)
            .values(idempotency_key=None, request_hash=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(Feedback).where(Feedback.customer_id == customer.id))
        session.execute(delete(PinTicket).where(PinTicket.customer_id == customer.id))
        session.execute(delete(ApiToken).where(ApiToken.customer_id == customer.id))
        session.execute(
            update(Device)
            .where(Device.customer_id == customer.id)
            .values(name="erased", revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        kept = len(session.scalars(select(Order.id).where(Order.customer_id == customer.id)).all())
        customer.handle = f"erased-{customer.id}"
        customer.name = ""
        customer.loyalty_number = f"ERASED-{customer.id}"
        customer.phone = None
        customer.pin_hash = None
        customer.failed_pin_attempts = 0
        customer.pin_locked_until = None
        customer.home_latitude = None
        customer.home_longitude = None
        customer.subject = None
        customer.erased_at = now
        if subject:  # the conversations filed under it: the assistant's side erases them
            session.add(ErasureRequest(subject=subject, requested_at=now))
        session.flush()
        return {
            "erased": True,
            "subject": subject,
            "pickups_cancelled": cancelled,
            "orders_kept_anonymised": kept,
        }


def erasure_dict(request: ErasureRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "subject": request.subject,
        "requested_at": request.requested_at.isoformat(),
        "done_at": request.done_at.isoformat() if request.done_at else None,
    }


def erasures(db: Database, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Erasure requests after ``after`` (by id), pending or done within
    ``ERASURE_DONE_KEPT``: every gateway process sees each one, done or not, to end its own
    sessions of that customer."""
    with db.session() as session:
        found = session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.id > after)
            .order_by(ErasureRequest.id)
            .limit(limit)
        )
        return [erasure_dict(request) for request in found]


def erasure_done(db: Database, request_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Mark a request done (once: the first time stays) and delete those done longer than
    ``ERASURE_DONE_KEPT`` ago. `404 erasure-not-found`."""
    now = now or datetime.now(UTC)
    with db.session(write=True) as session:
        request = session.get(ErasureRequest, request_id)
        if request is None:
            raise CommerceError("erasure-not-found", "No such erasure request.", 404)
        request.done_at = request.done_at or now
        session.execute(
            delete(ErasureRequest).where(ErasureRequest.done_at < now - ERASURE_DONE_KEPT)
        )
        session.flush()
        return erasure_dict(request)
