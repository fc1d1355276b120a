"""Write the deterministic seed data into a migrated database.

Seeding is idempotent: the catalog, stores and recipes are written once; customers 1..N are
added if missing, each from its own random stream, so ``--customers 10`` after ``5`` keeps the
first five as they were.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from commerce.db import Database
from commerce.models import (
    ApiToken,
    BasketItem,
    CatalogState,
    CatalogSynonym,
    Customer,
    Device,
    Order,
    OrderLine,
    PickupBooking,
    PickupSlot,
    PinTicket,
    Product,
    Quote,
    Recipe,
    RecipeIngredient,
    Stock,
    Store,
)
from commerce.seed import money
from commerce.seed.catalog import GLOBAL_SYNONYMS, generate_products
from commerce.seed.meals import Household
from commerce.seed.recipes import RECIPES
from commerce.seed.special_hours import special_hours_rows
from commerce.seed.stores import STORES
from commerce.services import pickups
from commerce.services.auth import hash_pin
from commerce.services.catalog import bump_version
from commerce.services.common import WEEKDAYS
from commerce.tables_money import CheckoutMoney, Deal, InStoreReceipt, LoyaltyEntry
from commerce.tables_returns import Feedback, Return
from commerce.tables_stores import CustomerSettings, StoreSpecialHours

SEED = 20261123
PAST_ORDERS = (10, 16)  # each customer has between these many past orders
DEMO_PIN = "4321"  # demo data only: every second seeded customer uses this voice PIN
FIRST_NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "kevin", "laura", "mike", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent",
    "uma", "victor", "wendy", "xavier", "yvonne", "zach",
)  # fmt: skip
SURNAMES = (
    "Martin", "Patel", "Okafor", "Nowak", "Schmidt", "Jones", "Kowalski", "Murphy", "Rossi",
    "Silva", "Dubois", "Ahmed", "Walsh", "Lindqvist", "Evans", "Moreau",
)  # fmt: skip
# generic items most households buy again and again; habits are drawn from these
STAPLES = (
    "milk", "bread", "egg", "banana", "butter", "cheese", "yoghurt", "coffee", "tea", "apple",
    "potato", "onion", "tomato", "chicken breast", "pasta", "rice", "orange juice", "cereal",
    "toilet paper", "washing up liquid", "carrot", "cucumber", "lettuce", "berries",
)  # fmt: skip
SLOT_CAPACITY = {0: 4, 1: 3, 2: 5, 3: 2}  # by store position: stores differ in picking capacity
# Ofcom keeps 07700 900000 to 900999 for drama: realistic mobile numbers that reach nobody
DRAMA_MOBILES = 1000


@dataclass(frozen=True)
class SeedSummary:
    customers: list[str]
    stores: list[str]
    products: int

    def as_dict(self) -> dict[str, Any]:
        return {"customers": self.customers, "stores": self.stores, "products": self.products}


def seed(
    db: Database,
    customers: int = 5,
    products: int | None = None,
    slot_days: int = 14,
    now: datetime | None = None,
) -> SeedSummary:
    """Seed an already-migrated database; safe to run again."""
    now = now or datetime.now(UTC)
    with db.session(write=True) as session:
        if session.scalar(select(func.count()).select_from(Product)) == 0:
            _seed_catalog(session, products)
        if session.scalar(select(func.count()).select_from(Store)) == 0:
            _seed_stores(session)
        if session.scalar(select(func.count()).select_from(Recipe)) == 0:
            _seed_recipes(session)
        if session.scalar(select(func.count()).select_from(StoreSpecialHours)) == 0:
            stores = session.scalars(select(Store).order_by(Store.id)).all()
            rows = special_hours_rows(stores, (now.year, now.year + 1))
            if rows:
                session.execute(insert(StoreSpecialHours), rows)
    with db.session(write=True) as session:
        ensure_slots_ahead(session, slot_days, now)
        money.seed_deals(session, now)
    by_category: dict[str, list[Product]] = {}
    with db.session() as session:
        for product in session.scalars(select(Product).order_by(Product.sku)):
            by_category.setdefault(product.category, []).append(product)
    for index in range(customers):
        with db.session(write=True) as session:
            _seed_customer(session, index, now, by_category)
            money.seed_customer(session, customer_identity(index)[0], now)
    with db.session() as session:
        return SeedSummary(
            customers=[c.handle for c in session.scalars(select(Customer).order_by(Customer.id))][
                :customers
            ],
            stores=[s.id for s in session.scalars(select(Store).order_by(Store.id))],
            products=session.scalar(select(func.count()).select_from(Product)) or 0,
        )


def reset(db: Database) -> None:
    """Delete every row (the schema stays): for ``catalog seed --reset`` and tests."""
    with db.session(write=True) as session:
        for table in (
            Return, Feedback, CheckoutMoney, LoyaltyEntry, InStoreReceipt, Deal,
            OrderLine, Order, Quote, PickupBooking, PickupSlot, BasketItem, PinTicket, ApiToken,
            Device, CustomerSettings, StoreSpecialHours, Customer, Stock, RecipeIngredient, Recipe,
            CatalogSynonym, Product, Store, CatalogState,
        ):  # fmt: skip
            session.execute(delete(table))


PRODUCT_FIELDS = (
    "sku", "name", "brand", "department", "aisle", "category", "size", "unit", "price_cents"
)  # fmt: skip


def product_row(product: Any) -> dict[str, Any]:
    """A product's row to insert, from anything with a product's fields (a spec, a Product)."""
    row = {field: getattr(product, field) for field in PRODUCT_FIELDS}
    return {**row, "synonyms": list(product.synonyms or ())}


def _seed_catalog(session: Session, count: int | None) -> None:
    specs = generate_products(count, seed=SEED)
    session.execute(insert(Product), [product_row(p) for p in specs])
    rows = [
        {"word": word, "means": means}
        for word, meanings in sorted(GLOBAL_SYNONYMS.items())
        for means in dict.fromkeys(meanings)
    ]
    session.execute(insert(CatalogSynonym), rows)
    bump_version(session)


def _seed_stores(session: Session) -> None:
    product_ids = list(session.scalars(select(Product.id).order_by(Product.id)))
    for position, spec in enumerate(STORES):
        session.add(
            Store(
                id=spec.id,
                name=spec.name,
                address=spec.address,
                timezone=spec.timezone,
                opening_hours={
                    WEEKDAYS[day]: list(hours) for day, hours in sorted(spec.opening_hours.items())
                },
                slot_minutes=30,
                slot_capacity=SLOT_CAPACITY.get(position, 4),
                latitude=spec.latitude,
                longitude=spec.longitude,
            )
        )
        session.flush()
        rng = random.Random(f"{SEED}-stock-{spec.id}")
        # each store lacks a different ~6 % of the range; the rest has a realistic shelf count
        session.execute(
            insert(Stock),
            [
                {
                    "store_id": spec.id,
                    "product_id": pid,
                    "quantity": 0 if rng.random() < 0.06 else rng.randint(4, 60),
                }
                for pid in product_ids
            ],
        )


def _seed_recipes(session: Session) -> None:
    for spec in RECIPES:
        recipe = Recipe(
            slug=spec.slug,
            name=spec.name,
            servings=spec.servings,
            meal=spec.meal,
            minutes=spec.minutes,
            tags=list(spec.tags),
        )
        recipe.ingredients = [
            RecipeIngredient(
                line=i.line,
                quantity=i.quantity,
                unit=i.unit,
                category=i.category,
                pantry=i.pantry,
            )
            for i in spec.ingredients
        ]
        session.add(recipe)


def ensure_slots_ahead(session: Session, days: int, now: datetime) -> None:
    for store in session.scalars(select(Store)):
        today = pickups.local_today(store, now)
        for offset in range(days):
            pickups.ensure_slots(session, store, today + timedelta(days=offset))


def customer_identity(index: int) -> tuple[str, str]:
    """(handle, full name) of the seeded customer number ``index`` (0-based)."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    round_ = index // len(FIRST_NAMES)
    handle = first if round_ == 0 else f"{first}{round_ + 1}"
    surname = SURNAMES[(index * 7) % len(SURNAMES)]
    return handle, f"{first.title()} {surname}"


def customer_phone(index: int) -> str | None:
    """The seeded customer ``index``'s mobile (digits only), shuffled over the drama range.

    389 is coprime with 1000, so the first 1000 customers get distinct numbers; later ones none.
    """
    if index >= DRAMA_MOBILES:
        return None
    return f"07700900{(index * 389 + 123) % DRAMA_MOBILES:03d}"


def home_point(index: int, home: Store) -> tuple[float | None, float | None]:
    """Where seeded customer ``index`` lives: 0.3 to 3 km from their home store, in a direction
    of its own (so some live nearer another store), from a random stream of its own (the
    customer's orders keep theirs)."""
    if home.latitude is None or home.longitude is None:
        return None, None
    rng = random.Random(f"{SEED}-home-{index}")
    km, bearing = rng.uniform(0.3, 3.0), rng.uniform(0, 2 * math.pi)
    latitude = home.latitude + km * math.cos(bearing) / 111.2
    longitude = home.longitude + km * math.sin(bearing) / (111.2 * math.cos(math.radians(latitude)))
    return round(latitude, 5), round(longitude, 5)


def _seed_customer(
    session: Session, index: int, now: datetime, by_category: dict[str, list[Product]]
) -> None:
    handle, name = customer_identity(index)
    phone = customer_phone(index)
    existing = session.scalar(select(Customer).where(Customer.handle == handle))
    if existing is not None:
        # seeded before customers had phones: give the number now, if nobody else has it
        if existing.phone is None and phone is not None:
            taken = session.scalar(select(Customer.id).where(Customer.phone == phone))
            if taken is None:
                existing.phone = phone
        # ... or a home point
        home_store = session.get(Store, existing.home_store_id)
        if existing.home_latitude is None and home_store is not None:
            existing.home_latitude, existing.home_longitude = home_point(index, home_store)
        return
    rng = random.Random(f"{SEED}-customer-{index}")
    stores = list(session.scalars(select(Store).order_by(Store.id)))
    home = stores[index % len(stores)]
    latitude, longitude = home_point(index, home)
    customer = Customer(
        handle=handle,
        name=name,
        home_store_id=home.id,
        loyalty_number=f"GL{10000000 + index * 7919:08d}",
        phone=phone,
        pin_hash=hash_pin(DEMO_PIN) if index % 2 == 1 else None,
        home_latitude=latitude,
        home_longitude=longitude,
    )
    session.add(customer)
    session.flush()
    everything = [p for group in by_category.values() for p in group]
    staples = [c for c in STAPLES if c in by_category]
    habits = [
        (rng.choice(by_category[c]), rng.choice((1, 1, 1, 2, 2, 3)))
        for c in rng.sample(staples, k=min(len(staples), rng.randint(6, 9)))
    ]
    order_count = rng.randint(*PAST_ORDERS)
    # meals from a random stream of their own: the orders' other lines stay as they were
    household = Household(random.Random(f"{SEED}-meals-{index}"), RECIPES, by_category)
    zone = ZoneInfo(home.timezone)
    for week in range(order_count, 0, -1):
        day = (now - timedelta(days=7 * week + rng.randint(0, 2))).astimezone(zone).date()
        pickup = datetime.combine(day, time(rng.choice((10, 12, 15, 17, 18))), zone)
        lines: dict[int, tuple[Product, int]] = {}
        for product, quantity in habits:
            if rng.random() < 0.85:
                lines[product.id] = (product, quantity)
        for product in rng.sample(everything, k=rng.randint(2, 6)):
            lines.setdefault(product.id, (product, 1))
        for product in household.week():
            lines.setdefault(product.id, (product, 1))
        order = Order(
            customer_id=customer.id,
            store_id=home.id,
            status="collected",
            total_cents=sum(p.price_cents * q for p, q in lines.values()),
            pickup_start=pickup.astimezone(UTC),
            created_at=(pickup - timedelta(hours=rng.randint(5, 30))).astimezone(UTC),
        )
        order.lines = [
            OrderLine(product_id=p.id, quantity=q, unit_price_cents=p.price_cents)
            for p, q in lines.values()
        ]
        session.add(order)
