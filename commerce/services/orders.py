"""Quotes, order placement (exactly once per quote and idempotency key) and order status."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import (
    BasketItem,
    Customer,
    Order,
    OrderLine,
    PickupBooking,
    PickupSlot,
    Product,
    Quote,
    Stock,
)
from commerce.services import auth, basket, pickups
from commerce.services.common import (
    check_idempotency_key,
    get_store,
    money,
    newest,
    stock_levels,
)


def create_quote(
    session: Session,
    customer: Customer,
    store_id: str,
    slot_id: int,
    ttl_seconds: int,
    now: datetime | None = None,
    pin_verified: bool = False,
) -> dict[str, Any]:
    """Price the basket for pickup at ``store_id`` in ``slot_id``; valid for ``ttl_seconds``.
    ``pin_verified``: the caller's token carries a proved PIN (the quote then needs none)."""
    now = now or datetime.now(UTC)
    store = get_store(session, store_id)
    slot = pickups.get_slot(session, slot_id, now)
    if slot.store_id != store.id:
        raise CommerceError("slot-not-found", f"Slot {slot_id} is not at {store.name}.", 404)
    booked = pickups.active_booking(session, customer, slot_id) is not None
    if not booked and slot.booked >= slot.capacity:
        raise CommerceError(
            "slot-full",
            "That pickup slot is full.",
            409,
            {"alternatives": pickups.nearest_free(session, slot, now)},
        )
    items = basket.items(session, customer)
    if not items:
        raise CommerceError("basket-empty", "The basket is empty.", 409)
    stock = stock_levels(session, store.id, (i.product_id for i in items))
    short = [i.product.sku for i in items if stock.get(i.product_id, 0) < i.quantity]
    if short:
        raise CommerceError(
            "out-of-stock",
            f"{len(short)} item(s) are not in stock at {store.name}.",
            409,
            {"skus": short},
        )
    lines = [
        {
            "product_id": i.product_id,
            "sku": i.product.sku,
            "quantity": i.quantity,
            "unit_price_cents": i.product.price_cents,
        }
        for i in items
    ]
    quote = Quote(
        id=str(uuid.uuid4()),
        customer_id=customer.id,
        store_id=store.id,
        slot_id=slot.id,
        lines=lines,
        total_cents=sum(i.quantity * i.product.price_cents for i in items),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(quote)
    session.flush()
    return quote_dict(session, quote, customer, pin_verified)


def quote_dict(
    session: Session, quote: Quote, customer: Customer, pin_verified: bool = False
) -> dict[str, Any]:
    store = get_store(session, quote.store_id)
    slot = session.get(PickupSlot, quote.slot_id)
    names = dict(
        session.execute(
            select(Product.id, Product.name).where(
                Product.id.in_([line["product_id"] for line in quote.lines])
            )
        ).all()
    )
    zone = ZoneInfo(store.timezone)
    return {
        "quote_id": quote.id,
        "store_id": store.id,
        "store_name": store.name,
        "slot_id": quote.slot_id,
        "slot": pickups.slot_dict(slot, zone) if slot else None,
        "lines": [
            {
                "sku": line["sku"],
                "name": names.get(line["product_id"], ""),
                "quantity": line["quantity"],
                "unit_price": money(line["unit_price_cents"]),
                "line_total": money(line["quantity"] * line["unit_price_cents"]),
            }
            for line in quote.lines
        ],
        "total": money(quote.total_cents),
        "currency": "GBP",
        "expires_at": quote.expires_at.isoformat(),
        "pin_required": customer.pin_hash is not None and not pin_verified,
    }


def _request_hash(quote_id: str) -> str:
    return hashlib.sha256(quote_id.encode()).hexdigest()


def _existing(session: Session, customer: Customer, key: str, quote_id: str) -> Order | None:
    """The order this request already produced, or a 409 when the key or quote was used.

    One statement reads both, so it sees one snapshot even under READ COMMITTED.
    """
    found = session.scalars(
        select(Order).where(
            or_(
                and_(Order.customer_id == customer.id, Order.idempotency_key == key),
                Order.quote_id == quote_id,
            )
        )
    ).all()
    for order in found:
        if order.customer_id == customer.id and order.idempotency_key == key:
            if order.request_hash != _request_hash(quote_id):
                raise CommerceError(
                    "idempotency-key-reused",
                    "This Idempotency-Key was already used for a different request.",
                    409,
                )
            return order
    if found and found[0].customer_id != customer.id:
        raise CommerceError("quote-not-found", "No such quote.", 404)
    if found:
        raise CommerceError(
            "quote-already-used",
            "This quote has already been ordered.",
            409,
            {"order_id": found[0].id},
        )
    return None


def place_order(
    db: Database,
    customer_id: int,
    quote_id: str,
    key: str,
    pin: str | None,
    now: datetime | None = None,
    pin_ticket: str | None = None,
    pin_verified: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Place the order for ``quote_id`` once; return (order, created).

    The customer's PIN comes as ``pin`` or as a ``pin_ticket`` from ``POST /v1/me/pin/verify``;
    the ticket is used up in the transaction that places the order, so a refused order leaves
    it valid; ``pin_verified`` (the caller's token carries a proved PIN) needs neither.
    Retries and concurrent repeats with the same key get the same order back (created False).
    """
    check_idempotency_key(key)
    now = now or datetime.now(UTC)
    if pin_ticket is None and not pin_verified:
        # The PIN check commits its failure count on its own, before anything is ordered.
        pin_error: CommerceError | None = None
        with db.session(write=True) as session:
            customer = session.get_one(Customer, customer_id)
            if _existing(session, customer, key, quote_id) is None:
                try:
                    auth.check_pin(customer, pin)
                except CommerceError as err:
                    pin_error = err
        if pin_error is not None:
            raise pin_error
    ticket_refused: CommerceError | None = None
    for _attempt in range(3):
        try:
            with db.session(write=True) as session:
                customer = session.get_one(Customer, customer_id)
                existing = _existing(session, customer, key, quote_id)
                if existing is not None:
                    return order_dict(session, existing, now), False
                if ticket_refused is not None:
                    raise ticket_refused
                if pin_ticket is not None:
                    auth.redeem_ticket(session, customer, pin_ticket, now)
                order = _place(session, customer, quote_id, key, now)
                return order_dict(session, order, now), True
        except IntegrityError:
            continue  # a concurrent repeat won the race: read its order on the next pass
        except CommerceError as err:
            if err.code != "pin-ticket-invalid" or ticket_refused is not None:
                raise
            # A concurrent repeat may have used the ticket for this very order: look again.
            ticket_refused = err
    raise CommerceError("order-conflict", "The order could not be placed; try again.", 409)


def _place(session: Session, customer: Customer, quote_id: str, key: str, now: datetime) -> Order:
    quote = session.get(Quote, quote_id)
    if quote is None or quote.customer_id != customer.id:
        raise CommerceError("quote-not-found", "No such quote.", 404)
    if quote.expires_at <= now:
        raise CommerceError("quote-expired", "The quote has expired; ask for a new one.", 410)
    ids = [line["product_id"] for line in quote.lines]
    prices = dict(
        session.execute(select(Product.id, Product.price_cents).where(Product.id.in_(ids))).all()
    )
    changed = [
        line["sku"]
        for line in quote.lines
        if prices.get(line["product_id"]) != line["unit_price_cents"]
    ]
    if changed:
        raise CommerceError(
            "price-changed",
            "Prices changed since the quote; ask for a new one.",
            409,
            {"skus": changed},
        )
    slot = pickups.get_slot(session, quote.slot_id, now)
    order = Order(
        customer_id=customer.id,
        store_id=quote.store_id,
        quote_id=quote.id,
        idempotency_key=key,
        request_hash=_request_hash(quote_id),
        status="placed",
        total_cents=quote.total_cents,
        pickup_start=slot.start,
        created_at=now,
    )
    session.add(order)
    session.flush()  # claims the quote and the key: a concurrent twin fails here
    short = []
    for line in quote.lines:
        result = session.execute(
            update(Stock)
            .where(
                Stock.store_id == quote.store_id,
                Stock.product_id == line["product_id"],
                Stock.quantity >= line["quantity"],
            )
            .values(quantity=Stock.quantity - line["quantity"])
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            short.append(line["sku"])
    if short:
        raise CommerceError(
            "stock-changed",
            "Some items sold out since the quote; ask for a new one.",
            409,
            {"skus": short},
        )
    booking = pickups.active_booking(session, customer, slot.id)
    if booking is None:
        pickups.claim(session, slot, now)
        booking = PickupBooking(customer_id=customer.id, slot_id=slot.id, status="active")
        session.add(booking)
        session.flush()
    order.booking_id = booking.id
    for line in quote.lines:
        order.lines.append(
            OrderLine(
                product_id=line["product_id"],
                quantity=line["quantity"],
                unit_price_cents=line["unit_price_cents"],
            )
        )
    session.execute(
        delete(BasketItem).where(
            BasketItem.customer_id == customer.id, BasketItem.product_id.in_(ids)
        )
    )
    session.flush()
    return order


def stage(order: Order, now: datetime) -> str:
    """Where the order is, in words a customer understands."""
    if order.status != "placed":
        return order.status
    if order.pickup_start and now >= order.pickup_start - timedelta(minutes=30):
        return "ready-for-pickup"
    return "being-prepared"


def order_dict(session: Session, order: Order, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    store = get_store(session, order.store_id)
    zone = ZoneInfo(store.timezone)
    return {
        "order_id": order.id,
        "status": order.status,
        "stage": stage(order, now),
        "store_id": store.id,
        "store_name": store.name,
        "pickup_start": order.pickup_start.astimezone(zone).isoformat()
        if order.pickup_start
        else None,
        "created_at": order.created_at.astimezone(zone).isoformat(),
        "total": money(order.total_cents),
        "currency": "GBP",
        "lines": [
            {
                "sku": line.product.sku,
                "name": line.product.name,
                "quantity": line.quantity,
                "unit_price": money(line.unit_price_cents),
            }
            for line in order.lines
        ],
    }


def cancel_order(
    session: Session, customer: Customer, order_id: int, now: datetime | None = None
) -> Order:
    """Cancel a placed order while it is still being prepared: its stock goes back to the
    store and its pickup slot is released. Once it is ready for pickup, collected or already
    cancelled it is refused (``409 order-not-cancellable``) and nothing changes."""
    now = now or datetime.now(UTC)
    order = get_order(session, customer, order_id)
    if stage(order, now) != "being-prepared":
        raise CommerceError(
            "order-not-cancellable",
            f"Order {order_id} is {stage(order, now)} and can no longer be cancelled.",
            409,
            {"stage": stage(order, now)},
        )
    order.status = "cancelled"
    for line in order.lines:
        session.execute(
            update(Stock)
            .where(Stock.store_id == order.store_id, Stock.product_id == line.product_id)
            .values(quantity=Stock.quantity + line.quantity)
            .execution_options(synchronize_session=False)
        )
    booking = session.get(PickupBooking, order.booking_id) if order.booking_id else None
    if booking is not None and booking.status == "active":
        booking.status = "cancelled"
        pickups.release(session, booking.slot_id)
    session.flush()
    return order


def history(session: Session, customer: Customer, limit: int = 20) -> list[Order]:
    return newest(session, Order, customer.id, limit)


def get_order(session: Session, customer: Customer, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None or order.customer_id != customer.id:
        raise CommerceError("order-not-found", f"No order {order_id}.", 404)
    return order
