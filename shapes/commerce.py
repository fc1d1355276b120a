"""What the catalog & order service answers, once: the service builds its response models
from these (``commerce.api.schemas``, pydantic 2, with its defaults and documentation), and the
skills type their client and the in-memory twin with them (``skills.contract``, in Rasa's
environment, pydantic 1). Keys in the order the service sends them; ``NotRequired`` keys may be
missing from an answer (the service sends them as null).

No ``from __future__ import annotations`` here: ``NotRequired`` must be seen at class creation.
"""

from typing import Literal

from typing_extensions import NotRequired, TypedDict

# -- the catalog ------------------------------------------------------------------------------


class Product(TypedDict):
    sku: str
    name: str
    brand: str
    size: float
    unit: str
    price: float
    department: str
    category: str
    in_stock: NotRequired[bool | None]  # at the store asked about; None when no store was named
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
    unit: Literal["ml", "g", "each"] | None


class Resolution(TypedDict):
    query: str
    quantity: Quantity
    results: list[ResolvedProduct]


# -- stores and pickups -----------------------------------------------------------------------


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


class Store(TypedDict):
    store_id: str
    name: str
    address: str
    timezone: str
    opening_hours: dict[str, list[str]]
    closed_dates: list[ClosedDate]  # days ahead it is closed whatever its weekly hours
    special_hours: NotRequired[list[SpecialHours]]  # days ahead with other hours (holidays)
    latitude: float | None  # WGS84 degrees
    longitude: float | None
    distance_km: NotRequired[float | None]  # from the point asked about (stores near, nearest)
    stock: NotRequired[StoreStock | None]  # of the product asked about (``has_sku``)


class NearestStores(TypedDict):
    measured_from: str  # "home", "home store" (the account has no home point) or "nowhere"
    stores: list[Store]
    product: NotRequired[Product | None]  # ``has_sku``'s product: the stores that have it


class StoresWith(TypedDict):
    """``GET /v1/stores``: the stores (with ``has_sku`` those that have the product on the
    shelf, each with its ``stock``)."""

    stores: list[Store]
    product: Product | None  # ``has_sku``'s product (null without it)
    measured_from: NotRequired[str | None]  # from the customer's home: as NearestStores says


class Slot(TypedDict):
    """A pickup slot as the commerce service lists it."""

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


class Booking(TypedDict):
    booking_id: int
    status: str
    store_id: str
    store_name: str | None
    slot: Slot
    order_id: NotRequired[int | None]


# -- the basket, checkout and buying again ----------------------------------------------------


class BasketLine(Product):
    synonyms: NotRequired[list[str]]  # what customers also call it
    quantity: int
    line_total: float  # at the shelf price
    saving: NotRequired[float]  # what the store's deal takes off the line


class Basket(TypedDict):
    items: list[BasketLine]
    item_count: int
    subtotal: NotRequired[float]  # at shelf prices
    savings_total: NotRequired[float]  # what the store's deals take off
    total: float  # subtotal - savings_total
    currency: str


class QuoteLine(TypedDict):
    sku: str
    name: str
    quantity: int
    unit_price: float
    line_total: float  # at the shelf price
    saving: NotRequired[float]  # what the line's deal takes off it


class QuoteSaving(TypedDict):
    sku: str
    name: str
    deal: str  # as the shelf label says it: "3 for 2", "20% off"
    saving: float


class Quote(TypedDict):
    quote_id: str
    store_id: str
    store_name: str
    slot_id: int
    slot: Slot | None
    lines: list[QuoteLine]
    subtotal: NotRequired[float]  # at shelf prices
    savings: NotRequired[list[QuoteSaving]]  # one per line a deal takes something off
    savings_total: NotRequired[float]
    points_used: NotRequired[int]  # loyalty points the quote spends (asked for: use_points)
    points_value: NotRequired[float]  # what they pay for
    points_balance: NotRequired[int]  # the balance before this order
    total: float  # what the customer pays: subtotal - savings - points
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
    savings_total: NotRequired[float]  # what deals took off
    points_used: NotRequired[int]
    points_earned: NotRequired[int]
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


# -- recipes ----------------------------------------------------------------------------------


class RecipeSummary(TypedDict):
    recipe_id: int
    slug: str
    name: str
    servings: int
    meal: str
    minutes: int
    tags: list[str]
    fit: NotRequired[float | None]  # how well it fits what was asked
    bought_share: NotRequired[float | None]  # share of its shopping the customer buys anyway


class Ingredient(TypedDict):
    line: str
    quantity: float
    unit: str
    category: str
    pantry: bool


class Recipe(RecipeSummary):
    ingredients: list[Ingredient]


# "for" is a keyword: the functional form (a Product, its quantity, what it is for)
RecipeLine = TypedDict(
    "RecipeLine",
    {
        "sku": str, "name": str, "brand": str, "size": float, "unit": str, "price": float,
        "department": str, "category": str, "in_stock": NotRequired[bool | None],
        "suitable_for": list[str], "price_per_unit": float | None, "per_unit": str | None,
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


# -- the customer -----------------------------------------------------------------------------


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


# -- deals and loyalty ------------------------------------------------------------------------


class Deal(TypedDict):
    deal_id: int
    store_id: str
    kind: str  # percent, multibuy or member
    title: str  # as the shelf label says it: "3 for 2", "20% off", "£4.75 for members"
    percent: int | None
    buy: int | None
    pay: int | None
    member_price: float | None
    starts_at: str
    ends_at: str
    product: Product


class LoyaltyChange(TypedDict):
    order_id: int
    reason: str  # earned, spent, earned-reversed or spent-returned
    points: int
    channel: str  # online or in-store
    store_id: str
    created_at: str


class Loyalty(TypedDict):
    loyalty_number: str
    points: int
    value: float  # what the points pay for, in pounds (a point is a penny)
    tier: str  # green, silver or gold, by points earned in the last year
    next_tier: str | None
    points_to_next_tier: int
    recent: list[LoyaltyChange]


# -- returns in store and feedback to the shop --------------------------------------------------


class ReturnLine(TypedDict):
    order_id: int
    sku: str
    name: str
    quantity: int
    reason: str  # damaged, wrong-item, changed-mind
    refund_to: str  # payment (the order's), points
    refund: float
    currency: str
    store_id: str  # where it goes back: the next pickup's store, else the order's
    store_name: str
    pickup_start: str | None  # the pickup it rides along with, if one is booked


class ReturnCheck(ReturnLine):
    returnable: int  # packs of the line that may come back in all


class Return(ReturnLine):
    return_id: int
    code: str  # shown at the store's pickup desk
    status: str  # authorised, received
    created_at: str
    refunded_at: str | None


class Feedback(TypedDict):
    feedback_id: int
    text: str
    category: str  # product-quality, staff, store, delivery-pickup, other
    sentiment: str  # positive, negative, neutral
    store_id: str | None
    sku: str | None
    product_name: str | None
    order_id: int | None
    created_at: str


# -- goes well with, and the customer's settings ---------------------------------------------


class Suggestion(Product):
    lift: float  # how many times likelier in an order with the product than in any
    confidence: float  # the share of the product's orders that hold this one
    orders: int  # orders that hold both
    customers: int  # different customers whose orders hold both


class BoughtTogether(TypedDict):
    product: Product
    orders: int  # orders that hold the product (cancelled ones not counted)
    suggestions: list[Suggestion]  # best first


class Settings(TypedDict):
    hints: bool  # suggestions offered unasked ("people who buy spaghetti often add parmesan")
