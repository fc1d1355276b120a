"""Goes well with (products bought together) and the customer's settings."""

from __future__ import annotations

from pydantic import Field

from commerce.api.schemas.common import ProductOut, Request
from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes


class Suggestion(ProductOut, shape=shapes.Suggestion):
    lift = Field(description="how many times likelier in an order with the product")
    confidence = Field(description="the share of the product's orders that hold this")
    orders = Field(description="orders that hold both")
    customers = Field(description="different customers whose orders hold both")


class BoughtTogetherResponse(Shaped, shape=shapes.BoughtTogether):
    orders = Field(description="orders that hold the product (cancelled ones not counted)")
    suggestions = Field(description="best first")


class SettingsOut(Shaped, shape=shapes.Settings):
    hints = Field(description="suggestions offered unasked, such as what goes with an item")


class SettingsChange(Request):
    hints: bool | None = None
