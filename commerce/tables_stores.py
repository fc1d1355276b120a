"""Tables of issue 15's "which store has it" and "goes well with": a store's opening hours on
particular dates (holidays, special hours) and a customer's settings (``hints``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from commerce.models import Base, OrderLine

# "goes well with" reads the orders that hold a product (services/bought_together.py)
Index("ix_order_lines_product_id", OrderLine.product_id)


class StoreSpecialHours(Base):
    """A store's hours on one local date, whatever its weekly hours: Christmas Eve closing
    early, Boxing Day's short hours; closed all day when ``opens`` is None."""

    __tablename__ = "store_special_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(60))
    opens: Mapped[str | None] = mapped_column(String(5))  # "10:00", local
    closes: Mapped[str | None] = mapped_column(String(5))
    __table_args__ = (
        UniqueConstraint("store_id", "day"),
        CheckConstraint(
            "(opens IS NULL AND closes IS NULL) OR (opens IS NOT NULL AND closes IS NOT NULL"
            " AND opens < closes)",
            name="hours",
        ),
    )


class CustomerSettings(Base):
    """A customer's choices about the assistant; no row means the defaults."""

    __tablename__ = "customer_settings"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    # suggestions offered unasked ("people who buy spaghetti often add parmesan — add one?")
    hints: Mapped[bool] = mapped_column(default=True, server_default="1")
