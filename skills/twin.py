"""An in-memory twin of the catalog & order service, for unit tests of the skills.

It answers the same calls as ``CommerceClient`` with the same shapes, from a small catalog
held in dictionaries, and raises the same ``CommerceRefused`` codes. It is deliberately simple
(word-overlap search, fixed slots): the real service is tested on its own and end to end.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
from collections.abc import Callable
from copy import deepcopy
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar, cast

from skills import contract as c
from skills.client import JSON, CommerceRefused, CommerceUnavailable, CommerceUncertain

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

WORD_QUANTITY = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "six": 6,
    "dozen": 12,
    "a dozen": 12,
}

# a weight or volume word -> (the unit the service says it in, how many of that it is)
MEASURES = {
    "kilo": ("g", 1000.0), "kilos": ("g", 1000.0), "kg": ("g", 1000.0), "gram": ("g", 1.0),
    "grams": ("g", 1.0), "litre": ("ml", 1000.0), "litres": ("ml", 1000.0), "ml": ("ml", 1.0),
}  # fmt: skip


# pack units -> (the shelf label's unit, how many pack units make one)
PER_UNIT = {"L": ("litre", 1.0), "ml": ("litre", 1000.0), "kg": ("kg", 1.0), "g": ("kg", 1000.0)}


def _product(
    sku: str,
    name: str,
    category: str,
    size: float,
    unit: str,
    price: float,
    brand: str = "Greenleaf",
    suitable_for: tuple[str, ...] = (),
) -> JSON:
    per, factor = PER_UNIT.get(unit, ("item", 1.0))
    return {
        "sku": sku,
        "name": name,
        "brand": brand,
        "size": size,
        "unit": unit,
        "price": price,
        "department": "dairy",
        "category": category,
        "suitable_for": list(suitable_for),
        "price_per_unit": round(price / (size / factor), 2),
        "per_unit": per,
    }


DEFAULT_PRODUCTS = [
    _product("DAI-1", "Whole Milk", "milk", 2.0, "L", 1.50, suitable_for=("vegetarian",)),
    _product("DAI-2", "Semi-Skimmed Milk", "milk", 1.0, "L", 1.05, suitable_for=("vegetarian",)),
    _product(
        "DAI-3",
        "Oat Milk",
        "milk",
        1.0,
        "L",
        1.80,
        brand="Oatly Fields",
        suitable_for=("vegan", "vegetarian"),
    ),
    _product("DAI-4", "Free Range Large Eggs", "egg", 12.0, "each", 2.75),
    _product("BAK-1", "White Bread", "bread", 800.0, "g", 0.80, suitable_for=("vegan",)),
    _product("BAK-2", "Sourdough Loaf", "bread", 400.0, "g", 2.20, suitable_for=("vegan",)),
    _product("PRO-1", "Bananas", "banana", 1.0, "each", 0.20, suitable_for=("vegan",)),
    _product("PAN-1", "Plain Flour", "flour", 1.5, "kg", 0.95, suitable_for=("vegan",)),
    _product(
        "MEA-1",
        "Chicken Drumsticks",
        "chicken drumstick",
        1.0,
        "kg",
        3.40,
        brand="Brackenhill Butchers",
    ),
]


RECIPE_BOOK: list[JSON] = [
    {
        "recipe_id": 1,
        "slug": "pancakes",
        "name": "Pancakes",
        "servings": 4,
        "meal": "breakfast",
        "minutes": 20,
        "tags": ["vegetarian", "quick"],
        "ingredients": [
            {"line": "200 g plain flour", "quantity": 200, "unit": "g", "category": "flour",
             "pantry": False},
            {"line": "300 ml milk", "quantity": 300, "unit": "ml", "category": "milk",
             "pantry": False},
            {"line": "2 eggs, beaten", "quantity": 2, "unit": "each", "category": "egg",
             "pantry": False},
            {"line": "1 pinch salt", "quantity": 0.3, "unit": "g", "category": "salt",
             "pantry": True},
        ],
    },
    {
        "recipe_id": 2,
        "slug": "chickpea-curry",
        "name": "Chickpea Curry",
        "servings": 4,
        "meal": "dinner",
        "minutes": 35,
        "tags": ["vegan", "gluten-free"],
        "ingredients": [
            {"line": "2 tins chickpeas", "quantity": 800, "unit": "g", "category": "chickpeas",
             "pantry": False},
        ],
    },
    {
        "recipe_id": 3,
        "slug": "chicken-curry",
        "name": "Chicken Curry",
        "servings": 4,
        "meal": "dinner",
        "minutes": 45,
        "tags": ["spicy"],
        "ingredients": [
            {"line": "500 g chicken thighs", "quantity": 500, "unit": "g",
             "category": "chicken thigh", "pantry": False},
        ],
    },
    {
        "recipe_id": 4,
        "slug": "vegetable-stir-fry",
        "name": "Vegetable Stir Fry",
        "servings": 2,
        "meal": "dinner",
        "minutes": 20,
        "tags": ["vegetarian", "quick"],
        "ingredients": [
            {"line": "300 g mixed vegetables", "quantity": 300, "unit": "g",
             "category": "frozen vegetables", "pantry": False},
        ],
    },
]  # fmt: skip


class InMemoryCommerce:
    """One customer's view of a tiny shop; ``fail`` makes every call raise Unavailable."""

    def __init__(self, products: list[JSON] | None = None, pin: bool = False) -> None:
        self.products = {p["sku"]: deepcopy(p) for p in (products or DEFAULT_PRODUCTS)}
        self.stock: dict[str, int] = {sku: 20 for sku in self.products}
        self.basket_lines: dict[str, int] = {}
        # Stock a store has differently from the rest (store_id -> sku -> packs).
        self.store_stock: dict[str, dict[str, int]] = {}
        every_day = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        self.stores_list: list[c.Store] = [
            {
                "store_id": "riverside",
                "name": "Greenleaf Riverside",
                "address": "14 Mill Quay",
                "timezone": "Europe/London",
                "opening_hours": {d: ["07:00", "22:00"] for d in every_day},
                "closed_dates": [],
                "latitude": 52.19852,
                "longitude": -1.72618,
            },
            {
                "store_id": "harbour",
                "name": "Greenleaf Harbour",
                "address": "7 Pier Road",
                "timezone": "Europe/Jersey",
                "opening_hours": {d: ["08:00", "21:00"] for d in every_day},
                "closed_dates": [],
                "latitude": 49.18803,
                "longitude": -2.10902,
            },
        ]
        # distance from the customer's home to each store (km), and where it is measured from
        self.home_km: dict[str, float] = {"riverside": 1.3, "harbour": 410.0}
        self.measured_from = "home"
        start = (datetime.now(timezone.utc) + timedelta(days=1)).replace(
            hour=17, minute=0, second=0, microsecond=0
        )
        self.slots: list[c.Slot] = [
            {
                "slot_id": i + 1,
                "store_id": "riverside",
                "start": (start + timedelta(minutes=30 * i)).isoformat(),
                "end": (start + timedelta(minutes=30 * (i + 1))).isoformat(),
                "capacity": 2,
                "available": 2,
            }
            for i in range(4)
        ]
        # What find_slot was asked, phrases it refuses (phrase -> code) and times it reads as
        # outside opening hours (phrase -> the local start asked for).
        self.whens: list[str] = []
        self.when_refusals: dict[str, str] = {}
        self.closed_times: dict[str, str] = {}
        self.bookings: list[c.Booking] = []
        self.orders_list: list[c.Order] = []
        self.order_keys: dict[str, int] = {}  # idempotency key -> the order it placed
        self.past_orders: list[c.Order] = []  # older orders, newest first (collected ones)
        self.bought: list[str] = []  # skus the purchase history holds (else: what q finds)
        self.quotes: dict[str, JSON] = {}
        self.recipe_queries: list[JSON] = []  # what recipes() was asked
        # slots a quote refuses (slot_id -> code: "slot-in-past", "store-closed")
        self.slot_refusals: dict[int, str] = {}
        self.pin = pin
        self.erased = False  # erase_me was done: the customer's token no longer works
        self.fail = False
        # Writes whose next answers are lost, by method name: one entry per call, True when
        # the write was done all the same, False when it never reached the service.
        self.lost_answers: dict[str, list[bool]] = {}
        self.expired_quotes: set[str] = set()
        self.calls: list[str] = []
        self._ids = itertools.count(1)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.fail:
            raise CommerceUnavailable(f"{name}: the twin is down")
        if self.erased:
            raise CommerceRefused(401, "auth-invalid", "the customer was erased", {})

    def _item(self, sku: str, store_id: str | None = None, **extra: Any) -> JSON:
        stock = self.store_stock.get(store_id or "", {}).get(sku, self.stock.get(sku, 0))
        return {**self.products[sku], "in_stock": stock > 0, **extra}

    # -- catalog -----------------------------------------------------------------------------

    def search(self, q: str, store_id: str | None, limit: int = 5) -> list[c.SearchResult]:
        self._call("search")
        words = self._words(q)
        scored = []
        for sku, product in self.products.items():
            name = self._words(product["name"])
            brand = self._words(product["brand"])
            overlap = len(words & (name | {product["category"]} | brand))
            if overlap:
                # how it was found, surest first, as the service says it (no guesses here)
                match = (
                    "name" if words & name else "category" if product["category"] in words
                    else "brand"
                )  # fmt: skip
                scored.append((-overlap, len(name), sku, match))
        ranked = sorted(scored)[:limit]
        return [
            cast(c.SearchResult, self._item(sku, store_id, score=50.0 - n, match=match))
            for _, n, sku, match in ranked
        ]

    @staticmethod
    def _words(text: str) -> set[str]:
        return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower())}

    def resolve(self, q: str, store_id: str | None, limit: int = 5) -> c.Resolution:
        self._call("resolve")
        words = q.lower().split()
        packs = None
        if words and (words[0].isdigit() or words[0] in WORD_QUANTITY):
            packs = int(words[0]) if words[0].isdigit() else WORD_QUANTITY[words[0]]
            if packs > 99:
                raise CommerceRefused(422, "quantity-out-of-range", "too many", {})
        quantity: c.Quantity = {"text": None, "packs": packs, "amount": None, "unit": None}
        if packs is not None and len(words) > 1 and words[1] in MEASURES:
            # "a kilo of flour": a weight or volume, as the service reads it (its packs: 1 here)
            unit, factor = MEASURES[words[1]]
            quantity = {
                "text": " ".join(words[:2]),
                "packs": None,
                "amount": packs * factor,
                "unit": unit,
            }
            packs = None
        results = [
            cast(c.ResolvedProduct, {**r, "packs": packs or 1})
            for r in self.search(q, store_id, limit)
        ]
        return {"query": q, "quantity": quantity, "results": results}

    def stores(self, q: str | None = None, near: str | None = None) -> list[c.Store]:
        self._call("stores")
        if near is not None:
            # the twin's stores are far apart: the one at that point, then the other one
            lat = float(near.split(",")[0])
            degrees = {s["store_id"]: abs((s["latitude"] or 0.0) - lat) for s in self.stores_list}
            ranked = sorted(self.stores_list, key=lambda s: degrees[s["store_id"]])
            return [
                {**deepcopy(s), "distance_km": round(degrees[s["store_id"]] * 111.2, 2)}
                for s in ranked
            ]
        if q is None:
            return deepcopy(self.stores_list)
        said = re.sub(r"[^a-z]", "", q.lower())  # "river side" names riverside, as it does there
        return [
            deepcopy(s)
            for s in self.stores_list
            if re.sub(r"[^a-z]", "", s["store_id"]) in said
            or said in re.sub(r"[^a-z]", "", s["name"].lower())
        ]

    def nearest_stores(self) -> c.NearestStores:
        self._call("nearest_stores")
        ranked = sorted(self.stores_list, key=lambda s: self.home_km[s["store_id"]])
        return {
            "measured_from": self.measured_from,
            "stores": [{**deepcopy(s), "distance_km": self.home_km[s["store_id"]]} for s in ranked],
        }

    def store(self, store_id: str) -> c.Store:
        self._call("store")
        for store in self.stores_list:
            if store["store_id"] == store_id:
                return deepcopy(store)
        raise CommerceRefused(404, "store-not-found", store_id, {})

    def find_slot(self, store_id: str, when: str) -> c.FoundSlot:
        self._call("find_slot")
        self.whens.append(when)
        if when in self.when_refusals:
            code = self.when_refusals[when]
            details = {"when": when}
            if code == "store-closed":
                details["holiday"] = "Christmas Day"
            raise CommerceRefused(400, code, when, details)
        wanted = next((s for s in self.slots if s["available"] > 0), None)
        if "full" in when or when in self.closed_times:
            wanted = None
        free = [s for s in self.slots if s["available"] > 0 and s is not wanted]
        return {
            "when": when,
            "requested_start": self.closed_times.get(when),
            "window_start": self.slots[0]["start"],
            "window_end": self.slots[-1]["end"],
            "slot": deepcopy(wanted),
            "alternatives": deepcopy(free[:3]),
        }

    def recipes(
        self,
        q: str | None = None,
        meal: str | None = None,
        limit: int = 3,
        diets: list[str] | None = None,
        quick: bool = False,
    ) -> list[c.RecipeSummary]:
        """Like the service: filtered by meal, diets (a vegan recipe is vegetarian) and quick
        (30 minutes at most), a name's words must be in the recipe's; quickest first."""
        self._call("recipes")
        self.recipe_queries.append({"q": q, "meal": meal, "diets": diets, "quick": quick})
        found = []
        for recipe in RECIPE_BOOK:
            tags = set(recipe["tags"]) | ({"vegetarian"} if "vegan" in recipe["tags"] else set())
            words = set(re.findall(r"[a-z]+", (q or "").lower()))
            named = {w.rstrip("s") for w in re.findall(r"[a-z]+", recipe["name"].lower())}
            if meal and recipe["meal"] != meal:
                continue
            if not set(diets or ()) <= tags or (quick and recipe["minutes"] > 30):
                continue
            if words and not {w.rstrip("s") for w in words} & named:
                continue
            found.append({k: v for k, v in recipe.items() if k != "ingredients"})
        found.sort(key=lambda r: r["minutes"])
        return cast(list[c.RecipeSummary], deepcopy(found[:limit]))

    def recipe(self, ref: str) -> c.Recipe:
        self._call("recipe")
        for recipe in RECIPE_BOOK:
            if ref in (recipe["slug"], str(recipe["recipe_id"])):
                return cast(c.Recipe, deepcopy(recipe))
        raise CommerceRefused(404, "recipe-not-found", ref, {})

    # -- the customer ----------------------------------------------------------------------

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
        return {
            "items": items,
            "item_count": sum(self.basket_lines.values()),
            "total": round(sum(i["line_total"] for i in items), 2),
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
            "recipe": {
                "recipe_id": 1,
                "slug": "pancakes",
                "name": "Pancakes",
                "servings": 4,
                "meal": "breakfast",
                "minutes": 20,
                "tags": [],
            },
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

    def quote(self, store_id: str, slot_id: int) -> c.Quote:
        self._call("quote")
        if not self.basket_lines:
            raise CommerceRefused(409, "basket-empty", "empty", {})
        if slot_id in self.slot_refusals:
            raise CommerceRefused(409, self.slot_refusals[slot_id], "slot", {})
        basket = self.basket()
        quote_id = f"q-{next(self._ids)}"
        self.quotes[quote_id] = {"lines": dict(self.basket_lines), "slot_id": slot_id}
        return {
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
            "total": basket["total"],
            "currency": "GBP",
            "expires_at": "2099-01-01T00:00:00+00:00",
            "pin_required": self.pin,
        }

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
            "total": self.basket()["total"],
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
