"""Deals at a store and a customer's loyalty points."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request


class DealOut(BaseModel):
    deal_id: int
    store_id: str
    kind: str = Field(description="percent, multibuy or member")
    title: str = Field(description='as the shelf label says it: "3 for 2", "20% off"')
    percent: int | None
    buy: int | None
    pay: int | None
    member_price: float | None
    starts_at: str
    ends_at: str
    product: ProductOut


class DealsResponse(BaseModel):
    store_id: str
    query: str | None
    deals: list[DealOut]


class LoyaltyChange(BaseModel):
    order_id: int
    reason: str = Field(description="earned, spent, earned-reversed or spent-returned")
    points: int
    channel: str = Field(description="online or in-store")
    store_id: str
    created_at: str


class LoyaltyOut(BaseModel):
    loyalty_number: str
    points: int
    value: float = Field(description="what the points pay for, in pounds (a point is a penny)")
    tier: str = Field(description="green, silver or gold, by points earned in the last year")
    next_tier: str | None
    points_to_next_tier: int
    deal_hints: bool = Field(description="say a deal the customer is not using after an add")
    recent: list[LoyaltyChange]


class LoyaltySettings(Request):
    deal_hints: bool
