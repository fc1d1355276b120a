"""A customer's basket: add, change, remove, read back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import BasketItem, Customer, Product
from commerce.services import deals
from commerce.services.common import (
    MAX_LINE_QUANTITY,
    check_quantity,
    get_product,
    money,
    product_dict,
    stock_levels,
)


def items(session: Session, customer: Customer) -> list[BasketItem]:
    return list(
        session.scalars(
            select(BasketItem)
            .where(BasketItem.customer_id == customer.id)
            .order_by(BasketItem.added_at, BasketItem.id)
        )
    )


def view(session: Session, customer: Customer, store_id: str | None = None) -> dict[str, Any]:
    """The basket as the API answers it, with stock at ``store_id`` when given, and the deals
    of that store (else of the customer's home store) taken off the total."""
    lines = items(session, customer)
    stock = stock_levels(session, store_id, (i.product_id for i in lines)) if store_id else {}
    savings = deals.line_savings(
        session,
        store_id or customer.home_store_id,
        ((i.product, i.quantity) for i in lines),
        customer,
    )
    out = []
    total = 0
    for item in lines:
        line_total = item.quantity * item.product.price_cents
        saving = savings.get(item.product_id)
        total += line_total
        in_stock = stock.get(item.product_id, 0) >= item.quantity if store_id else None
        out.append(
            {
                **product_dict(item.product, in_stock),
                # what customers also call it ("cheddar cheese"): "remove the cheese" finds it
                "synonyms": list(item.product.synonyms or []),
                "quantity": item.quantity,
                "line_total": money(line_total),
                "saving": money(saving.saving_cents) if saving else 0.0,
            }
        )
    saved = sum(s.saving_cents for s in savings.values())
    return {
        "items": out,
        "item_count": sum(i.quantity for i in lines),
        "subtotal": money(total),
        "savings_total": money(saved),
        "total": money(total - saved),
        "currency": "GBP",
    }


def add(session: Session, customer: Customer, sku: str, quantity: int) -> BasketItem:
    """Add ``quantity`` of ``sku``, merging with what is already there."""
    check_quantity(quantity)
    product = get_product(session, sku)
    return add_product(session, customer, product, quantity)


def add_product(
    session: Session, customer: Customer, product: Product, quantity: int
) -> BasketItem:
    item = session.scalar(
        select(BasketItem).where(
            BasketItem.customer_id == customer.id, BasketItem.product_id == product.id
        )
    )
    if item is None:
        item = BasketItem(customer_id=customer.id, product_id=product.id, quantity=0)
        item.product = product
        session.add(item)
    if item.quantity + quantity > MAX_LINE_QUANTITY:
        raise CommerceError(
            "quantity-out-of-range",
            f"At most {MAX_LINE_QUANTITY} of one product fit in a basket.",
            422,
        )
    item.quantity += quantity
    session.flush()
    return item


def _item(session: Session, customer: Customer, sku: str) -> BasketItem:
    item = session.scalar(
        select(BasketItem)
        .join(Product)
        .where(BasketItem.customer_id == customer.id, Product.sku == sku)
    )
    if item is None:
        raise CommerceError("not-in-basket", f"{sku} is not in the basket.", 404)
    return item


def change(session: Session, customer: Customer, sku: str, quantity: int) -> BasketItem:
    check_quantity(quantity)
    item = _item(session, customer, sku)
    item.quantity = quantity
    session.flush()
    return item


def remove(session: Session, customer: Customer, sku: str) -> None:
    session.delete(_item(session, customer, sku))
    session.flush()


def clear(session: Session, customer: Customer) -> None:
    session.execute(delete(BasketItem).where(BasketItem.customer_id == customer.id))
