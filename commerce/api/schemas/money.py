"""Deals at a store and a customer's loyalty points."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request  # noqa: F401 (ProductOut: a Deal's)
from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes


class DealOut(Shaped, shape=shapes.Deal):
    kind = Field(description="percent, multibuy or member")
    title = Field(description='as the shelf label says it: "3 for 2", "20% off"')


class DealsResponse(BaseModel):
    store_id: str
    query: str | None
    deals: list[DealOut]


class LoyaltyChange(Shaped, shape=shapes.LoyaltyChange):
    reason = Field(description="earned, spent, earned-reversed or spent-returned")
    channel = Field(description="online or in-store")


class LoyaltyOut(Shaped, shape=shapes.Loyalty):
    value = Field(description="what the points pay for, in pounds (a point is a penny)")
    tier = Field(description="green, silver or gold, by points earned in the last year")
