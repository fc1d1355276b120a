"""Buy again: last order, "my usual", past purchases; ranked substitutes when out of stock."""

from __future__ import annotations

from collections import Counter, defaultdict
from statistics import median
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import Customer, Order, OrderLine, Product
from commerce.services import basket
from commerce.services.common import get_store, product_dict, stock_levels, to_base

USUAL_WINDOW = 10  # the most recent orders that define habits
USUAL_SHARE = 0.4  # bought in at least this share of them
MAX_SUBSTITUTES = 3


def usual(session: Session, customer: Customer) -> list[tuple[Product, int, float]]:
    """(product, typical quantity, share of recent orders) for what the customer buys regularly."""
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.customer_id == customer.id, Order.status != "cancelled")
            .order_by(Order.created_at.desc())
            .limit(USUAL_WINDOW)
        )
    )
    if not orders:
        return []
    seen: Counter[int] = Counter()
    quantities: dict[int, list[int]] = defaultdict(list)
    products: dict[int, Product] = {}
    for order in orders:
        for line in order.lines:
            seen[line.product_id] += 1
            quantities[line.product_id].append(line.quantity)
            products[line.product_id] = line.product
    result = []
    for product_id, count in seen.items():
        share = count / len(orders)
        if share >= USUAL_SHARE:
            typical = round(median(quantities[product_id]))
            result.append((products[product_id], max(typical, 1), share))
    result.sort(key=lambda item: (-item[2], item[0].name))
    return result


def last_order_lines(session: Session, customer: Customer) -> list[tuple[Product, int]]:
    order = session.scalar(
        select(Order)
        .where(Order.customer_id == customer.id, Order.status != "cancelled")
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )
    if order is None:
        raise CommerceError("no-orders", "There is no past order to repeat.", 404)
    return [(line.product, line.quantity) for line in order.lines]


def purchases(session: Session, customer: Customer) -> list[dict[str, Any]]:
    """Every product the customer has bought, most often bought first."""
    rows = session.execute(
        select(OrderLine.product_id, Order.created_at, OrderLine.quantity)
        .join(Order)
        .where(Order.customer_id == customer.id, Order.status != "cancelled")
    ).all()
    count: Counter[int] = Counter()
    last: dict[int, Any] = {}
    for product_id, created_at, _quantity in rows:
        count[product_id] += 1
        last[product_id] = max(last.get(product_id, created_at), created_at)
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_(list(count))))
    }
    ranked = sorted(count, key=lambda pid: (-count[pid], products[pid].name))
    return [
        {
            **product_dict(products[pid]),
            "times_bought": count[pid],
            "last_bought": last[pid].isoformat(),
        }
        for pid in ranked
    ]


def substitutes(
    session: Session, product: Product, store_id: str, quantity: int
) -> list[dict[str, Any]]:
    """In-stock products of the same kind, most alike first (name, pack size, price)."""
    candidates = list(
        session.scalars(
            select(Product).where(Product.category == product.category, Product.id != product.id)
        )
    )
    stock = stock_levels(session, store_id, (c.id for c in candidates))
    size, base = to_base(product.size, product.unit)
    scored = []
    for other in candidates:
        if stock.get(other.id, 0) < quantity:
            continue
        other_size, other_base = to_base(other.size, other.unit)
        name_score = fuzz.token_set_ratio(product.name, other.name) / 100
        size_score = (
            min(size, other_size) / max(size, other_size) if base == other_base and size else 0.0
        )
        price_score = min(product.price_cents, other.price_cents) / max(
            product.price_cents, other.price_cents
        )
        brand_score = 1.0 if other.brand == product.brand else 0.0
        score = 0.5 * name_score + 0.25 * size_score + 0.15 * price_score + 0.1 * brand_score
        scored.append((score, other))
    scored.sort(key=lambda item: (-item[0], item[1].sku))
    return [
        {**product_dict(other, True), "score": round(score, 3)}
        for score, other in scored[:MAX_SUBSTITUTES]
    ]


def reorder(
    session: Session,
    customer: Customer,
    source: str,
    store_id: str,
    skus: list[str] | None = None,
) -> dict[str, Any]:
    """Put a past order (or the usual items) into the basket, all or nothing.

    Items the store lacks are not added; they come back with ranked substitutes to offer.
    """
    store = get_store(session, store_id)
    if source == "last_order":
        wanted = last_order_lines(session, customer)
    elif source == "usual":
        wanted = [(product, quantity) for product, quantity, _ in usual(session, customer)]
        if not wanted:
            raise CommerceError("no-usual", "There are no regular purchases yet.", 404)
    else:
        raise CommerceError("invalid-source", "source must be last_order or usual.", 422)
    if skus is not None:
        wanted = [(p, q) for p, q in wanted if p.sku in set(skus)]
    stock = stock_levels(session, store.id, (p.id for p, _ in wanted))
    added, unavailable = [], []
    for product, quantity in wanted:
        if stock.get(product.id, 0) >= quantity:
            basket.add_product(session, customer, product, quantity)
            added.append({**product_dict(product, True), "quantity": quantity})
        else:
            unavailable.append(
                {
                    **product_dict(product, False),
                    "quantity": quantity,
                    "substitutes": substitutes(session, product, store.id, quantity),
                }
            )
    return {"store_id": store.id, "added": added, "unavailable": unavailable}
