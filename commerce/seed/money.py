"""Seeded deals (``data/deals.yml``), in-store receipts and loyalty points.

Deals run from and to days counted from the day the database is seeded; each store also has
one that has ended and one still to come. Each seeded customer gets 3 to 5 in-store receipts
(at their home store, sometimes another), older than their latest online order, made of what
they buy online, so "my usual" sees both channels and "my last order" stays the online one;
every collected order, online or in store, has earned its points.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce.models import Customer, Order, OrderLine, Product, Store
from commerce.services import loyalty
from commerce.tables_money import Deal, InStoreReceipt, LoyaltyEntry

DATA = Path(__file__).with_name("data") / "deals.yml"
RECEIPTS = (3, 5)  # in-store receipts per customer
TERMS = ("percent", "buy", "pay", "member_price_cents")


def deal_rows(now: datetime) -> list[dict[str, Any]]:
    """The seed deals as rows, SKUs not yet looked up (``sku`` instead of ``product_id``)."""
    rows = []
    for store_id, entries in yaml.safe_load(DATA.read_text()).items():
        for entry in entries:
            rows.append(
                {
                    "store_id": store_id,
                    "sku": entry["sku"],
                    "kind": entry["kind"],
                    **{term: entry.get(term) for term in TERMS},
                    "starts_at": now + timedelta(days=entry["from"]),
                    "ends_at": now + timedelta(days=entry["to"]),
                }
            )
    return rows


def seed_deals(session: Session, now: datetime) -> None:
    """The seed deals, once (a catalog cut short for a benchmark skips what it lacks)."""
    if session.scalar(select(func.count()).select_from(Deal)):
        return
    stores = set(session.scalars(select(Store.id)))
    rows = deal_rows(now)
    ids = dict(
        session.execute(
            select(Product.sku, Product.id).where(Product.sku.in_([r["sku"] for r in rows]))
        ).all()
    )
    for row in rows:
        sku = row.pop("sku")
        if sku in ids and row["store_id"] in stores:
            session.add(Deal(product_id=ids[sku], **row))
    session.flush()


def seed_customer(session: Session, handle: str, now: datetime) -> None:
    """In-store receipts and points for a seeded customer, once."""
    customer = session.scalar(select(Customer).where(Customer.handle == handle))
    if customer is None:
        return
    known = session.scalar(
        select(func.count())
        .select_from(LoyaltyEntry)
        .where(LoyaltyEntry.customer_id == customer.id)
    )
    if known:
        return
    online = list(
        session.scalars(
            select(Order).where(Order.customer_id == customer.id).order_by(Order.created_at)
        )
    )
    if not online:
        return
    rng = random.Random(f"greenleaf-receipts-{handle}")
    stores = list(session.scalars(select(Store.id).order_by(Store.id)))
    bought = sorted({line.product_id for order in online for line in order.lines})
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(bought)))}
    weeks = sorted(
        rng.sample(range(1, len(online)), k=min(len(online) - 1, rng.randint(*RECEIPTS)))
    )
    for week in weeks:
        store = customer.home_store_id if rng.random() < 0.8 else rng.choice(stores)
        picked = rng.sample(bought, k=min(len(bought), rng.randint(2, 5)))
        lines = [(products[pid], rng.choice((1, 1, 2))) for pid in picked]
        when = now - timedelta(days=7 * week + 3, hours=rng.randint(0, 10))
        receipt = Order(
            customer_id=customer.id,
            store_id=store,
            status="collected",
            total_cents=sum(p.price_cents * q for p, q in lines),
            created_at=when,
        )
        receipt.lines = [
            OrderLine(product_id=p.id, quantity=q, unit_price_cents=p.price_cents) for p, q in lines
        ]
        session.add(receipt)
        session.flush()
        session.add(InStoreReceipt(order_id=receipt.id, till=rng.randint(1, 6)))
        online.append(receipt)
    for order in online:
        if order.status == "collected":
            loyalty.earn(session, order, order.total_cents, order.created_at)
    session.flush()
