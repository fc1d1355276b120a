"""Basket, checkout (quotes and orders) and buying again."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from commerce.api.schemas.common import ProductOut, Quantity, Request, Sku, SlotId, StoreId
from commerce.api.schemas.shaped import Shaped
from commerce.api.schemas.stores import SlotOut  # noqa: F401 (made before the Quote that holds one)
from shapes import commerce as shapes


class AddItem(Request):
    sku: str = Sku
    quantity: int = Quantity


class ChangeItem(Request):
    quantity: int = Quantity


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


class BasketLine(ProductOut, shape=shapes.BasketLine):
    synonyms = Field(default=list[str]())


class BasketResponse(Shaped, shape=shapes.Basket): ...


class QuoteLine(Shaped, shape=shapes.QuoteLine): ...


class QuoteResponse(Shaped, shape=shapes.Quote): ...


class OrderLineOut(Shaped, shape=shapes.OrderLine): ...


class OrderOut(Shaped, shape=shapes.Order): ...


class OrdersResponse(BaseModel):
    orders: list[OrderOut]


class UsualItem(ProductOut, shape=shapes.UsualItem): ...


class UsualResponse(BaseModel):
    items: list[UsualItem]


class Purchase(ProductOut, shape=shapes.Purchase): ...


class PurchasesResponse(BaseModel):
    purchases: list[Purchase]


class Substitute(ProductOut, shape=shapes.Substitute): ...


class ReorderLine(ProductOut, shape=shapes.ReorderLine): ...


class Unavailable(ReorderLine, shape=shapes.UnavailableLine): ...


class ReorderResponse(Shaped, shape=shapes.Reorder): ...
