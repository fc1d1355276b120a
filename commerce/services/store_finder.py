"""Which store has it, and when stores open on particular dates.

Stock per store ("which store has oat milk in stock"): every store with its units of a product
on the shelf, nearest first when a point is given. Special hours (``store_special_hours``): a
store's hours on one date replace its weekly hours that day ("closes at 6 pm on Christmas Eve",
closed on Christmas Day); the seed writes the year's holidays from ``data/special_hours.yml``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from commerce.models import Stock, Store
from commerce.services.common import WEEKDAYS, get_product, product_dict
from commerce.tables_stores import StoreSpecialHours


def special_hours(session: Session, store_id: str, today: date, days: int) -> list[dict[str, Any]]:
    """The store's special days from ``today`` to ``days`` ahead, soonest first:
    [{"date", "name", "opens", "closes"}] (``opens`` None: closed all day)."""
    rows = session.scalars(
        select(StoreSpecialHours)
        .where(StoreSpecialHours.store_id == store_id)
        .where(StoreSpecialHours.day >= today, StoreSpecialHours.day <= today + timedelta(days))
        .order_by(StoreSpecialHours.day)
    )
    return [
        {"date": r.day.isoformat(), "name": r.name, "opens": r.opens, "closes": r.closes}
        for r in rows
    ]


def special_on(store: Store, day: date) -> StoreSpecialHours | None:
    """The store's special hours on its local ``day``, if it has any (read through the
    session the store was loaded in; none for a store outside one)."""
    session = object_session(store)
    if session is None:
        return None
    return session.scalar(
        select(StoreSpecialHours).where(
            StoreSpecialHours.store_id == store.id, StoreSpecialHours.day == day
        )
    )


def hours_on(store: Store, day: date) -> list[str] | None:
    """The store's ["opens", "closes"] on its local ``day``: its special hours that day, else
    its weekly ones; None when it is closed all day."""
    special = special_on(store, day)
    if special is not None:
        return [special.opens, special.closes] if special.opens and special.closes else None
    return store.opening_hours.get(WEEKDAYS[day.weekday()])


def closed_for(store: Store, day: date) -> str | None:
    """The name of the special day the store is closed all day for, if ``day`` is one."""
    special = special_on(store, day)
    return special.name if special is not None and special.opens is None else None


def with_stock(
    session: Session, found: list[dict[str, Any]], sku: str, only_in_stock: bool = True
) -> dict[str, Any]:
    """``found`` (store dicts, in their order) with each one's ``quantity`` of ``sku``; only
    those that have some unless ``only_in_stock`` is False. ``404 product-not-found``."""
    product = get_product(session, sku)
    shelf = dict(
        session.execute(
            select(Stock.store_id, Stock.quantity).where(Stock.product_id == product.id)
        ).all()
    )
    stores = [
        {**store, "stock": {"sku": product.sku, "quantity": shelf.get(store["store_id"], 0)}}
        for store in found
    ]
    if only_in_stock:
        stores = [s for s in stores if s["stock"]["quantity"] > 0]
    return {"product": product_dict(product), "stores": stores}
