"""Loyalty points, one customer across channels: earned on online orders and in-store
receipts, spent at checkout, given back when an order is cancelled.

The balance is the sum of the customer's ledger (``loyalty_entries``), one entry per order and
reason, so an order placed or cancelled twice never earns, spends or returns twice. A point is
worth a penny; a whole pound paid (after deals and points) earns one. The tier goes by the
points earned in the last 365 days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import Customer, Order, Quote
from commerce.services.common import money
from commerce.tables_money import CheckoutMoney, InStoreReceipt, LoyaltyEntry

POINT_VALUE_CENTS = 1  # what a point pays for
CENTS_PER_POINT_EARNED = 100  # a whole pound paid earns one point
TIER_YEAR = timedelta(days=365)
# (tier, points earned in a year to reach it), highest first
TIERS = (("gold", 750), ("silver", 250), ("green", 0))
EARNED, SPENT = "earned", "spent"
REVERSED = {EARNED: "earned-reversed", SPENT: "spent-returned"}


def points_earned(paid_cents: int) -> int:
    """Points an order paying ``paid_cents`` earns: one per whole pound, never negative."""
    return max(0, paid_cents) // CENTS_PER_POINT_EARNED


def points_to_spend(balance: int, payable_cents: int) -> int:
    """As many points as the balance has and the amount still to pay takes (never below 0)."""
    return max(0, min(balance, payable_cents // POINT_VALUE_CENTS))


def balance(session: Session, customer_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.customer_id == customer_id
        )
    )
    return int(total or 0)


def tier_for(earned_in_year: int) -> tuple[str, str | None, int]:
    """(tier, the next tier up or None, points still to earn for it)."""
    for index, (name, floor) in enumerate(TIERS):
        if earned_in_year >= floor:
            if index == 0:
                return name, None, 0
            up, up_floor = TIERS[index - 1]
            return name, up, up_floor - earned_in_year
    raise AssertionError("the lowest tier starts at 0")  # pragma: no cover


def earned_in_year(session: Session, customer_id: int, now: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.customer_id == customer_id,
            LoyaltyEntry.reason.in_([EARNED, REVERSED[EARNED]]),
            LoyaltyEntry.created_at > now - TIER_YEAR,
        )
    )
    return int(total or 0)


def record(
    session: Session, order: Order, reason: str, points: int, now: datetime
) -> LoyaltyEntry | None:
    """The order's entry for ``reason``, added once (an existing one is returned as it is)."""
    existing = session.scalar(
        select(LoyaltyEntry).where(LoyaltyEntry.order_id == order.id, LoyaltyEntry.reason == reason)
    )
    if existing is not None or points == 0:
        return existing
    entry = LoyaltyEntry(
        customer_id=order.customer_id,
        order_id=order.id,
        reason=reason,
        points=points,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def spend(session: Session, customer: Customer, order: Order, points: int, now: datetime) -> None:
    """Take ``points`` for ``order``; ``409 points-changed`` if the balance no longer has them
    (spent by another order since the quote). The customer's row is locked while checking."""
    if points <= 0:
        return
    session.scalar(select(Customer.id).where(Customer.id == customer.id).with_for_update())
    if balance(session, customer.id) < points:
        raise CommerceError(
            "points-changed",
            "The points balance changed since the quote; ask for a new one.",
            409,
            {"balance": balance(session, customer.id)},
        )
    record(session, order, SPENT, -points, now)


def earn(session: Session, order: Order, paid_cents: int, now: datetime) -> None:
    record(session, order, EARNED, points_earned(paid_cents), now)


def give_back(session: Session, order: Order, now: datetime) -> None:
    """A cancelled order: the points it spent come back, the points it earned go."""
    entries = session.scalars(
        select(LoyaltyEntry).where(
            LoyaltyEntry.order_id == order.id, LoyaltyEntry.reason.in_(REVERSED)
        )
    ).all()
    for entry in entries:
        record(session, order, REVERSED[entry.reason], -entry.points, now)


def credit_return(
    session: Session, customer_id: int, order_id: int, return_id: int, cents: int, now: datetime
) -> None:
    """A return refunded as points: ``cents`` in points, once per return (its own reason)."""
    reason = f"return-{return_id}"
    existing = session.scalar(
        select(LoyaltyEntry).where(LoyaltyEntry.order_id == order_id, LoyaltyEntry.reason == reason)
    )
    if existing is None:
        points = cents // POINT_VALUE_CENTS
        session.add(
            LoyaltyEntry(
                customer_id=customer_id,
                order_id=order_id,
                reason=reason,
                points=points,
                created_at=now,
            )
        )
        session.flush()


def summary(
    session: Session, customer: Customer, now: datetime | None = None, recent: int = 5
) -> dict[str, Any]:
    """The balance, what it is worth, the tier, and the latest changes with their channel."""
    now = now or datetime.now(UTC)
    points = balance(session, customer.id)
    tier, next_tier, to_next = tier_for(earned_in_year(session, customer.id, now))
    rows = session.execute(
        select(LoyaltyEntry, InStoreReceipt.order_id, Order.store_id)
        .join(Order, Order.id == LoyaltyEntry.order_id)
        .outerjoin(InStoreReceipt, InStoreReceipt.order_id == LoyaltyEntry.order_id)
        .where(LoyaltyEntry.customer_id == customer.id)
        .order_by(LoyaltyEntry.created_at.desc(), LoyaltyEntry.id.desc())
        .limit(recent)
    ).all()
    return {
        "loyalty_number": customer.loyalty_number,
        "points": points,
        "value": money(points * POINT_VALUE_CENTS),
        "tier": tier,
        "next_tier": next_tier,
        "points_to_next_tier": to_next,
        "recent": [
            {
                "order_id": entry.order_id,
                "reason": entry.reason,
                "points": entry.points,
                "channel": "in-store" if receipt is not None else "online",
                "store_id": store_id,
                "created_at": entry.created_at.isoformat(),
            }
            for entry, receipt, store_id in rows
        ],
    }


def erase(session: Session, customer_id: int) -> None:
    """Erasure (``services/privacy.py``): the customer's points and quotes' savings."""
    session.execute(delete(LoyaltyEntry).where(LoyaltyEntry.customer_id == customer_id))
    session.execute(
        delete(CheckoutMoney).where(
            CheckoutMoney.quote_id.in_(select(Quote.id).where(Quote.customer_id == customer_id))
        )
    )
