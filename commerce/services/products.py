"""Catalog edits: prices, stock, and products added, changed or removed.

Prices and stock are read live with every search, so changing them leaves the search index
alone. A change to a product's words (name, brand, category, department, synonyms) or pack
size bumps the catalog version; made in ``CatalogSearch.editing``, the edit is patched into
that process's index after the commit, and every other process rebuilds in the background
while its old index keeps answering.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import BasketItem, OrderLine, Product, Stock
from commerce.services.catalog import bump_version
from commerce.services.common import get_product, get_store

__all__ = [
    "SEARCHED_FIELDS",
    "add_product",
    "remove_product",
    "set_price",
    "set_stock",
    "update_product",
]

# The fields the search index reads; changing any other (price, aisle) bumps nothing.
SEARCHED_FIELDS: Final = frozenset(
    ("name", "brand", "department", "category", "size", "unit", "synonyms")
)
EDITABLE_FIELDS: Final = SEARCHED_FIELDS | {"aisle", "price_cents"}


def set_price(session: Session, sku: str, price_cents: int) -> Product:
    """A new shelf price; search results show it at once, the index is not touched."""
    if price_cents <= 0:
        raise CommerceError("invalid-request", "A price is a positive number of pence.", 422)
    product = get_product(session, sku)
    product.price_cents = price_cents
    return product


def set_stock(session: Session, store_id: str, sku: str, quantity: int) -> int:
    """Units on the shelf of one store; search results show it at once."""
    if quantity < 0:
        raise CommerceError("invalid-request", "Stock is zero or more units.", 422)
    store = get_store(session, store_id)
    product = get_product(session, sku)
    row = session.get(Stock, (store.id, product.id))
    if row is None:
        session.add(Stock(store_id=store.id, product_id=product.id, quantity=quantity))
    else:
        row.quantity = quantity
    return quantity


def add_product(session: Session, **fields: Any) -> Product:
    """A new product (every column but ``id``); ``sku-taken`` (409) if its SKU is in use."""
    unknown = set(fields) - EDITABLE_FIELDS - {"sku"}
    if unknown:
        raise CommerceError("invalid-request", f"Unknown product fields: {sorted(unknown)}.", 422)
    if session.scalar(select(Product.id).where(Product.sku == fields.get("sku"))) is not None:
        raise CommerceError("sku-taken", f"A product has sku {fields.get('sku')!r}.", 409)
    product = Product(**{"synonyms": [], **fields})
    session.add(product)
    session.flush()
    bump_version(session, [product.id])
    return product


def update_product(session: Session, sku: str, **changes: Any) -> Product:
    """Change a product's fields; only a change to what search reads bumps the version."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise CommerceError("invalid-request", f"Unknown product fields: {sorted(unknown)}.", 422)
    product = get_product(session, sku)
    searched = False
    for field, value in changes.items():
        if getattr(product, field) != value:
            setattr(product, field, value)
            searched = searched or field in SEARCHED_FIELDS
    if searched:
        bump_version(session, [product.id])
    return product


def remove_product(session: Session, sku: str) -> int:
    """Take a product off the catalog (its stock and basket lines with it); its id.

    ``product-ordered`` (409) when an order holds it: orders keep what was bought.
    """
    product = get_product(session, sku)
    if session.scalar(select(OrderLine.id).where(OrderLine.product_id == product.id).limit(1)):
        raise CommerceError("product-ordered", f"Orders hold {sku!r}; it cannot be removed.", 409)
    session.execute(delete(Stock).where(Stock.product_id == product.id))
    session.execute(delete(BasketItem).where(BasketItem.product_id == product.id))
    session.delete(product)
    bump_version(session, [product.id])
    return product.id
