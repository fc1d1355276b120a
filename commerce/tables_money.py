"""Tables for deals and loyalty: a store's promotions, what a quote or order saved and spent
in points, the points ledger and in-store receipts (the hints setting is
``tables_stores.CustomerSettings``).

Kept apart from ``commerce/models.py`` (same ``Base``, so the same metadata and migrations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from commerce.models import Base, UTCDateTime, utcnow


class Deal(Base):
    """A promotion on one product at one store, valid from ``starts_at`` until ``ends_at``.

    ``kind``: ``percent`` (``percent`` off each one), ``multibuy`` (``buy`` for the price of
    ``pay``: 3 for 2) or ``member`` (loyalty members pay ``member_price_cents``)."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    percent: Mapped[int | None]
    buy: Mapped[int | None]
    pay: Mapped[int | None]
    member_price_cents: Mapped[int | None]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint(
            "(kind = 'percent' AND percent > 0 AND percent < 100)"
            " OR (kind = 'multibuy' AND buy > pay AND pay > 0)"
            " OR (kind = 'member' AND member_price_cents > 0)",
            name="terms",
        ),
        CheckConstraint("ends_at > starts_at", name="dates"),
    )


class CheckoutMoney(Base):
    """What a quote, or the order placed from it, saved with deals and paid in points.

    ``savings``: [{"sku", "deal_id", "kind", "saving_cents"}], one per line that saved."""

    __tablename__ = "checkout_money"

    quote_id: Mapped[str] = mapped_column(ForeignKey("quotes.id"), primary_key=True)
    subtotal_cents: Mapped[int]
    savings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    points_used: Mapped[int] = mapped_column(default=0)
    __table_args__ = (CheckConstraint("points_used >= 0", name="points"),)


class LoyaltyEntry(Base):
    """One change to a customer's points: earned (online order, in-store receipt), spent at
    checkout, or given back when an order is cancelled. The balance is their sum.

    One entry per (order, reason): placing or cancelling an order twice never earns, spends
    or returns twice."""

    __tablename__ = "loyalty_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    # earned | spent | earned-reversed | spent-returned
    reason: Mapped[str] = mapped_column(String(20))
    points: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("order_id", "reason"),
        Index("ix_loyalty_entries_customer_created", "customer_id", "created_at"),
    )


class InStoreReceipt(Base):
    """An order that was a purchase at a store's till, not online: it earns points and feeds
    "my usual" and reorder like any order (``orders.status`` "collected")."""

    __tablename__ = "in_store_receipts"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    till: Mapped[int] = mapped_column(default=1)
