"""Goes well with: the products bought in the same orders as another, from every order.

For a product A and another B, of the N orders (cancelled ones left out) n_a hold A, n_b hold
B and n_ab both; every pack of A's name counts as A (Plain Flour, 500 g or 1.5 kg: what the
customer added is flour, whichever pack the search took). **Lift** = n_ab * N / (n_a * n_b),
how many times likelier B is in an order with A than in any order; **confidence** = n_ab /
n_a, the share of A's orders that hold B. A pair counts only with support: at least
``MIN_ORDERS`` orders and ``MIN_CUSTOMERS`` different customers hold both, or
``MIN_CUSTOMER_SHARE`` of the customers with orders where that is more (a few households'
shared habits are not what "people" buy: with 3, a third of the strong pairs at 30 seeded
customers were habits, with 4 one in seventy; at 100 customers 4 let a quarter through, 5
one in fifteen), a lift of at least ``MIN_LIFT``, and B of
another kind than A (semi-skimmed milk does not go with whole milk: it replaces it). Ranked
by lift, then by orders together.

Computed from the order tables on each request (five small queries, the grouped ones over
the orders that hold A), so an order placed counts at the next request: nothing to rebuild.
The figures at the seed's sizes are in the README.
"""

from __future__ import annotations

import math
from typing import Any, Final

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session, aliased

from commerce.models import Order, OrderLine, Product
from commerce.services.common import get_product, product_dict, stock_levels

MIN_ORDERS: Final = 3
MIN_CUSTOMERS: Final = 4
MIN_CUSTOMER_SHARE: Final = 0.05  # ... or this share of the customers with orders, if more
MIN_LIFT: Final = 1.5
COUNTED = Order.status != "cancelled"


def pair_counts(session: Session, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Every other product bought in an order with one of ``product_ids``: (orders,
    customers) of both."""
    a, b = aliased(OrderLine), aliased(OrderLine)
    rows = session.execute(
        select(
            b.product_id, func.count(distinct(a.order_id)), func.count(distinct(Order.customer_id))
        )
        .select_from(a)
        .join(b, and_(b.order_id == a.order_id, b.product_id.not_in(product_ids)))
        .join(Order, Order.id == a.order_id)
        .where(a.product_id.in_(product_ids), COUNTED)
        .group_by(b.product_id)
    )
    return {pid: (int(orders), int(customers)) for pid, orders, customers in rows}


def orders_holding(session: Session, product_ids: list[int]) -> int:
    """How many counted orders hold one of ``product_ids`` or more."""
    return (
        session.scalar(
            select(func.count(distinct(OrderLine.order_id)))
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.product_id.in_(product_ids), COUNTED)
        )
        or 0
    )


def order_counts(session: Session, product_ids: list[int]) -> dict[int, int]:
    """How many counted orders hold each product."""
    rows = session.execute(
        select(OrderLine.product_id, func.count(distinct(OrderLine.order_id)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id.in_(product_ids), COUNTED)
        .group_by(OrderLine.product_id)
    )
    return {pid: int(count) for pid, count in rows}


def bought_together(
    session: Session, sku: str, store_id: str | None = None, limit: int = 5
) -> dict[str, Any]:
    """What goes well with ``sku``, best first, each with its ``lift``, ``confidence``,
    ``orders`` (together) and ``customers``; ``in_stock`` at ``store_id`` when given."""
    product = get_product(session, sku)
    packs = list(session.scalars(select(Product.id).where(Product.name == product.name)))
    buyers = session.scalar(select(func.count(distinct(Order.customer_id))).where(COUNTED)) or 0
    people = max(MIN_CUSTOMERS, math.ceil(MIN_CUSTOMER_SHARE * buyers))
    pairs = {
        pid: counts
        for pid, counts in pair_counts(session, packs).items()
        if counts[0] >= MIN_ORDERS and counts[1] >= people
    }
    total = session.scalar(select(func.count()).select_from(Order).where(COUNTED)) or 0
    n_a = orders_holding(session, packs)
    counts = order_counts(session, list(pairs))
    others = {
        p.id: p
        for p in session.scalars(select(Product).where(Product.id.in_(list(pairs))))
        if p.category != product.category
    }
    ranked = []
    for pid, other in others.items():
        together, customers = pairs[pid]
        lift = together * total / (n_a * counts[pid])
        if lift >= MIN_LIFT:
            ranked.append((other, together, customers, lift))
    ranked.sort(key=lambda r: (-r[3], -r[1], r[0].sku))
    ranked = ranked[:limit]
    shelf = stock_levels(session, store_id, [r[0].id for r in ranked]) if store_id else {}
    suggestions = []
    for other, together, customers, lift in ranked:
        item = product_dict(other)
        if store_id:
            item["in_stock"] = shelf.get(other.id, 0) > 0
        item.update(
            lift=round(lift, 2),
            confidence=round(together / n_a, 3),
            orders=together,
            customers=customers,
        )
        suggestions.append(item)
    return {"product": product_dict(product), "orders": n_a, "suggestions": suggestions}
