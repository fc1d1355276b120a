"""The commerce database schema (SQLAlchemy 2 ORM). Alembic migrations create it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    brand: Mapped[str] = mapped_column(String(60))
    department: Mapped[str] = mapped_column(String(40), index=True)
    aisle: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(60), index=True)
    size: Mapped[float]
    unit: Mapped[str] = mapped_column(String(8))
    price_cents: Mapped[int]
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    __table_args__ = (CheckConstraint("price_cents > 0", name="price"),)


class CatalogSynonym(Base):
    """A spoken word and the catalog word it may mean ("coke" -> "cola")."""

    __tablename__ = "catalog_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(60), index=True)
    means: Mapped[str] = mapped_column(String(60))
    __table_args__ = (UniqueConstraint("word", "means"),)


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(60))
    # {"monday": ["08:00", "22:00"], ...}, local times; a missing day is closed
    opening_hours: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    slot_minutes: Mapped[int] = mapped_column(default=30)
    slot_capacity: Mapped[int] = mapped_column(default=4)
    # where it is (WGS84 degrees), for "which store is nearest"
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Stock(Base):
    __tablename__ = "stock"

    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int]
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity"),)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    home_store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    loyalty_number: Mapped[str] = mapped_column(String(20), unique=True)
    # digits only, UK national format ("07700900123"); a unique index, not a constraint, so
    # SQLite can add it without rebuilding the table
    phone: Mapped[str | None] = mapped_column(String(20), unique=True, index=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    # wrong PINs in a row; from the fifth on each locks the PIN for a while (services/auth.py)
    failed_pin_attempts: Mapped[int] = mapped_column(default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a kiosk shopper who did not sign in: no PIN, a placeholder loyalty number
    is_guest: Mapped[bool] = mapped_column(default=False, server_default="0")
    # the account's home address as a point (WGS84 degrees): "my nearest store" is measured
    # from it; never sent out, only distances are
    home_latitude: Mapped[float | None] = mapped_column(Float)
    home_longitude: Mapped[float | None] = mapped_column(Float)
    # the customer's pseudonymous key in the assistant's conversation store (random, means
    # nothing outside it): what erasure uses to find their conversations
    subject: Mapped[str | None] = mapped_column(
        String(32), unique=True, index=True, default=lambda: secrets.token_hex(16)
    )
    # set when the customer was erased: the row is kept, anonymous, for the orders' sake
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Device(Base):
    """A smart speaker at home (bound to a customer) or a kiosk (bound to a store).

    Only the SHA-256 of its device token is stored.
    """

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # home | kiosk
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # failed kiosk sign-ins, whatever the number, since the last quiet hour: a kiosk trying
    # many is locked too (services/devices.py)
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sign_in_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint(
            "(kind = 'home' AND customer_id IS NOT NULL AND store_id IS NULL)"
            " OR (kind = 'kiosk' AND store_id IS NOT NULL AND customer_id IS NULL)",
            name="binding",
        ),
    )


class ApiToken(Base):
    """A customer's API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # tokens a device obtained for a customer are short-lived and revocable; others never expire
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    # a kiosk token issued after the customer typed or said their PIN: until then, orders
    # through it need no PIN again (the kiosk still needs a touch on Confirm)
    pin_verified_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ErasureRequest(Base):
    """A customer erased here whose conversations the assistant still has to erase: written
    in the erasure's own transaction (never lost), read and marked done by the assistant's
    side through ``/v1/operator/erasures`` (this service reaches neither the tracker store nor
    the gateways' sessions). ``subject`` is the only thing kept: a random key that no customer
    row holds any more; a request done is deleted after ``privacy.ERASURE_DONE_KEPT``."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class PinTicket(Base):
    """A single-use proof, valid minutes, that the customer just said the right voice PIN.

    Only its SHA-256 is stored, so the conversation can carry the ticket instead of the PIN.
    """

    __tablename__ = "pin_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BasketItem(Base):
    __tablename__ = "basket_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    product: Mapped[Product] = relationship(lazy="joined")
    __table_args__ = (
        UniqueConstraint("customer_id", "product_id"),
        CheckConstraint("quantity > 0 AND quantity <= 99", name="quantity"),
    )


class PickupSlot(Base):
    __tablename__ = "pickup_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    __table_args__ = (
        UniqueConstraint("store_id", "start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked"),
    )


class PickupBooking(Base):
    __tablename__ = "pickup_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("pickup_slots.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    slot: Mapped[PickupSlot] = relationship(lazy="joined")


class Quote(Base):
    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("pickup_slots.id"))
    # [{"product_id", "sku", "quantity", "unit_price_cents"}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    quote_id: Mapped[str | None] = mapped_column(ForeignKey("quotes.id"), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_bookings.id"))
    pickup_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # placed | collected | cancelled
    total_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lines: Mapped[list[OrderLine]] = relationship(
        lazy="selectin", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    __table_args__ = (
        UniqueConstraint("customer_id", "idempotency_key"),
        Index("ix_orders_customer_created", "customer_id", "created_at"),
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
    product: Mapped[Product] = relationship(lazy="joined")


class Recipe(Base):
    __tablename__ = "recipes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    servings: Mapped[int]
    meal: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int]
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    ingredients: Mapped[list[RecipeIngredient]] = relationship(
        lazy="selectin", order_by="RecipeIngredient.id"
    )


class RecipeIngredient(Base):
    __tablename__ = "recipe_ingredients"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id"), index=True)
    line: Mapped[str] = mapped_column(Text)
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(60))
    pantry: Mapped[bool] = mapped_column(default=False)


class CatalogState(Base):
    """One row: a version bumped whenever product text changes (not prices or stock), so the
    search indexes of other processes know to rebuild."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


# Tables kept in modules of their own, on this Base (imported here so the metadata has them):
# deals and loyalty; returns and feedback; special store hours and customer settings.
from commerce import tables_money, tables_returns, tables_stores  # noqa: E402,F401
