"""Deals at a store: what is on offer, and what each basket line saves.

Money is whole pence (ints) and ``Decimal`` where a share is taken, rounded half up to the
penny once per line. **Stacking**: a line gets one deal, the one that saves the most (a tie
goes to the older deal); deals on different lines add up; points are spent after deals, on
what is left to pay (``services/loyalty.py``). Member prices are for loyalty members: every
signed-in customer, never a kiosk guest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.models import Customer, Product
from commerce.services.common import get_store, money, product_dict, stock_levels
from commerce.tables_money import Deal


@dataclass(frozen=True)
class Saving:
    """What one basket line saves, and by which deal."""

    deal_id: int
    kind: str
    saving_cents: int


def saving_cents(deal: Deal, unit_price_cents: int, quantity: int, member: bool) -> int:
    """Pence ``deal`` takes off ``quantity`` at ``unit_price_cents`` each (0: it does not apply)."""
    if deal.kind == "percent" and deal.percent:
        share = Decimal(unit_price_cents * quantity) * Decimal(deal.percent) / Decimal(100)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if deal.kind == "multibuy" and deal.buy and deal.pay is not None:
        return (quantity // deal.buy) * (deal.buy - deal.pay) * unit_price_cents
    if deal.kind == "member" and member and deal.member_price_cents is not None:
        return max(0, unit_price_cents - deal.member_price_cents) * quantity
    return 0


def best_saving(
    deals: Iterable[Deal], unit_price_cents: int, quantity: int, member: bool
) -> Saving | None:
    """The one deal a line gets: the biggest saving (deals on one line never stack)."""
    best: Saving | None = None
    for deal in sorted(deals, key=lambda d: d.id):
        cents = saving_cents(deal, unit_price_cents, quantity, member)
        if cents > 0 and (best is None or cents > best.saving_cents):
            best = Saving(deal.id, deal.kind, cents)
    return best


def is_member(customer: Customer | None) -> bool:
    return customer is not None and not customer.is_guest


def active(
    session: Session,
    store_id: str,
    now: datetime | None = None,
    product_ids: Collection[int] | None = None,
) -> list[Deal]:
    """The deals at ``store_id`` valid at ``now`` (on ``product_ids`` when given)."""
    now = now or datetime.now(UTC)
    query = select(Deal).where(Deal.store_id == store_id, Deal.starts_at <= now, Deal.ends_at > now)
    if product_ids is not None:
        query = query.where(Deal.product_id.in_(list(product_ids)))
    return list(session.scalars(query.order_by(Deal.id)))


def active_by_id(session: Session, ids: Iterable[int | None]) -> list[Deal]:
    """The deals with these ids, valid or not (a quote names the deals it was given)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return []
    return list(session.scalars(select(Deal).where(Deal.id.in_(wanted))))


def by_product(deals: Iterable[Deal]) -> dict[int, list[Deal]]:
    found: dict[int, list[Deal]] = {}
    for deal in deals:
        found.setdefault(deal.product_id, []).append(deal)
    return found


def line_savings(
    session: Session,
    store_id: str,
    lines: Iterable[tuple[Product, int]],
    customer: Customer | None,
    now: datetime | None = None,
) -> dict[int, Saving]:
    """product id -> its line's saving, for the (product, quantity) lines at ``store_id``."""
    lines = list(lines)
    offers = by_product(active(session, store_id, now, [p.id for p, _ in lines]))
    member = is_member(customer)
    found = {}
    for product, quantity in lines:
        saving = best_saving(offers.get(product.id, []), product.price_cents, quantity, member)
        if saving is not None:
            found[product.id] = saving
    return found


def title(deal: Deal) -> str:
    """The deal as a shelf label says it: "3 for 2", "20% off", "£1.50 for members"."""
    if deal.kind == "percent":
        return f"{deal.percent}% off"
    if deal.kind == "multibuy":
        return f"{deal.buy} for {deal.pay}"
    return f"£{money(deal.member_price_cents or 0):.2f} for members"


def deal_dict(deal: Deal, product: Product, in_stock: bool | None = None) -> dict[str, Any]:
    return {
        "deal_id": deal.id,
        "store_id": deal.store_id,
        "kind": deal.kind,
        "title": title(deal),
        "percent": deal.percent,
        "buy": deal.buy,
        "pay": deal.pay,
        "member_price": money(deal.member_price_cents) if deal.member_price_cents else None,
        "starts_at": deal.starts_at.isoformat(),
        "ends_at": deal.ends_at.isoformat(),
        "product": product_dict(product, in_stock),
    }


def store_deals(
    session: Session,
    store_id: str,
    product_ids: Collection[int] | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """What is on offer at ``store_id`` now (only on ``product_ids`` when given: the products
    a spoken query found), in stock first, then by product name."""
    get_store(session, store_id)
    deals = active(session, store_id, now, product_ids)
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(Product.id.in_([d.product_id for d in deals]))
        )
    }
    stock = stock_levels(session, store_id, products)
    deals.sort(key=lambda d: (stock.get(d.product_id, 0) <= 0, products[d.product_id].name, d.id))
    return [
        deal_dict(d, products[d.product_id], stock.get(d.product_id, 0) > 0) for d in deals[:limit]
    ]
