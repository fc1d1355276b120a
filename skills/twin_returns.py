"""The in-memory twin's returns in store and feedback to the shop (``skills.twin`` builds on
it): the service's refusal codes for what the skills meet, from a policy kept simple — 30
days from collection, the twin's dairy-department goods only when faulty, never more back
than was bought; the real policy is the service's (``commerce/services/returns_policy.py``)."""

from __future__ import annotations

import itertools
from copy import deepcopy
from datetime import datetime, timedelta, timezone

from skills import contract as c
from skills.client import JSON, CommerceRefused
from skills.twin_catalog import TwinCatalog

WINDOW = timedelta(days=30)
FAULTS = ("damaged", "wrong-item")
NEGATIVE = ("bad", "off", "rude", "awful", "late", "long", "stale", "broken", "mouldy")
PERISHABLE = ("produce", "dairy", "bakery", "meat & fish", "frozen")


class TwinReturns(TwinCatalog):
    # the customer's side, which skills.twin keeps
    orders_list: list[c.Order]
    past_orders: list[c.Order]
    bookings: list[c.Booking]

    def __init__(self, products: list[JSON] | None = None) -> None:
        super().__init__(products)
        self.returns_made: list[c.Return] = []
        self.return_keys: dict[str, tuple[int, tuple[object, ...]]] = {}
        self.feedback_given: list[c.Feedback] = []
        self._return_ids = itertools.count(1)

    def add_collected_order(self, lines: dict[str, int], days_ago: float = 9) -> c.Order:
        """An order of ``lines`` (sku -> packs) collected ``days_ago``: the newest past one."""
        when = datetime.now(timezone.utc) - timedelta(days=days_ago)
        order: c.Order = {
            "order_id": 900 + len(self.past_orders),
            "status": "collected",
            "stage": "collected",
            "store_id": "riverside",
            "store_name": "Greenleaf Riverside",
            "pickup_start": when.isoformat(),
            "created_at": (when - timedelta(hours=6)).isoformat(),
            "total": round(sum(self.products[s]["price"] * q for s, q in lines.items()), 2),
            "currency": "GBP",
            "lines": [
                {"sku": s, "name": self.products[s]["name"], "quantity": q,
                 "unit_price": self.products[s]["price"]}
                for s, q in lines.items()
            ],
        }  # fmt: skip
        self.past_orders.insert(0, order)
        return deepcopy(order)

    def _refuse(self, status: int, code: str, **details: object) -> CommerceRefused:
        return CommerceRefused(status, code, code, dict(details))

    def _assess(
        self, order_id: int, sku: str, quantity: int, reason: str, refund_to: str
    ) -> c.ReturnCheck:
        order = next(
            (o for o in [*self.orders_list, *self.past_orders] if o["order_id"] == order_id), None
        )
        if order is None:
            raise self._refuse(404, "order-not-found")
        if order["status"] == "cancelled":
            raise self._refuse(409, "order-cancelled")
        if order["status"] == "placed" and order["stage"] == "being-prepared":
            raise self._refuse(409, "order-not-collected")
        line = next((ln for ln in order["lines"] if ln["sku"] == sku), None)
        if line is None:
            raise self._refuse(404, "order-line-not-found")
        back = sum(
            r["quantity"] for r in self.returns_made if (r["order_id"], r["sku"]) == (order_id, sku)
        )
        if back >= line["quantity"]:
            raise self._refuse(409, "already-returned")
        if back + quantity > line["quantity"]:
            raise self._refuse(409, "return-more-than-bought", returnable=line["quantity"] - back)
        collected = datetime.fromisoformat(order["pickup_start"] or order["created_at"])
        if datetime.now(timezone.utc) > collected + WINDOW:
            raise self._refuse(409, "return-window-closed", window_days=WINDOW.days)
        perishable = self.products.get(sku, {}).get("department") in PERISHABLE
        if perishable and reason not in FAULTS:
            raise self._refuse(409, "return-perishable")
        upcoming = [b for b in self.bookings if b["status"] == "active"]
        return {
            "order_id": order_id,
            "sku": sku,
            "name": line["name"],
            "quantity": quantity,
            "reason": reason,
            "refund_to": refund_to,
            "refund": round(line["unit_price"] * quantity, 2),
            "currency": "GBP",
            "returnable": line["quantity"] - back,
            "store_id": upcoming[0]["store_id"] if upcoming else order["store_id"],
            "store_name": upcoming[0]["store_name"] or "" if upcoming else order["store_name"],
            "pickup_start": upcoming[0]["slot"]["start"] if upcoming else None,
        }

    def check_return(
        self, order_id: int, sku: str, quantity: int, reason: str, refund_to: str = "payment"
    ) -> c.ReturnCheck:
        self._call("check_return")
        return self._assess(order_id, sku, quantity, reason, refund_to)

    def make_return(
        self, order_id: int, sku: str, quantity: int, reason: str, refund_to: str, key: str
    ) -> c.Return:
        self._call("make_return")
        asked = (order_id, sku, quantity, reason, refund_to)
        if key in self.return_keys:
            made_id, before = self.return_keys[key]
            if before != asked:
                raise self._refuse(409, "idempotency-key-reused")
            return deepcopy(next(r for r in self.returns_made if r["return_id"] == made_id))
        checked = self._assess(*asked)
        return_id = next(self._return_ids)
        made: c.Return = {
            **{k: v for k, v in checked.items() if k != "returnable"},  # type: ignore[typeddict-item]
            "return_id": return_id,
            "code": f"CK{return_id:04d}",
            "status": "authorised",
            "created_at": datetime.now(timezone.utc).isoformat(),
            "refunded_at": None,
        }
        self.returns_made.append(made)
        self.return_keys[key] = (return_id, asked)
        return deepcopy(made)

    def returns(self, limit: int = 20) -> list[c.Return]:
        self._call("returns")
        return deepcopy(list(reversed(self.returns_made))[:limit])

    def tell_the_shop(
        self, text: str, store_id: str | None = None, sku: str | None = None
    ) -> c.Feedback:
        self._call("tell_the_shop")
        line, order_id = None, None
        if sku is not None and sku not in self.products:
            raise self._refuse(404, "product-not-found")
        if sku is not None:
            orders = [*reversed(self.orders_list), *self.past_orders]
            bought = [(ln, o["order_id"]) for o in orders for ln in o["lines"]]
            line, order_id = next(((ln, i) for ln, i in bought if ln["sku"] == sku), (None, None))
            if line is None:
                raise self._refuse(404, "order-line-not-found")
        if store_id is not None:
            self.store(store_id)
        said = " ".join(text.split())
        negative = any(w in said.lower().split() for w in NEGATIVE)
        given: c.Feedback = {
            "feedback_id": len(self.feedback_given) + 1,
            "text": said,
            "category": "product-quality" if line else "staff" if "staff" in said else "other",
            "sentiment": "negative" if negative else "positive",
            "store_id": store_id,
            "sku": sku,
            "product_name": line["name"] if line else None,
            "order_id": order_id,
            "created_at": datetime.now(timezone.utc).isoformat(),
        }
        self.feedback_given.append(given)
        return deepcopy(given)
