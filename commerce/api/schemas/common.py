"""What every resource shares: field limits, the request base (unknown fields rejected),
errors and a product."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
