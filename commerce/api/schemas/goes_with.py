"""Goes well with (products bought together) and the customer's settings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request


class Suggestion(ProductOut):
    lift: float = Field(description="how many times likelier in an order with the product")
    confidence: float = Field(description="the share of the product's orders that hold this")
    orders: int = Field(description="orders that hold both")
    customers: int = Field(description="different customers whose orders hold both")


class BoughtTogetherResponse(BaseModel):
    product: ProductOut
    orders: int = Field(description="orders that hold the product (cancelled ones not counted)")
    suggestions: list[Suggestion] = Field(description="best first")


class SettingsOut(BaseModel):
    hints: bool = Field(description="suggestions offered unasked, such as what goes with an item")


class SettingsChange(Request):
    hints: bool | None = None
