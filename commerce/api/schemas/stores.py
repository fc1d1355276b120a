"""Stores, their stock and pickup slots, and pickup bookings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request, SlotId
from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes


class BookPickup(Request):
    slot_id: int = SlotId


class ClosedDate(Shaped, shape=shapes.ClosedDate): ...


class SpecialHours(Shaped, shape=shapes.SpecialHours):
    name = Field(description="the holiday or occasion: 'Christmas Eve'")
    opens = Field(description="local 'HH:MM'; null: closed all day")


class StoreStock(Shaped, shape=shapes.StoreStock):
    quantity = Field(description="units on the shelf")


class StoreOut(Shaped, shape=shapes.Store):
    closed_dates = Field(
        default=list[ClosedDate](),
        description="days ahead the store is closed whatever its weekly hours",
    )
    special_hours = Field(
        default=list[SpecialHours](),
        description="days ahead whose hours are not the weekly ones (holidays)",
    )
    latitude = None
    longitude = None
    distance_km = Field(
        default=None, description="from the point asked about (`near`, the customer's home)"
    )
    stock = Field(default=None, description="of `has_sku`, when asked")


class StoresResponse(Shaped, shape=shapes.StoresWith):
    product = Field(
        default=None, description="`has_sku`'s product: `stores` are those that have it"
    )
    measured_from = Field(
        default=None, description="with `has_sku` and no `near`: 'home' or 'home store'"
    )


class NearestStoresResponse(Shaped, shape=shapes.NearestStores):
    measured_from = Field(
        description="'home' (the account's home address), or 'home store' when it has none"
    )
    product = Field(
        default=None, description="`has_sku`'s product: `stores` are those that have it"
    )


class StockResponse(BaseModel):
    store_id: str
    sku: str
    quantity: int
    in_stock: bool
    product: ProductOut


class SlotOut(Shaped, shape=shapes.Slot): ...


class FindSlotResponse(Shaped, shape=shapes.FoundSlot):
    requested_start = Field(description="the exact time asked for, if one was")
    slot = Field(description="the free slot at that time or first in the window")
    alternatives = Field(description="up to 3 other free slots, nearest first")


class SlotsResponse(BaseModel):
    store_id: str
    date: str
    timezone: str
    slots: list[SlotOut]


class BookingOut(Shaped, shape=shapes.Booking):
    order_id = None


class BookingsResponse(BaseModel):
    bookings: list[BookingOut]
