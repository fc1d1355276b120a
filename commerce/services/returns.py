"""Returns in store: a return authorisation for part of an order line, made exactly once per
idempotency key, with a short code to show at the store's pickup desk (attached to the
customer's next pickup when they have one); the desk receiving the goods issues the refund.

The policy (window, perishables, never more than bought) is ``returns_policy``; refunds go
back to the order's original payment, or, as the customer chose, to loyalty points through
``credit_points`` (the loyalty hook).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import Customer, Order, OrderLine, PickupBooking, PickupSlot, Product
from commerce.services import orders, pickups
from commerce.services.common import check_idempotency_key, get_store, money, newest
from commerce.services.returns_policy import POLICY, ReturnPolicy, check
from commerce.tables_returns import Return

# Codes are read aloud and typed at a desk: no letters or digits that sound or look alike
# (B/D/E/P/V/3, M/N, O/0, I/1/L, S/5, Z/2, G/J, U/Q/W).
CODE_ALPHABET = "ACFHKRTXY4679"
CODE_LENGTH = 6


@dataclass(frozen=True)
class ReturnRequest:
    order_id: int
    sku: str
    quantity: int
    reason: str
    refund_to: str = "payment"

    def digest(self) -> str:
        said = f"{self.order_id}|{self.sku}|{self.quantity}|{self.reason}|{self.refund_to}"
        return hashlib.sha256(said.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _line(session: Session, customer: Customer, order_id: int, sku: str) -> OrderLine:
    """The customer's order line, locked until the transaction ends (two returns of one line
    at once are taken one after the other: never more back than was bought)."""
    orders.get_order(session, customer, order_id)  # 404 for an order not theirs
    line = session.scalar(
        select(OrderLine)
        .join(Product, OrderLine.product_id == Product.id)
        .where(OrderLine.order_id == order_id, Product.sku == sku)
        .with_for_update(of=OrderLine)
    )
    if line is None:
        raise CommerceError("order-line-not-found", f"Order {order_id} has no {sku}.", 404)
    return line


def _returned(session: Session, line: OrderLine) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Return.quantity), 0)).where(
                Return.order_line_id == line.id
            )
        )
        or 0
    )


def _next_pickup(session: Session, customer: Customer, now: datetime) -> PickupBooking | None:
    """The customer's next pickup still to come: a return rides along with it."""
    return next((b for b in pickups.bookings(session, customer) if b.slot.start > now), None)


def _assess(
    session: Session,
    customer: Customer,
    request: ReturnRequest,
    now: datetime,
    policy: ReturnPolicy,
) -> tuple[OrderLine, int, PickupBooking | None]:
    """(the line, the refund in pence, the pickup it rides along with) or the refusal."""
    line = _line(session, customer, request.order_id, request.sku)
    order = session.get_one(Order, line.order_id)
    refund = check(order, line, request.quantity, request.reason, _returned(session, line), now,
                   policy)  # fmt: skip
    return line, refund, _next_pickup(session, customer, now)


def assess(
    session: Session,
    customer: Customer,
    request: ReturnRequest,
    now: datetime | None = None,
    policy: ReturnPolicy = POLICY,
) -> dict[str, Any]:
    """What the return would be (read back before the customer's yes), or the refusal."""
    now = now or datetime.now(UTC)
    line, refund, booking = _assess(session, customer, request, now, policy)
    order = session.get_one(Order, line.order_id)
    store_id = booking.slot.store_id if booking else order.store_id
    store = get_store(session, store_id)
    return {
        "order_id": order.id,
        "sku": request.sku,
        "name": line.product.name,
        "quantity": request.quantity,
        "reason": request.reason,
        "refund_to": request.refund_to,
        "refund": money(refund),
        "currency": "GBP",
        "returnable": line.quantity - _returned(session, line),
        "store_id": store.id,
        "store_name": store.name,
        "pickup_start": _local(booking.slot.start, store.timezone) if booking else None,
    }


def _existing(session: Session, customer: Customer, key: str, digest: str) -> Return | None:
    found = session.scalar(
        select(Return).where(Return.customer_id == customer.id, Return.idempotency_key == key)
    )
    if found is not None and found.request_hash != digest:
        raise CommerceError(
            "idempotency-key-reused",
            "This Idempotency-Key was already used for a different request.",
            409,
        )
    return found


def create(
    db: Database,
    customer_id: int,
    request: ReturnRequest,
    key: str,
    now: datetime | None = None,
    policy: ReturnPolicy = POLICY,
) -> tuple[dict[str, Any], bool]:
    """Authorise the return once per key; (the return, created). A repeat with the key gets
    the same return back, a concurrent one too (the unique key decides)."""
    check_idempotency_key(key)
    now = now or datetime.now(UTC)
    for _attempt in range(5):
        try:
            with db.session(write=True) as session:
                customer = session.get_one(Customer, customer_id)
                existing = _existing(session, customer, key, request.digest())
                if existing is not None:
                    return return_dict(session, existing), False
                line, refund, booking = _assess(session, customer, request, now, policy)
                order = session.get_one(Order, line.order_id)
                made = Return(
                    code=new_code(),
                    customer_id=customer.id,
                    order_id=order.id,
                    order_line_id=line.id,
                    quantity=request.quantity,
                    reason=request.reason,
                    refund_to=request.refund_to,
                    refund_cents=refund,
                    store_id=booking.slot.store_id if booking else order.store_id,
                    booking_id=booking.id if booking else None,
                    status="authorised",
                    created_at=now,
                    idempotency_key=key,
                    request_hash=request.digest(),
                )
                session.add(made)
                session.flush()  # the key and the code are claimed here
                return return_dict(session, made), True
        except IntegrityError:
            continue  # a concurrent repeat won (read its return next), or the code was taken
    raise CommerceError("return-conflict", "The return could not be made; try again.", 409)


def mine(session: Session, customer: Customer, limit: int = 20) -> list[Return]:
    return newest(session, Return, customer.id, limit)


def credit_points(session: Session, made: Return, now: datetime) -> bool:
    """THE LOYALTY HOOK: credit a return refunded as points (``made.refund_cents`` pence)
    to its customer's loyalty balance; True once credited.

    Not connected yet: loyalty is built beside this. Until it is, nothing is credited and
    the received return keeps ``refunded_at`` empty, so none is lost when it is connected."""
    return False


def receive(session: Session, code: str, now: datetime | None = None) -> Return:
    """The store's desk took the goods back: the refund is issued — to the order's original
    payment at once, or as points through ``credit_points``. Once only (``409
    return-already-received``)."""
    now = now or datetime.now(UTC)
    made = session.scalar(
        select(Return).where(Return.code == code.upper()).with_for_update(of=Return)
    )
    if made is None:
        raise CommerceError("return-not-found", f"No return {code!r}.", 404)
    if made.status != "authorised":
        raise CommerceError("return-already-received", f"Return {code} is back already.", 409)
    made.status = "received"
    made.received_at = now
    if made.refund_to == "payment" or credit_points(session, made, now):
        made.refunded_at = now
    session.flush()
    return made


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).isoformat()


def return_dict(session: Session, made: Return) -> dict[str, Any]:
    store = get_store(session, made.store_id)
    slot = (
        session.scalar(
            select(PickupSlot)
            .join(PickupBooking, PickupBooking.slot_id == PickupSlot.id)
            .where(PickupBooking.id == made.booking_id)
        )
        if made.booking_id
        else None
    )
    return {
        "return_id": made.id,
        "code": made.code,
        "status": made.status,
        "order_id": made.order_id,
        "sku": made.line.product.sku,
        "name": made.line.product.name,
        "quantity": made.quantity,
        "reason": made.reason,
        "refund_to": made.refund_to,
        "refund": money(made.refund_cents),
        "currency": "GBP",
        "store_id": store.id,
        "store_name": store.name,
        "pickup_start": _local(slot.start, store.timezone) if slot else None,
        "created_at": _local(made.created_at, store.timezone),
        "refunded_at": _local(made.refunded_at, store.timezone) if made.refunded_at else None,
    }
