"""An in-memory twin of the catalog & order service, for unit tests of the skills.

It answers the same calls as ``CommerceClient`` with the same shapes, from a small catalog
held in dictionaries (``skills/twin_catalog.py``: the shop's side; here the customer's), and
raises the same ``CommerceRefused`` codes. It is deliberately simple (word-overlap search,
fixed slots): the real service is tested on its own and end to end.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable
from copy import deepcopy
from datetime import datetime, timezone
from typing import Any, TypeVar, cast

from skills import contract as c
from skills.client import JSON, CommerceRefused, CommerceUncertain
from skills.twin_catalog import RECIPE_BOOK, recipe_summary
from skills.twin_money import TwinMoney, pence, pounds
from skills.twin_returns import TwinReturns
from skills.twin_stores import TwinStores

F = TypeVar("F", bound=Callable[..., Any])


def _answer_may_be_lost(method: F) -> F:
    """A write whose answer the twin can lose (``lost_answers``), as a timed-out request's
    is: done or not, the caller gets ``CommerceUncertain``."""

    @functools.wraps(method)
    def write(self: InMemoryCommerce, *args: Any, **kwargs: Any) -> Any:
        plan = self.lost_answers.get(method.__name__)
        if not plan:
            return method(self, *args, **kwargs)
        if plan.pop(0):  # the service did it (or refused it); only its answer was lost
            with contextlib.suppress(CommerceRefused):
                method(self, *args, **kwargs)
        else:
            self.calls.append(method.__name__)
        raise CommerceUncertain(f"{method.__name__}: the answer was lost")

    return write  # type: ignore[return-value]


TWIN_SUBJECT = "a11ce" * 6 + "00"  # alice's key in the conversation store


class InMemoryCommerce(TwinStores, TwinMoney, TwinReturns):
    """One customer's view of a tiny shop; ``fail`` makes every call raise Unavailable."""

    def __init__(self, products: list[JSON] | None = None, pin: bool = False) -> None:
        super().__init__(products)
        self.basket_lines: dict[str, int] = {}
        self.bookings: list[c.Booking] = []
        self.orders_list: list[c.Order] = []
        self.order_keys: dict[str, int] = {}  # idempotency key -> the order it placed
        self.past_orders: list[c.Order] = []  # older orders, newest first (collected ones)
        self.bought: list[str] = []  # skus the purchase history holds (else: what q finds)
        self.quotes: dict[str, JSON] = {}
        # slots a quote refuses (slot_id -> code: "slot-in-past", "store-closed")
        self.slot_refusals: dict[int, str] = {}
        self.pin = pin
        # Writes whose next answers are lost, by method name: one entry per call, True when
        # the write was done all the same, False when it never reached the service.
        self.lost_answers: dict[str, list[bool]] = {}
        self.expired_quotes: set[str] = set()
        self._ids = itertools.count(1)

    def me(self) -> c.Customer:
        self._call("me")
        return {
            "handle": "alice",
            "name": "Alice Martin",
            "home_store_id": "riverside",
            "has_pin": self.pin,
            "subject": TWIN_SUBJECT,
        }

    def basket(self, store_id: str | None = None) -> c.Basket:
        self._call("basket")
        items = [
            cast(
                c.BasketLine,
                self._item(sku, quantity=q, line_total=round(q * self.products[sku]["price"], 2)),
            )
            for sku, q in self.basket_lines.items()
        ]
        saved = sum(
            self.line_saving(sku, q, store_id or "riverside")[0]
            for sku, q in self.basket_lines.items()
        )
        return {
            "items": items,
            "item_count": sum(self.basket_lines.values()),
            "total": pounds(sum(pence(i["line_total"]) for i in items) - saved),
            "currency": "GBP",
        }

    @_answer_may_be_lost
    def add_item(self, sku: str, quantity: int) -> c.Basket:
        self._call("add_item")
        if sku not in self.products:
            raise CommerceRefused(404, "product-not-found", sku, {})
        if not 1 <= quantity <= 99:  # the request itself is refused, as the service does
            raise CommerceRefused(422, "invalid-request", "quantity: 1 to 99", {})
        if self.basket_lines.get(sku, 0) + quantity > 99:
            raise CommerceRefused(422, "quantity-out-of-range", "99 at most", {})
        self.basket_lines[sku] = self.basket_lines.get(sku, 0) + quantity
        return self.basket()

    def change_item(self, sku: str, quantity: int) -> c.Basket:
        self._call("change_item")
        if sku not in self.basket_lines:
            raise CommerceRefused(404, "not-in-basket", sku, {})
        self.basket_lines[sku] = quantity
        return self.basket()

    def remove_item(self, sku: str) -> c.Basket:
        self._call("remove_item")
        if self.basket_lines.pop(sku, None) is None:
            raise CommerceRefused(404, "not-in-basket", sku, {})
        return self.basket()

    def clear_basket(self) -> c.Basket:
        self._call("clear_basket")
        self.basket_lines.clear()
        return self.basket()

    def usual(self) -> list[c.UsualItem]:
        self._call("usual")
        return [cast(c.UsualItem, self._item("DAI-2", quantity=2, share=0.8))]

    def purchases(self, q: str | None = None, limit: int = 5) -> list[c.Purchase]:
        self._call("purchases")
        bought = [self._item(sku) for sku in self.bought] if self.bought else None
        if bought is None:
            found = self.search(q or "", None, limit) if q else [self._item("DAI-2")]
        else:  # like the service: a fuzzy match on the name, so near misses come back too
            found = [b for b in bought if not q or set(q.lower()) & set(b["name"].lower())]
        bought_at = {"times_bought": 3, "last_bought": "2026-11-01T10:00:00+00:00"}
        return [
            cast(
                c.Purchase,
                {**{k: v for k, v in f.items() if k not in ("score", "match")}, **bought_at},
            )
            for f in found[:limit]
        ]

    def reorder(self, source: str, store_id: str, skus: list[str] | None = None) -> c.Reorder:
        self._call("reorder")
        wanted = {"DAI-2": 2, "BAK-1": 1}
        past = [o for o in self.orders(limit=5) if o["status"] != "cancelled"]
        if source == "last_order" and past:
            wanted = {line["sku"]: line["quantity"] for line in past[0]["lines"]}
        added: list[c.ReorderLine] = []
        unavailable: list[c.UnavailableLine] = []
        for sku, quantity in wanted.items():
            if self.stock.get(sku, 0) >= quantity:
                self.basket_lines[sku] = self.basket_lines.get(sku, 0) + quantity
                added.append(cast(c.ReorderLine, self._item(sku, quantity=quantity)))
            else:
                subs = [
                    self._item(s, score=0.8)
                    for s, p in self.products.items()
                    if p["category"] == self.products[sku]["category"]
                    and s != sku
                    and self.stock.get(s, 0) >= quantity
                ]
                line = self._item(sku, quantity=quantity, substitutes=subs)
                unavailable.append(cast(c.UnavailableLine, line))
        return {"store_id": store_id, "added": added, "unavailable": unavailable}

    def recipe_to_basket(
        self, recipe: str, store_id: str, servings: int | None, have: list[str]
    ) -> c.RecipeBasket:
        self._call("recipe_to_basket")
        servings = servings or 4
        lines = {"DAI-2": 1 if servings <= 4 else 2, "DAI-4": 1, "PAN-1": 1}
        skipped: list[c.SkippedLine] = []
        if any("egg" in h for h in have):
            lines.pop("DAI-4")
            skipped.append({"line": "3 eggs", "category": "egg", "reason": "you have it"})
        for sku, quantity in lines.items():
            self.basket_lines[sku] = self.basket_lines.get(sku, 0) + quantity
        return {
            "recipe": deepcopy(recipe_summary(RECIPE_BOOK[0])),  # pancakes
            "servings": servings,
            "store_id": store_id,
            "added": [
                cast(c.RecipeLine, self._item(s, quantity=q, line_total=0.0, **{"for": "Pancakes"}))
                for s, q in lines.items()
            ],
            "skipped": skipped,
            "unavailable": [],
        }

    def pickups(self) -> list[c.Booking]:
        self._call("pickups")
        return deepcopy([b for b in self.bookings if b["status"] == "active"])

    def _slot(self, slot_id: int) -> c.Slot:
        for slot in self.slots:
            if slot["slot_id"] == slot_id:
                return slot
        raise CommerceRefused(404, "slot-not-found", str(slot_id), {})

    @_answer_may_be_lost
    def book(self, slot_id: int) -> c.Booking:
        self._call("book")
        slot = self._slot(slot_id)
        if any(b["status"] == "active" and b["slot"]["slot_id"] == slot_id for b in self.bookings):
            raise CommerceRefused(409, "already-booked", "You already have this slot.", {})
        if slot["available"] <= 0:
            free = [s for s in self.slots if s["available"] > 0]
            raise CommerceRefused(409, "slot-full", "full", {"alternatives": deepcopy(free)})
        slot["available"] -= 1
        booking: c.Booking = {
            "booking_id": next(self._ids),
            "status": "active",
            "store_id": "riverside",
            "store_name": "Greenleaf Riverside",
            "slot": deepcopy(slot),
            "order_id": None,
        }
        self.bookings.append(booking)
        return deepcopy(booking)

    @_answer_may_be_lost
    def reschedule(self, booking_id: int, slot_id: int) -> c.Booking:
        self._call("reschedule")
        booking = next(b for b in self.bookings if b["booking_id"] == booking_id)
        new = self._slot(slot_id)
        if new["available"] <= 0:
            raise CommerceRefused(409, "slot-full", "full", {"alternatives": []})
        new["available"] -= 1
        self._slot(booking["slot"]["slot_id"])["available"] += 1
        booking["slot"] = deepcopy(new)
        return deepcopy(booking)

    @_answer_may_be_lost
    def cancel_pickup(self, booking_id: int) -> c.Booking:
        self._call("cancel_pickup")
        booking = next(b for b in self.bookings if b["booking_id"] == booking_id)
        if booking["status"] != "active":
            raise CommerceRefused(404, "booking-not-found", str(booking_id), {})
        booking["status"] = "cancelled"
        self._slot(booking["slot"]["slot_id"])["available"] += 1
        return deepcopy(booking)

    def quote(self, store_id: str, slot_id: int, use_points: bool = False) -> c.Quote:
        self._call("quote")
        if not self.basket_lines:
            raise CommerceRefused(409, "basket-empty", "empty", {})
        if slot_id in self.slot_refusals:
            raise CommerceRefused(409, self.slot_refusals[slot_id], "slot", {})
        basket = self.basket()
        quote_id = f"q-{next(self._ids)}"
        money = self.quote_money(self.basket_lines, use_points)
        self.quotes[quote_id] = {
            "lines": dict(self.basket_lines),
            "slot_id": slot_id,
            "total": money["total"],
            "points_used": money["points_used"],
        }
        body: JSON = {
            "quote_id": quote_id,
            "store_id": store_id,
            "store_name": "Greenleaf Riverside",
            "slot_id": slot_id,
            "slot": deepcopy(self._slot(slot_id)),
            "lines": [
                {
                    "sku": i["sku"],
                    "name": i["name"],
                    "quantity": i["quantity"],
                    "unit_price": i["price"],
                    "line_total": i["line_total"],
                }
                for i in basket["items"]
            ],
            **money,
            "currency": "GBP",
            "expires_at": "2099-01-01T00:00:00+00:00",
            "pin_required": self.pin,
        }
        return cast(c.Quote, body)

    @_answer_may_be_lost
    def place_order(self, quote_id: str, key: str, pin_ticket: str | None = None) -> c.Order:
        self._call("place_order")
        for placed in self.orders_list:
            if self.order_keys.get(key) == placed["order_id"]:
                return deepcopy(placed)
        if quote_id not in self.quotes:
            raise CommerceRefused(404, "quote-not-found", quote_id, {})
        if quote_id in self.expired_quotes:
            raise CommerceRefused(410, "quote-expired", quote_id, {})
        if self.pin and pin_ticket != "pt_good":
            code = "pin-ticket-invalid" if pin_ticket else "pin-required"
            raise CommerceRefused(403, code, "pin", {})
        slot = self._slot(self.quotes[quote_id]["slot_id"])
        order: c.Order = {
            "order_id": next(self._ids),
            "status": "placed",
            "stage": "being-prepared",
            "store_id": "riverside",
            "store_name": "Greenleaf Riverside",
            "pickup_start": slot["start"],
            "created_at": datetime.now(timezone.utc).isoformat(),
            "total": self.quotes[quote_id]["total"],
            "currency": "GBP",
            "lines": [
                {
                    "sku": sku,
                    "name": self.products[sku]["name"],
                    "quantity": quantity,
                    "unit_price": self.products[sku]["price"],
                }
                for sku, quantity in self.quotes[quote_id]["lines"].items()
            ],
        }
        self.orders_list.append(order)
        self.order_keys[key] = order["order_id"]
        self.points_placed(order["order_id"], self.quotes[quote_id]["points_used"], order["total"])
        for booking in self.bookings:
            active = booking["status"] == "active" and booking.get("order_id") is None
            if active and booking["slot"]["slot_id"] == slot["slot_id"]:
                booking["order_id"] = order["order_id"]
        self.basket_lines.clear()
        return deepcopy(order)

    @_answer_may_be_lost
    def cancel_order(self, order_id: int) -> c.Order:
        self._call("cancel_order")
        order = next((o for o in self.orders_list if o["order_id"] == order_id), None)
        if order is None:
            raise CommerceRefused(404, "order-not-found", str(order_id), {})
        if order["status"] != "placed" or order["stage"] != "being-prepared":
            stage = "cancelled" if order["status"] == "cancelled" else order["stage"]
            raise CommerceRefused(409, "order-not-cancellable", "too late", {"stage": stage})
        order["status"] = "cancelled"
        self.points_cancelled(order_id)
        for booking in self.bookings:
            if booking.get("order_id") == order_id and booking["status"] == "active":
                booking["status"] = "cancelled"
                self._slot(booking["slot"]["slot_id"])["available"] += 1
        return deepcopy(order)

    def orders(self, limit: int = 5) -> list[c.Order]:
        self._call("orders")
        return deepcopy([*reversed(self.orders_list), *self.past_orders][:limit])

    @_answer_may_be_lost
    def erase_me(self, pin_ticket: str | None = None) -> c.Erased:
        self._call("erase_me")
        waiting = [o["order_id"] for o in self.orders_list if o["status"] == "placed"]
        if waiting:
            raise CommerceRefused(409, "erase-open-orders", "waiting", {"order_ids": waiting})
        if self.pin and pin_ticket != "pt_good":
            code = "pin-ticket-invalid" if pin_ticket else "pin-required"
            raise CommerceRefused(403, code, "pin", {})
        now = datetime.now(timezone.utc)
        upcoming = [
            b
            for b in self.bookings
            if b["status"] == "active" and datetime.fromisoformat(b["slot"]["start"]) > now
        ]
        for booking in upcoming:
            booking["status"] = "cancelled"
        self.basket_lines.clear()
        self.erased = True
        return {
            "erased": True,
            "subject": TWIN_SUBJECT,
            "pickups_cancelled": len(upcoming),
            "orders_kept_anonymised": len(self.orders_list) + len(self.past_orders),
        }
