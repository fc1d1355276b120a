"""Returns in store and feedback to the shop."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from commerce.api.schemas.common import Quantity, Request, Sku
from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes

Reason = Literal["damaged", "wrong-item", "changed-mind"]
RefundTo = Literal["payment", "points"]
Category = Literal["product-quality", "staff", "store", "delivery-pickup", "other"]
Sentiment = Literal["positive", "negative", "neutral"]


class ReturnRequest(Request):
    order_id: int = Field(ge=1, le=2_147_483_647)
    sku: str = Sku
    quantity: int = Quantity
    reason: Reason
    refund_to: RefundTo = "payment"


class ReturnLine(Shaped, shape=shapes.ReturnLine):
    """What comes back, why, and what it refunds where."""

    pickup_start = Field(description="the pickup it rides along with, if any")


class ReturnCheck(Shaped, shape=shapes.ReturnCheck):
    """What a return would be: read back to the customer before they say yes."""

    pickup_start = Field(description="the pickup it rides along with, if any")
    returnable = Field(description="packs of the line that may come back in all")


class ReturnOut(Shaped, shape=shapes.Return):
    pickup_start = Field(description="the pickup it rides along with, if any")
    code = Field(description="shown at the store's pickup desk")
    status = Field(description="authorised, or received (the desk took the goods)")


class ReturnsResponse(BaseModel):
    returns: list[ReturnOut]


class FeedbackRequest(Request):
    text: str = Field(min_length=1, max_length=500)
    store_id: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")
    sku: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
    category: Category | None = None
    sentiment: Sentiment | None = None


class FeedbackOut(Shaped, shape=shapes.Feedback): ...


class StaffFeedback(FeedbackOut):
    customer: str = Field(description="the customer's handle, to follow it up")


class StaffFeedbackResponse(BaseModel):
    feedback: list[StaffFeedback]
