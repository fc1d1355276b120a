"""Basket, checkout (quotes and orders) and buying again."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from commerce.api.schemas.common import ProductOut, Quantity, Request, Sku, SlotId, StoreId
from commerce.api.schemas.stores import SlotOut


class AddItem(Request):
    sku: str = Sku
    quantity: int = Quantity


class ChangeItem(Request):
    quantity: int = Quantity


class QuoteRequest(Request):
    store_id: str = StoreId
    slot_id: int = SlotId
    use_points: bool = Field(
        default=False, description="pay what the loyalty points cover (a point is a penny)"
    )


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


class BasketLine(ProductOut):
    synonyms: list[str] = Field(default=[])  # what customers also call the product
    quantity: int
    line_total: float  # at the shelf price
    saving: float = 0.0  # what the store's deal takes off the line


class BasketResponse(BaseModel):
    items: list[BasketLine]
    item_count: int
    subtotal: float = 0.0  # at shelf prices
    savings_total: float = 0.0  # what the store's deals take off
    total: float  # subtotal - savings_total
    currency: str


class QuoteLine(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: float
    line_total: float  # at the shelf price
    saving: float = 0.0  # what the line's deal takes off it


class QuoteSaving(BaseModel):
    sku: str
    name: str
    deal: str  # as the shelf label says it: "3 for 2", "20% off"
    saving: float


class QuoteResponse(BaseModel):
    quote_id: str
    store_id: str
    store_name: str
    slot_id: int
    slot: SlotOut | None
    lines: list[QuoteLine]
    subtotal: float  # at shelf prices
    savings: list[QuoteSaving]  # each deal's saving, one per line that has one
    savings_total: float
    points_used: int  # loyalty points this quote spends (use_points)
    points_value: float  # what they pay for
    points_balance: int  # the balance before this order
    total: float  # what the customer pays: subtotal - savings - points
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
    savings_total: float = 0.0  # what deals took off
    points_used: int = 0
    points_earned: int = 0
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
