"""Deals and points at checkout: what a quote's lines save, the points it spends, and what
happens to points when its order is placed or cancelled (``services/orders.py`` calls these).

A quote is a price promise for its short life: the deals and points it shows are the ones the
order gets, even if a deal ends meanwhile; the points must still be there (``points-changed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from commerce.models import BasketItem, Customer, Order, Quote
from commerce.services import deals, loyalty
from commerce.services.common import money
from commerce.tables_money import CheckoutMoney


def priced_lines(
    session: Session, store_id: str, items: Sequence[BasketItem], customer: Customer, now: datetime
) -> list[dict[str, Any]]:
    """The quote's lines: shelf price, and the deal each one gets (``saving_cents`` 0: none)."""
    found = deals.line_savings(
        session, store_id, ((i.product, i.quantity) for i in items), customer, now
    )
    lines = []
    for item in items:
        saving = found.get(item.product_id)
        lines.append(
            {
                "product_id": item.product_id,
                "sku": item.product.sku,
                "quantity": item.quantity,
                "unit_price_cents": item.product.price_cents,
                "saving_cents": saving.saving_cents if saving else 0,
                "deal_id": saving.deal_id if saving else None,
            }
        )
    return lines


def settle_quote(session: Session, quote: Quote, customer: Customer, use_points: bool) -> None:
    """Set the quote's total (shelf prices, less deals, less points when ``use_points``) and
    keep what it saved and spends beside it."""
    subtotal = sum(line["quantity"] * line["unit_price_cents"] for line in quote.lines)
    saved = sum(line.get("saving_cents", 0) for line in quote.lines)
    points = 0
    if use_points and not customer.is_guest:
        points = loyalty.points_to_spend(loyalty.balance(session, customer.id), subtotal - saved)
    quote.total_cents = subtotal - saved - points * loyalty.POINT_VALUE_CENTS
    session.add(
        CheckoutMoney(
            quote_id=quote.id,
            subtotal_cents=subtotal,
            savings=[
                {
                    "sku": line["sku"],
                    "deal_id": line["deal_id"],
                    "saving_cents": line["saving_cents"],
                }
                for line in quote.lines
                if line.get("saving_cents")
            ],
            points_used=points,
        )
    )


def quote_view(session: Session, quote: Quote, names: dict[int, str]) -> dict[str, Any]:
    """What the quote's body says of deals and points (nothing saved: zeros, empty lists)."""
    kept = session.get(CheckoutMoney, quote.id)
    titles = {
        d.id: deals.title(d)
        for d in deals.active_by_id(session, [line.get("deal_id") for line in quote.lines])
    }
    savings = [
        {
            "sku": line["sku"],
            "name": names.get(line["product_id"], ""),
            "deal": titles.get(line["deal_id"], ""),
            "saving": money(line["saving_cents"]),
        }
        for line in quote.lines
        if line.get("saving_cents")
    ]
    points = kept.points_used if kept else 0
    subtotal = kept.subtotal_cents if kept else quote.total_cents
    return {
        "subtotal": money(subtotal),
        "savings": savings,
        "savings_total": money(sum(line.get("saving_cents", 0) for line in quote.lines)),
        "points_used": points,
        "points_value": money(points * loyalty.POINT_VALUE_CENTS),
        "points_balance": loyalty.balance(session, quote.customer_id),
    }


def on_placed(session: Session, customer: Customer, order: Order, now: datetime) -> None:
    """The order spends the quote's points (if still there) and earns on what it pays."""
    kept = session.get(CheckoutMoney, order.quote_id) if order.quote_id else None
    if kept is not None:
        loyalty.spend(session, customer, order, kept.points_used, now)
    loyalty.earn(session, order, order.total_cents, now)


def order_view(session: Session, order: Order) -> dict[str, Any]:
    kept = session.get(CheckoutMoney, order.quote_id) if order.quote_id else None
    saved = sum(int(s["saving_cents"]) for s in kept.savings) if kept else 0
    return {
        "savings_total": money(saved),
        "points_used": kept.points_used if kept else 0,
        "points_earned": loyalty.points_earned(order.total_cents)
        if order.status != "cancelled"
        else 0,
    }
