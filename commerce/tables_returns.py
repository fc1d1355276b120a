"""The tables of returns in store and of what customers tell the shop (feedback), on the
schema's ``Base`` (``commerce.models`` imports this module, so the metadata holds them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commerce.models import Base, OrderLine, UTCDateTime, utcnow


class Return(Base):
    """A return authorisation: part of an order line to bring back to a store's pickup desk,
    shown there by its short ``code``; the refund is what was paid for it, exactly."""

    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(16))  # damaged | wrong-item | changed-mind
    refund_to: Mapped[str] = mapped_column(String(8))  # payment | points
    refund_cents: Mapped[int]
    # where the goods go back: the store of the pickup it is attached to, else the order's
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_bookings.id"))
    # authorised (the code is out) | received (the desk took the goods back)
    status: Mapped[str] = mapped_column(String(12), default="authorised")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the refund was paid back to the order's payment, or credited as points
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    line: Mapped[OrderLine] = relationship(lazy="joined")
    __table_args__ = (
        UniqueConstraint("customer_id", "idempotency_key"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("refund_cents >= 0", name="refund"),
        CheckConstraint("refund_to IN ('payment', 'points')", name="refund_to"),
    )


class Feedback(Base):
    """Something a customer told the shop, in their words, about a store, an order line or
    the shop at large. The text may hold personal data: it is exported and erased with the
    customer and never logged."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # product-quality | staff | store | delivery-pickup | other
    category: Mapped[str] = mapped_column(String(20))
    sentiment: Mapped[str] = mapped_column(String(8))  # positive | negative | neutral
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (Index("ix_feedback_created", "created_at"),)
