"""Stores, their stock and pickup slots, and pickup bookings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request, SlotId


class BookPickup(Request):
    slot_id: int = SlotId


class ClosedDate(BaseModel):
    date: str
    name: str


class SpecialHours(BaseModel):
    date: str
    name: str = Field(description="the holiday or occasion: 'Christmas Eve'")
    opens: str | None = Field(description="local 'HH:MM'; null: closed all day")
    closes: str | None


class StoreStock(BaseModel):
    sku: str
    quantity: int = Field(description="units on the shelf")


class StoreOut(BaseModel):
    store_id: str
    name: str
    address: str
    timezone: str
    opening_hours: dict[str, list[str]]
    closed_dates: list[ClosedDate] = Field(
        default=[], description="days ahead the store is closed whatever its weekly hours"
    )
    special_hours: list[SpecialHours] = Field(
        default=[], description="days ahead whose hours are not the weekly ones (holidays)"
    )
    latitude: float | None = None
    longitude: float | None = None
    stock: StoreStock | None = Field(default=None, description="of `has_sku`, when asked")
    distance_km: float | None = Field(
        default=None, description="from the point asked about (`near`, the customer's home)"
    )


class StoresResponse(BaseModel):
    stores: list[StoreOut]
    product: ProductOut | None = Field(
        default=None, description="`has_sku`'s product: `stores` are those that have it"
    )


class NearestStoresResponse(BaseModel):
    measured_from: str = Field(
        description="'home' (the account's home address), or 'home store' when it has none"
    )
    stores: list[StoreOut]
    product: ProductOut | None = Field(
        default=None, description="`has_sku`'s product: `stores` are those that have it"
    )


class StockResponse(BaseModel):
    store_id: str
    sku: str
    quantity: int
    in_stock: bool
    product: ProductOut


class SlotOut(BaseModel):
    slot_id: int
    store_id: str
    start: str
    end: str
    capacity: int
    available: int


class FindSlotResponse(BaseModel):
    when: str
    requested_start: str | None = Field(description="the exact time asked for, if one was")
    window_start: str
    window_end: str
    slot: SlotOut | None = Field(description="the free slot at that time or first in the window")
    alternatives: list[SlotOut] = Field(description="up to 3 other free slots, nearest first")


class SlotsResponse(BaseModel):
    store_id: str
    date: str
    timezone: str
    slots: list[SlotOut]


class BookingOut(BaseModel):
    booking_id: int
    status: str
    store_id: str
    store_name: str | None
    slot: SlotOut
    order_id: int | None = None


class BookingsResponse(BaseModel):
    bookings: list[BookingOut]
