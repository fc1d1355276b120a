"""What every resource shares: field limits, the request base (unknown fields rejected),
errors and a product. Response models made from a shape (``Shaped``) have its fields: their
bodies only add defaults and descriptions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes

Quantity = Field(ge=1, le=99, description="Packs of the product, 1 to 99")
Sku = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
StoreId = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
SlotId = Field(ge=1, le=2_147_483_647)


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ProductOut(Shaped, shape=shapes.Product):
    in_stock = None
    suitable_for = Field(
        default=list[str](), description="diets it is known to suit: vegan, vegetarian, gluten-free"
    )
    price_per_unit = Field(
        default=None, description="the shelf label's unit price: pounds per `per_unit`"
    )
    per_unit = Field(default=None, description="litre, kg or item")
