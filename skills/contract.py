"""The commerce contract: what the skills may ask the catalog & order service and what it
answers, as a ``Protocol`` and ``TypedDict`` shapes (Python 3.10: the action server's).

Two implementations: ``skills.client.CommerceClient`` (HTTP, the real service) and
``skills.twin.InMemoryCommerce`` (unit tests). ``tests/skills/test_contract.py`` runs the same
scenarios against both, so the twin cannot drift from the service. Both raise
``CommerceRefused`` (a 4xx, with the service's ``code``) and ``CommerceUnavailable``.

Copies by design: the ``TypedDict`` shapes mirror the service's response models
(``commerce/api/schemas/``) field for field, and both implementations restate the
``Commerce`` methods' signatures. The skills run in Rasa's Python 3.10 environment, where
``commerce/`` (pydantic, SQLAlchemy, FastAPI) is neither installed nor allowed to be imported:
the service is reached over HTTP only. Drift cannot go unseen: ``tests/skills/test_contract.py``
checks the real service's answers against these shapes, and mypy checks ``CommerceClient``
and the twin against the ``Protocol`` (that test's ``shop`` returns either as a ``Commerce``).
"""

from __future__ import annotations

from typing import Literal, Protocol, TypedDict


class _ProductExtras(TypedDict, total=False):
    in_stock: bool | None  # at the store asked about; None when no store was named
    synonyms: list[str]  # what customers also call it (basket lines)


class Product(_ProductExtras):
    sku: str
    name: str
    brand: str
    size: float
    unit: str
    price: float
    department: str
    category: str
    suitable_for: list[str]  # diets it is known to suit: vegan, vegetarian, gluten-free
    price_per_unit: float | None  # the shelf label's unit price, pounds per `per_unit`
    per_unit: str | None  # litre, kg or item


# How the query found a product, surest first: a word of its name, synonyms, category, brand
# or department as said, or only a guessed word, misspelt or sounding alike ("butcher" finds
# Brackenhill Butchers' drumsticks by their brand alone: no product was named).
Match = Literal["name", "synonym", "category", "brand", "department", "fuzzy", "sound"]


class SearchResult(Product):
    score: float
    match: Match


class ResolvedProduct(SearchResult):
    packs: int  # packs of this product that cover the quantity asked for


class Quantity(TypedDict):
    text: str | None
    packs: int | None
    amount: float | None
    unit: str | None


class Resolution(TypedDict):
    query: str
    quantity: Quantity
    results: list[ResolvedProduct]


class ClosedDate(TypedDict):
    date: str  # ISO date, local to the store
    name: str  # the holiday: "Christmas Day"


class SpecialHours(TypedDict):
    date: str  # ISO date, local to the store
    name: str  # "Christmas Eve"
    opens: str | None  # "HH:MM" local; None: closed all day
    closes: str | None


class StoreStock(TypedDict):
    sku: str
    quantity: int  # units on the shelf


class _StoreExtras(TypedDict, total=False):
    distance_km: float | None  # from the point asked about (stores near, nearest stores)
    special_hours: list[SpecialHours]  # days ahead whose hours are not the weekly ones
    stock: StoreStock | None  # of the product asked about (stores_with, nearest_stores_with)


class Store(_StoreExtras):
    store_id: str
    name: str
    address: str
    timezone: str
    opening_hours: dict[str, list[str]]
    closed_dates: list[ClosedDate]  # days ahead it is closed whatever its weekly hours
    latitude: float | None  # WGS84 degrees
    longitude: float | None


class _NearestExtras(TypedDict, total=False):
    product: Product | None  # of has_sku (nearest_stores_with); None otherwise


class NearestStores(_NearestExtras):
    measured_from: str  # "home", "home store" (the account has no home point) or "nowhere"
    stores: list[Store]


class Slot(TypedDict):
    slot_id: int
    store_id: str
    start: str
    end: str
    capacity: int
    available: int


class FoundSlot(TypedDict):
    when: str
    requested_start: str | None
    window_start: str
    window_end: str
    slot: Slot | None
    alternatives: list[Slot]


class BasketLine(Product):
    quantity: int
    line_total: float


class Basket(TypedDict):
    items: list[BasketLine]
    item_count: int
    total: float
    currency: str


class _BookingExtras(TypedDict, total=False):
    order_id: int | None


class Booking(_BookingExtras):
    booking_id: int
    status: str
    store_id: str
    store_name: str | None
    slot: Slot


class QuoteLine(TypedDict):
    sku: str
    name: str
    quantity: int
    unit_price: float
    line_total: float


class Quote(TypedDict):
    quote_id: str
    store_id: str
    store_name: str
    slot_id: int
    slot: Slot | None
    lines: list[QuoteLine]
    total: float
    currency: str
    expires_at: str
    pin_required: bool


class OrderLine(TypedDict):
    sku: str
    name: str
    quantity: int
    unit_price: float


class Order(TypedDict):
    order_id: int
    status: str
    stage: str
    store_id: str
    store_name: str
    pickup_start: str | None
    created_at: str
    total: float
    currency: str
    lines: list[OrderLine]


class UsualItem(Product):
    quantity: int
    share: float


class Purchase(Product):
    times_bought: int
    last_bought: str


class Substitute(Product):
    score: float


class ReorderLine(Product):
    quantity: int


class UnavailableLine(ReorderLine):
    substitutes: list[Substitute]


class Reorder(TypedDict):
    store_id: str
    added: list[ReorderLine]
    unavailable: list[UnavailableLine]


class _RecipeExtras(TypedDict, total=False):
    fit: float | None  # how well it fits what was asked
    bought_share: float | None  # share of its shopping the customer buys anyway


class RecipeSummary(_RecipeExtras):
    recipe_id: int
    slug: str
    name: str
    servings: int
    meal: str
    minutes: int
    tags: list[str]


class Ingredient(TypedDict):
    line: str
    quantity: float
    unit: str
    category: str
    pantry: bool


class Recipe(RecipeSummary):
    ingredients: list[Ingredient]


# "for" is a keyword: the functional form
RecipeLine = TypedDict(
    "RecipeLine",
    {
        "sku": str, "name": str, "brand": str, "size": float, "unit": str, "price": float,
        "department": str, "category": str, "in_stock": "bool | None",
        "suitable_for": "list[str]", "price_per_unit": "float | None", "per_unit": "str | None",
        "quantity": int, "for": str, "line_total": float,
    },
)  # fmt: skip


class SkippedLine(TypedDict):
    line: str
    category: str
    reason: str


class MissingLine(TypedDict):
    line: str
    category: str


class RecipeBasket(TypedDict):
    recipe: RecipeSummary
    servings: int
    store_id: str
    added: list[RecipeLine]
    skipped: list[SkippedLine]
    unavailable: list[MissingLine]


class Customer(TypedDict):
    handle: str
    name: str
    home_store_id: str
    has_pin: bool
    subject: str | None  # their key in the assistant's conversation store


class Erased(TypedDict):
    erased: bool
    subject: str | None  # the key the customer's conversations were filed under
    pickups_cancelled: int
    orders_kept_anonymised: int


class _StoresWithExtras(TypedDict, total=False):
    measured_from: str  # nearest_stores_with: as NearestStores says


class StoresWith(_StoresWithExtras):
    """The stores that have a product on the shelf, each with its ``stock``."""

    product: Product
    stores: list[Store]


class Suggestion(Product):
    lift: float  # how many times likelier in an order with the product than in any
    confidence: float  # the share of the product's orders that hold this one
    orders: int  # orders that hold both
    customers: int  # different customers whose orders hold both


class BoughtTogether(TypedDict):
    product: Product
    orders: int  # orders that hold the product
    suggestions: list[Suggestion]  # best first


class Settings(TypedDict):
    hints: bool  # suggestions offered unasked ("people who buy spaghetti often add parmesan")


class Commerce(Protocol):
    """A customer's view of the catalog & order service."""

    # the catalog
    def search(self, q: str, store_id: str | None, limit: int = 5) -> list[SearchResult]: ...
    def resolve(self, q: str, store_id: str | None, limit: int = 5) -> Resolution: ...
    def stores(self, q: str | None = None, near: str | None = None) -> list[Store]: ...
    def store(self, store_id: str) -> Store: ...
    def find_slot(self, store_id: str, when: str) -> FoundSlot: ...
    def recipes(
        self,
        q: str | None = None,
        meal: str | None = None,
        limit: int = 3,
        diets: list[str] | None = None,
        quick: bool = False,
    ) -> list[RecipeSummary]: ...
    def recipe(self, ref: str) -> Recipe: ...

    # the customer
    def me(self) -> Customer: ...
    def basket(self, store_id: str | None = None) -> Basket: ...
    def add_item(self, sku: str, quantity: int) -> Basket: ...
    def change_item(self, sku: str, quantity: int) -> Basket: ...
    def remove_item(self, sku: str) -> Basket: ...
    def clear_basket(self) -> Basket: ...
    def nearest_stores(self) -> NearestStores: ...
    def usual(self) -> list[UsualItem]: ...
    def purchases(self, q: str | None = None, limit: int = 5) -> list[Purchase]: ...
    def reorder(self, source: str, store_id: str, skus: list[str] | None = None) -> Reorder: ...
    def recipe_to_basket(
        self, recipe: str, store_id: str, servings: int | None, have: list[str]
    ) -> RecipeBasket: ...
    def pickups(self) -> list[Booking]: ...
    def book(self, slot_id: int) -> Booking: ...
    def reschedule(self, booking_id: int, slot_id: int) -> Booking: ...
    def cancel_pickup(self, booking_id: int) -> Booking: ...
    def quote(self, store_id: str, slot_id: int) -> Quote: ...
    def place_order(self, quote_id: str, key: str, pin_ticket: str | None = None) -> Order: ...
    def orders(self, limit: int = 5) -> list[Order]: ...
    def cancel_order(self, order_id: int) -> Order: ...
    def erase_me(self, pin_ticket: str | None = None) -> Erased: ...

    # issue 15: which store has it, goes well with, the customer's settings
    def stores_with(self, sku: str, near: str | None = None) -> StoresWith: ...
    def nearest_stores_with(self, sku: str) -> StoresWith: ...
    def bought_together(
        self, sku: str, store_id: str | None = None, limit: int = 5
    ) -> BoughtTogether: ...
    def settings(self) -> Settings: ...
    def change_settings(self, hints: bool) -> Settings: ...
