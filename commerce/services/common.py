"""Small lookups and conversions every commerce service uses."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import diet
from commerce.errors import CommerceError
from commerce.models import Product, Stock, Store

MAX_LINE_QUANTITY = 99
MAX_KEY_LENGTH = 100  # an Idempotency-Key's characters
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# pack sizes in a common base unit: ml for volume, g for mass, items for "each"
BASE_UNIT = {"ml": ("ml", 1.0), "L": ("ml", 1000.0), "g": ("g", 1.0), "kg": ("g", 1000.0)}


def to_base(size: float, unit: str) -> tuple[float, str]:
    """A pack size in its base unit: (2, "L") -> (2000.0, "ml"); (12, "each") -> (12.0, "each")."""
    base, factor = BASE_UNIT.get(unit, (unit, 1.0))
    return size * factor, base


def money(cents: int) -> float:
    return round(cents / 100, 2)


def get_store(session: Session, store_id: str) -> Store:
    store = session.get(Store, store_id)
    if store is None:
        raise CommerceError("store-not-found", f"No store with id {store_id!r}.", 404)
    return store


def get_product(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise CommerceError("product-not-found", f"No product with sku {sku!r}.", 404)
    return product


def stock_levels(session: Session, store_id: str, product_ids: Iterable[int]) -> dict[int, int]:
    """Units on the shelf at ``store_id`` for each product id (absent means none)."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Stock.product_id, Stock.quantity).where(
            Stock.store_id == store_id, Stock.product_id.in_(ids)
        )
    )
    return {product_id: quantity for product_id, quantity in rows}


def any_store_stock(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    """Units on the shelf in the best-stocked store, per product id."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Stock.product_id, Stock.quantity).where(Stock.product_id.in_(ids))
    )
    best: dict[int, int] = {}
    for product_id, quantity in rows:
        best[product_id] = max(best.get(product_id, 0), quantity)
    return best


def check_idempotency_key(key: str) -> None:
    """Refuse a write that must happen once without a usable ``Idempotency-Key``."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise CommerceError(
            "idempotency-key-required",
            f"Send an Idempotency-Key header of 1 to {MAX_KEY_LENGTH} characters.",
            400,
        )


def newest(session: Session, model: Any, customer_id: int, limit: int) -> list[Any]:
    """A customer's rows of ``model`` (orders, returns), newest first."""
    return list(
        session.scalars(
            select(model)
            .where(model.customer_id == customer_id)
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(limit)
        )
    )


def check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise CommerceError(
            "quantity-out-of-range",
            f"Quantity must be between 1 and {MAX_LINE_QUANTITY}.",
            422,
        )


# The unit a shelf label prices by: per litre, per kilo, per item.
UNIT_PRICE_PER = {"ml": ("litre", 1000.0), "g": ("kg", 1000.0), "each": ("item", 1.0)}


def price_per_unit(price_cents: int, size: float, unit: str) -> tuple[float, str] | None:
    """(price per litre / kg / item in pounds, "litre" / "kg" / "item"), as shelf labels
    show it, to the nearest penny (half up): 1.65 for 2 L is (0.83, "litre"); None for a size
    of nothing."""
    amount, base = to_base(size, unit)
    per = UNIT_PRICE_PER.get(base)
    if per is None or amount <= 0:
        return None
    pence = (Decimal(price_cents) * Decimal(str(per[1])) / Decimal(str(amount))).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return float(pence) / 100, per[0]


def product_dict(product: Product, in_stock: bool | None = None) -> dict[str, object]:
    """The public view of a product, as the API and the skills see it."""
    body: dict[str, object] = {
        "sku": product.sku,
        "name": product.name,
        "brand": product.brand,
        "size": product.size,
        "unit": product.unit,
        "price": money(product.price_cents),
        "department": product.department,
        "category": product.category,
        # the diets it is known to suit (commerce/diet.py)
        "suitable_for": [d for d, ok in diet.suits(product).items() if ok],
    }
    per_unit = price_per_unit(product.price_cents, product.size, product.unit)
    if per_unit is not None:
        body["price_per_unit"], body["per_unit"] = per_unit
    if in_stock is not None:
        body["in_stock"] = in_stock
    return body
