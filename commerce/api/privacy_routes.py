"""A customer's data rights under /v1/me: a copy of what the shop keeps, and erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel

from commerce.api import schemas
from commerce.api.deps import CustomerId, PinVerified, State
from commerce.api.schemas import returns as returns_schemas
from commerce.api.schemas.goes_with import SettingsOut
from commerce.api.schemas.shaped import Shaped
from commerce.services import privacy
from shapes import commerce as shapes

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (401, 403, 409, 410, 423)
}
router = APIRouter(prefix="/v1/me", responses=ERRORS, tags=["customer"])

# A single-use ticket from POST /v1/me/pin/verify; a header, so it is in no access log.
PinTicket = Annotated[str | None, Header(alias="Pin-Ticket", max_length=200)]


class Profile(BaseModel):
    handle: str
    name: str
    home_store_id: str
    loyalty_number: str
    phone: str | None
    home_location: dict[str, float] | None
    has_pin: bool
    subject: str | None


class DeviceRecord(BaseModel):
    name: str
    created_at: str
    revoked_at: str | None


class TokenRecord(BaseModel):
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    from_device: bool


class CustomerExport(BaseModel):
    exported_at: str
    profile: Profile
    basket: schemas.BasketResponse
    settings: SettingsOut
    orders: list[schemas.OrderOut]
    pickups: list[schemas.BookingOut]
    returns: list[returns_schemas.ReturnOut]
    feedback: list[returns_schemas.FeedbackOut]
    devices: list[DeviceRecord]
    tokens: list[TokenRecord]
    loyalty: schemas.LoyaltyOut  # points, tier, every change with its channel; hint setting


class Erased(Shaped, shape=shapes.Erased): ...


@router.get("/export", response_model=CustomerExport)
def export_me(
    app: State, customer_id: CustomerId, pin_verified: PinVerified, pin_ticket: PinTicket = None
) -> Any:
    """Everything the shop keeps about the customer: profile, basket, orders, pickups, returns,
    what they told the shop (feedback), loyalty points, devices and when each sign-in token was
    made (never a token). A customer with a PIN sends a ticket from `POST /v1/me/pin/verify` as
    `Pin-Ticket` (`403 pin-required` without it); their conversations are kept by the assistant,
    filed under `profile.subject`."""
    return privacy.export(app.db, privacy.Proof(customer_id, pin_ticket, pin_verified))


@router.delete("", response_model=Erased)
def erase_me(
    app: State, customer_id: CustomerId, pin_verified: PinVerified, pin_ticket: PinTicket = None
) -> Any:
    """Erase the customer: personal values removed, basket, quotes, feedback, tokens and PIN
    tickets deleted, upcoming pickups cancelled, home devices unbound; orders kept as anonymous
    accounting records. `409 erase-open-orders` while an order waits for pickup; the PIN as
    for the export. The answer's `subject` is the key of the conversations to erase."""
    return privacy.erase(app.db, privacy.Proof(customer_id, pin_ticket, pin_verified))
