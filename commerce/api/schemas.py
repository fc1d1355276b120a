"""Request and response bodies of the commerce API. Requests reject unknown fields."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from commerce.search_fields import Match

Quantity = Field(ge=1, le=99, description="Packs of the product, 1 to 99")
Sku = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
StoreId = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
SlotId = Field(ge=1, le=2_147_483_647)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddItem(Request):
    sku: str = Sku
    quantity: int = Quantity


class ChangeItem(Request):
    quantity: int = Quantity


class BookPickup(Request):
    slot_id: int = SlotId


class QuoteRequest(Request):
    store_id: str = StoreId
    slot_id: int = SlotId


class PlaceOrder(Request):
    quote_id: str = Field(min_length=1, max_length=36)
    pin: str | None = Field(default=None, min_length=4, max_length=8, pattern=r"^[0-9]+$")
    pin_ticket: str | None = Field(
        default=None,
        min_length=4,
        max_length=100,
        pattern=r"^pt_[A-Za-z0-9_-]+$",
        description="a ticket from POST /v1/me/pin/verify, instead of the PIN",
    )

    @model_validator(mode="after")
    def _one_proof(self) -> PlaceOrder:
        if self.pin is not None and self.pin_ticket is not None:
            raise ValueError("send the PIN or a PIN ticket, not both")
        return self


class ReorderRequest(Request):
    source: Literal["last_order", "usual"]
    store_id: str = StoreId
    skus: list[str] | None = Field(default=None, max_length=100)


class RecipeToBasket(Request):
    recipe: str = Field(min_length=1, max_length=60, description="recipe id or slug")
    store_id: str = StoreId
    servings: int | None = Field(default=None, ge=1, le=50)
    have: list[str] = Field(default_factory=list, max_length=30)
    include_pantry: bool = False


class PinCheck(Request):
    pin: str = Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")


class SignIn(Request):
    loyalty_number: str | None = Field(
        default=None, min_length=4, max_length=24, pattern=r"^[A-Za-z0-9 ]+$"
    )
    phone: str | None = Field(
        default=None,
        min_length=10,
        max_length=24,
        pattern=r"^\+?[0-9][0-9 ()-]+$",
        description="a UK number; spaces and +44 are fine ('+44 7700 900123')",
    )
    pin: str = Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")

    @model_validator(mode="after")
    def _one_number(self) -> SignIn:
        if (self.loyalty_number is None) == (self.phone is None):
            raise ValueError("send a loyalty number or a phone, exactly one")
        return self


class CustomerTokenRequest(Request):
    customer: str = Field(min_length=1, max_length=40, description="handle, loyalty number or id")
    ttl_seconds: int | None = Field(default=None, ge=60, le=7 * 86400)


ProductUnit = Literal["ml", "L", "g", "kg", "each"]


class ProductChange(Request):
    """Fields of a product to change; prices and aisles leave the search index alone."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    brand: str | None = Field(default=None, min_length=1, max_length=60)
    department: str | None = Field(default=None, min_length=1, max_length=40)
    aisle: str | None = Field(default=None, min_length=1, max_length=40)
    category: str | None = Field(default=None, min_length=1, max_length=60)
    size: float | None = Field(default=None, gt=0, le=100_000)
    unit: ProductUnit | None = None
    price_cents: int | None = Field(default=None, ge=1, le=10_000_000)
    synonyms: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(
        default=None, max_length=20
    )


class NewProduct(Request):
    sku: str = Sku
    name: str = Field(min_length=1, max_length=120)
    brand: str = Field(min_length=1, max_length=60)
    department: str = Field(min_length=1, max_length=40)
    aisle: str = Field(min_length=1, max_length=40)
    category: str = Field(min_length=1, max_length=60)
    size: float = Field(gt=0, le=100_000)
    unit: ProductUnit
    price_cents: int = Field(ge=1, le=10_000_000)
    synonyms: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default=[], max_length=20
    )


class StockLevel(Request):
    quantity: int = Field(ge=0, le=1_000_000, description="units on the shelf")


class CustomerToken(BaseModel):
    customer_token: str
    expires_at: str | None


class SignOut(Request):
    customer_token: str = Field(min_length=5, max_length=100, pattern=r"^cst_[A-Za-z0-9_-]+$")


# --- responses -----------------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ProductOut(BaseModel):
    sku: str
    name: str
    brand: str
    size: float
    unit: str
    price: float
    department: str
    category: str
    in_stock: bool | None = None
    suitable_for: list[str] = Field(
        default=[], description="diets it is known to suit: vegan, vegetarian, gluten-free"
    )
    price_per_unit: float | None = Field(
        default=None, description="the shelf label's unit price: pounds per `per_unit`"
    )
    per_unit: str | None = Field(default=None, description="litre, kg or item")


class SearchResult(ProductOut):
    score: float
    match: Match = Field(
        description="how the query found it: a word of its name, synonyms, category, brand or "
        "department as said, or only a misspelt (fuzzy) or sound-alike word; the surest it has"
    )


class SearchResponse(BaseModel):
    query: str
    store_id: str | None
    results: list[SearchResult]


class QuantityOut(BaseModel):
    text: str | None = Field(description="the quantity as said, e.g. 'two litres'")
    packs: int | None = Field(description="packs asked for with a container word")
    amount: float | None = Field(description="a volume, mass or count of items to cover")
    unit: Literal["ml", "g", "each"] | None


class ResolvedProduct(SearchResult):
    packs: int = Field(description="packs of this product to buy for the quantity, 1 to 99")


class ResolveResponse(BaseModel):
    query: str
    quantity: QuantityOut
    results: list[ResolvedProduct]


class ClosedDate(BaseModel):
    date: str
    name: str


class StoreOut(BaseModel):
    store_id: str
    name: str
    address: str
    timezone: str
    opening_hours: dict[str, list[str]]
    closed_dates: list[ClosedDate] = Field(
        default=[], description="days ahead the store is closed whatever its weekly hours"
    )
    latitude: float | None = None
    longitude: float | None = None
    distance_km: float | None = Field(
        default=None, description="from the point asked about (`near`, the customer's home)"
    )


class VocabularyResponse(BaseModel):
    """Every name a customer may say: the recogniser and the NLU lookups are built from it."""

    products: list[str]
    brands: list[str]
    brand_products: list[str]
    recipes: list[str]
    stores: list[str]
    measures: dict[str, str]


class StoresResponse(BaseModel):
    stores: list[StoreOut]


class NearestStoresResponse(BaseModel):
    measured_from: str = Field(
        description="'home' (the account's home address), or 'home store' when it has none"
    )
    stores: list[StoreOut]


class StockResponse(BaseModel):
    store_id: str
    sku: str
    quantity: int
    in_stock: bool
    product: ProductOut


class SlotOut(BaseModel):
    slot_id: int
    store_id: str
    start: str
    end: str
    capacity: int
    available: int


class FindSlotResponse(BaseModel):
    when: str
    requested_start: str | None = Field(description="the exact time asked for, if one was")
    window_start: str
    window_end: str
    slot: SlotOut | None = Field(description="the free slot at that time or first in the window")
    alternatives: list[SlotOut] = Field(description="up to 3 other free slots, nearest first")


class SlotsResponse(BaseModel):
    store_id: str
    date: str
    timezone: str
    slots: list[SlotOut]


class BasketLine(ProductOut):
    synonyms: list[str] = []  # what customers also call the product
    quantity: int
    line_total: float


class BasketResponse(BaseModel):
    items: list[BasketLine]
    item_count: int
    total: float
    currency: str


class BookingOut(BaseModel):
    booking_id: int
    status: str
    store_id: str
    store_name: str | None
    slot: SlotOut
    order_id: int | None = None


class BookingsResponse(BaseModel):
    bookings: list[BookingOut]


class QuoteLine(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: float
    line_total: float


class QuoteResponse(BaseModel):
    quote_id: str
    store_id: str
    store_name: str
    slot_id: int
    slot: SlotOut | None
    lines: list[QuoteLine]
    total: float
    currency: str
    expires_at: str
    pin_required: bool


class OrderLineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: float


class OrderOut(BaseModel):
    order_id: int
    status: str
    stage: str
    store_id: str
    store_name: str
    pickup_start: str | None
    created_at: str
    total: float
    currency: str
    lines: list[OrderLineOut]


class OrdersResponse(BaseModel):
    orders: list[OrderOut]


class UsualItem(ProductOut):
    quantity: int
    share: float


class UsualResponse(BaseModel):
    items: list[UsualItem]


class Purchase(ProductOut):
    times_bought: int
    last_bought: str


class PurchasesResponse(BaseModel):
    purchases: list[Purchase]


class Substitute(ProductOut):
    score: float


class ReorderLine(ProductOut):
    quantity: int


class Unavailable(ReorderLine):
    substitutes: list[Substitute]


class ReorderResponse(BaseModel):
    store_id: str
    added: list[ReorderLine]
    unavailable: list[Unavailable]


class RecipeSummary(BaseModel):
    recipe_id: int
    slug: str
    name: str
    servings: int
    meal: str
    minutes: int
    tags: list[str]
    fit: float | None = Field(default=None, description="how well it fits what was asked")
    bought_share: float | None = Field(
        default=None, description="share of its shopping the customer buys anyway (/v1/me)"
    )


class RecipesResponse(BaseModel):
    recipes: list[RecipeSummary]


class Ingredient(BaseModel):
    line: str
    quantity: float
    unit: str
    category: str
    pantry: bool


class RecipeOut(RecipeSummary):
    ingredients: list[Ingredient]


class RecipeLine(ProductOut):
    quantity: int
    for_: str = Field(alias="for")
    line_total: float


class SkippedLine(BaseModel):
    line: str
    category: str
    reason: str


class MissingLine(BaseModel):
    line: str
    category: str


class RecipeBasketResponse(BaseModel):
    recipe: RecipeSummary
    servings: int
    store_id: str
    added: list[RecipeLine]
    skipped: list[SkippedLine]
    unavailable: list[MissingLine]


class CustomerOut(BaseModel):
    handle: str
    name: str
    home_store_id: str
    has_pin: bool
    subject: str | None  # their key in the assistant's conversation store


class DeviceCustomer(BaseModel):
    handle: str
    name: str
    subject: str | None  # the key the device's conversations are filed under


class HomeSession(BaseModel):
    kind: Literal["home"]
    device_id: int
    customer: DeviceCustomer
    store_id: str = Field(description="the customer's home store")
    customer_token: str = Field(description="a customer API token for /v1/me, short-lived")
    expires_at: str


class KioskSession(BaseModel):
    kind: Literal["kiosk"]
    device_id: int
    store_id: str
    store_name: str


DeviceSession = Annotated[HomeSession | KioskSession, Field(discriminator="kind")]


class SignedIn(BaseModel):
    customer: DeviceCustomer
    store_id: str = Field(description="the kiosk's store")
    customer_token: str = Field(description="a customer API token for /v1/me, short-lived")
    expires_at: str


class SignedOut(BaseModel):
    signed_out: bool


class PinResult(BaseModel):
    verified: bool
    ticket: str | None = Field(
        default=None, description="when verified: a single-use ticket for placing an order"
    )
