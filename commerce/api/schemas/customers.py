"""Customers: PINs, tokens, and devices' sessions and sign-ins."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from commerce.api.schemas.common import Request
from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes


class PinCheck(Request):
    pin: str = Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")


class SignIn(Request):
    loyalty_number: str | None = Field(
        default=None, min_length=4, max_length=24, pattern=r"^[A-Za-z0-9 ]+$"
    )
    phone: str | None = Field(
        default=None,
        min_length=10,
        max_length=24,
        pattern=r"^\+?[0-9][0-9 ()-]+$",
        description="a UK number; spaces and +44 are fine ('+44 7700 900123')",
    )
    pin: str = Field(min_length=4, max_length=8, pattern=r"^[0-9]+$")

    @model_validator(mode="after")
    def _one_number(self) -> SignIn:
        if (self.loyalty_number is None) == (self.phone is None):
            raise ValueError("send a loyalty number or a phone, exactly one")
        return self


class CustomerTokenRequest(Request):
    customer: str = Field(min_length=1, max_length=40, description="handle, loyalty number or id")
    ttl_seconds: int | None = Field(default=None, ge=60, le=7 * 86400)


class CustomerToken(BaseModel):
    customer_token: str
    expires_at: str | None


class SignOut(Request):
    customer_token: str = Field(min_length=5, max_length=100, pattern=r"^cst_[A-Za-z0-9_-]+$")


class CustomerOut(Shaped, shape=shapes.Customer): ...


class DeviceCustomer(BaseModel):
    handle: str
    name: str
    subject: str | None  # the key the device's conversations are filed under


class HomeSession(BaseModel):
    kind: Literal["home"]
    device_id: int
    customer: DeviceCustomer
    store_id: str = Field(description="the customer's home store")
    customer_token: str = Field(description="a customer API token for /v1/me, short-lived")
    expires_at: str


class KioskSession(BaseModel):
    kind: Literal["kiosk"]
    device_id: int
    store_id: str
    store_name: str


DeviceSession = Annotated[HomeSession | KioskSession, Field(discriminator="kind")]


class SignedIn(BaseModel):
    customer: DeviceCustomer
    store_id: str = Field(description="the kiosk's store")
    customer_token: str = Field(description="a customer API token for /v1/me, short-lived")
    expires_at: str


class SignedOut(BaseModel):
    signed_out: bool


class PinResult(BaseModel):
    verified: bool
    ticket: str | None = Field(
        default=None, description="when verified: a single-use ticket for placing an order"
    )
