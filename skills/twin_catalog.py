"""The in-memory twin's shop: its small catalog (products, stores and their pickup slots,
recipes) and the catalog calls, answered as the service answers them; ``skills.twin`` adds
the customer's side (basket, bookings, orders) on top."""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, cast

from skills import contract as c
from skills.client import JSON, CommerceRefused, CommerceUnavailable

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
MEASURES: dict[str, tuple[Literal["ml", "g"], float]] = {
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


def recipe_summary(recipe: JSON) -> c.RecipeSummary:
    """A recipe of the book without its ingredients, as the service lists it."""
    return cast(c.RecipeSummary, {k: v for k, v in recipe.items() if k != "ingredients"})


class TwinCatalog:
    """The shop as every customer sees it; ``fail`` makes every call raise Unavailable."""

    def __init__(self, products: list[JSON] | None = None) -> None:
        self.products = {p["sku"]: deepcopy(p) for p in (products or DEFAULT_PRODUCTS)}
        self.stock: dict[str, int] = {sku: 20 for sku in self.products}
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
        self.recipe_queries: list[JSON] = []  # what recipes() was asked
        self.erased = False  # erase_me was done: the customer's token no longer works
        self.fail = False
        self.calls: list[str] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.fail:
            raise CommerceUnavailable(f"{name}: the twin is down")
        if self.erased:
            raise CommerceRefused(401, "auth-invalid", "the customer was erased", {})

    def _item(self, sku: str, store_id: str | None = None, **extra: Any) -> JSON:
        stock = self.store_stock.get(store_id or "", {}).get(sku, self.stock.get(sku, 0))
        return {**self.products[sku], "in_stock": stock > 0, **extra}

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
            found.append(recipe_summary(recipe))
        found.sort(key=lambda r: r["minutes"])
        return cast(list[c.RecipeSummary], deepcopy(found[:limit]))

    def recipe(self, ref: str) -> c.Recipe:
        self._call("recipe")
        for recipe in RECIPE_BOOK:
            if ref in (recipe["slug"], str(recipe["recipe_id"])):
                return cast(c.Recipe, deepcopy(recipe))
        raise CommerceRefused(404, "recipe-not-found", ref, {})
