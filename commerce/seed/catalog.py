"""Deterministic seed catalog: about 2,200 realistic grocery products built from small tables.

The tables (items, brands, spoken synonyms) are data: ``data/catalog.yml``. Every product is
one brand's pack of a generic *item*. ``category`` is the item key shared by
substitutes and recipes ("milk", "egg", "chicken breast"); ``name`` is what a customer says,
without brand or size. Prices are in cents (pence): each item's pack table gives the own-label
price per pack, bigger packs cheaper per unit; brands scale it (premium dearer, the value line
cheaper) with a small, seeded per-product-line jitter.

``generate_products(count)`` keeps the default catalog as its first products (same SKUs) and
then adds further brands, and organic lines of food, one round at a time until ``count`` is
reached, for benchmarks with 12,000+ products.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from commerce.seed.specs import UNITS, ProductSpec

__all__ = [
    "CATEGORIES",
    "CATEGORY_UNITS",
    "DEFAULT_PRODUCTS",
    "DEPARTMENTS",
    "GLOBAL_SYNONYMS",
    "MAX_PRODUCTS",
    "generate_products",
]

DEPARTMENTS: tuple[str, ...] = (
    "produce", "dairy", "bakery", "meat & fish", "pantry", "frozen", "drinks", "household",
    "personal care", "baby", "pet",
)  # fmt: skip

_PREFIX = {
    "produce": "PRO", "dairy": "DAI", "bakery": "BAK", "meat & fish": "MEA", "pantry": "PAN",
    "frozen": "FRO", "drinks": "DRI", "household": "HOU", "personal care": "PER", "baby": "BAB",
    "pet": "PET",
}  # fmt: skip

# A variant name, optionally with a price factor and extra synonyms of its own.
_Name = str | tuple[str, float] | tuple[str, float, tuple[str, ...]]
# (size, unit, own-label price in cents), smallest pack first.
_Pack = tuple[float, str, int]


class _Item(NamedTuple):
    aisle: str
    category: str
    names: tuple[_Name, ...]
    packs: tuple[_Pack, ...]
    synonyms: tuple[str, ...] = ()
    brands: int = 0  # brands in the default catalog; 0 = the department's default
    standard: int = -1  # index of the everyday pack; -1 = the middle (or smaller) one


class _Brand(NamedTuple):
    name: str
    factor: float  # price factor against the own label
    aisles: tuple[str, ...] = ()  # the aisles the brand sells in; empty = all of them


DATA = Path(__file__).with_name("data") / "catalog.yml"
_OWN = "Greenleaf"


def _tuples(value: Any) -> Any:
    """YAML lists as the tuples the tables are made of."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _load() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(DATA.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    return data


_DATA = _load()
# The catalog's lines per department, the brands that sell them and spoken synonyms, from
# data/catalog.yml.
_ITEMS: dict[str, tuple[_Item, ...]] = {
    department: tuple(_Item(**{k: _tuples(v) for k, v in item.items()}) for item in items)
    for department, items in _DATA["items"].items()
}
# Brands in the default catalog per item unless the item says otherwise (items marked 3 are
# staples: three brands, two leading variants each).
_DEFAULT_BRANDS: dict[str, int] = _DATA["default_brands"]
# Own label first; the others are invented names. Premium lines are dearer, value lines cheaper.
_BRANDS: dict[str, tuple[_Brand, ...]] = {
    department: tuple(_Brand(b["name"], b["factor"], tuple(b.get("aisles", ()))) for b in brands)
    for department, brands in _DATA["brands"].items()
}

# Organic lines are added after every brand of the item (food only; not these categories).
_ORGANIC_DEPARTMENTS = ("produce", "dairy", "bakery", "meat & fish", "pantry", "frozen", "baby")
_NO_ORGANIC = frozenset(
    {
        "salt", "water", "ice", "cola", "energy drink", "baby wipes", "nappies", "nappy bags",
        "nappy cream", "baby toiletries", "tinned fish", "white fish", "prawns", "fish pie mix",
        "smoked salmon", "mackerel", "tuna", "tuna steak", "fish fingers", "sweets",
        "meat-free mince", "meat-free sausage", "ready meal", "chicken nuggets", "dessert",
    }
)  # fmt: skip
_ORGANIC_FACTOR = 1.4
_ORGANIC_BRANDS = 4  # own label plus the next three brands of the line-up

_TO_BASE = {"ml": ("ml", 1.0), "L": ("ml", 1000.0), "g": ("g", 1.0), "kg": ("g", 1000.0)}

# Spoken word -> catalog words it may mean. Lowercase, singular; both directions where sensible.
GLOBAL_SYNONYMS: dict[str, tuple[str, ...]] = {
    word: _tuples(means) for word, means in _DATA["global_synonyms"].items()
}


def _variant(name: _Name) -> tuple[str, float, tuple[str, ...]]:
    if isinstance(name, str):
        return name, 1.0, ()
    if len(name) == 2:
        return name[0], name[1], ()
    return name[0], name[1], name[2]


def _lineup(department: str, index: int, item: _Item) -> list[tuple[str, float, str]]:
    """Every (brand, price factor, name prefix) the item can be sold as, in catalog order."""
    brands = [b for b in _BRANDS[department] if not b.aisles or item.aisle in b.aisles]
    own, others = brands[0], brands[1:]
    if others:  # rotate so that items of one department show different brands
        shift = index % len(others)
        others = others[shift:] + others[:shift]
    lineup = [(b.name, b.factor, "") for b in (own, *others)]
    if department in _ORGANIC_DEPARTMENTS and item.category not in _NO_ORGANIC:
        for brand in (own, *others)[:_ORGANIC_BRANDS]:
            lineup.append((brand.name, brand.factor * _ORGANIC_FACTOR, "Organic "))
    return lineup


def _retail(cents: float) -> int:
    """Round to a shelf price: nearest 5p, and x.x9 instead of x.x0 from £1 up."""
    price = max(10, round(cents / 5) * 5)
    return price - 1 if price >= 100 and price % 10 == 0 else price


def _pack_prices(packs: tuple[_Pack, ...], factor: float) -> list[int]:
    """Shelf prices for one product line, each bigger pack strictly cheaper per unit."""
    prices = [_retail(cents * factor) for _, _, cents in packs]
    last: dict[str, tuple[float, int]] = {}  # dimension -> (base size, price) of previous pack
    for i, (size, unit, _) in enumerate(packs):
        dimension, per = _TO_BASE.get(unit, ("each", 1.0))
        base = size * per
        if dimension in last:
            prev_base, prev_price = last[dimension]
            most = math.ceil(prev_price * base / prev_base) - 1  # strictly below the unit price
            prices[i] = min(prices[i], most)
        last[dimension] = (base, prices[i])
    return prices


def _synonyms(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(word.lower() for group in groups for word in group))


_Cells = tuple[tuple[int, int], ...]  # (variant index, pack index) pairs a brand sells
_Line = tuple[str, _Item, str, float, str, _Cells]  # dept, item, brand, factor, prefix, cells


def _default_cells(item: _Item, position: int, brands: int) -> _Cells:
    """What the default catalog sells of an item from the brand at ``position`` of ``brands``.

    The own label sells the first two variants in every pack; each other brand sells its
    leading variant (two for staples) in the standard (middle) pack; the remaining variants are
    shared out among the brands, in the standard pack. The rest of every range comes in the
    first extension round ("more flavours and pack sizes").
    """
    standard = item.standard if item.standard >= 0 else (len(item.packs) - 1) // 2
    leading = 2 if position == 0 or item.brands >= 3 else 1
    return tuple(
        (v, p)
        for v in range(len(item.names))
        for p in range(len(item.packs))
        if (v < leading and (position == 0 or p == standard))
        or (v >= 2 and (v - 2) % brands == position and p == standard)
    )


def _all_cells(item: _Item) -> _Cells:
    return tuple((v, p) for v in range(len(item.names)) for p in range(len(item.packs)))


def _rounds() -> Iterator[list[_Line]]:
    """Round 0 is the default catalog; round 1 completes its brands' ranges; each further
    round adds the next brand (or organic line) of every item's line-up, full range."""
    lineups = {
        dept: [_lineup(dept, i, item) for i, item in enumerate(_ITEMS[dept])]
        for dept in DEPARTMENTS
    }
    round_no = 0
    while True:
        lines: list[_Line] = []
        for dept in DEPARTMENTS:
            for item, lineup in zip(_ITEMS[dept], lineups[dept], strict=True):
                first = item.brands or _DEFAULT_BRANDS[dept]
                if round_no < 2:
                    for position, (brand, factor, prefix) in enumerate(lineup[:first]):
                        cells = _default_cells(item, position, first)
                        if round_no == 1:
                            cells = tuple(c for c in _all_cells(item) if c not in cells)
                        if cells:
                            lines.append((dept, item, brand, factor, prefix, cells))
                elif first + round_no - 2 < len(lineup):
                    brand, factor, prefix = lineup[first + round_no - 2]
                    lines.append((dept, item, brand, factor, prefix, _all_cells(item)))
        if not lines:
            return
        yield lines
        round_no += 1


def _products(seed: int) -> Iterator[tuple[int, ProductSpec]]:
    """Every product the tables allow, as (round, product), SKUs numbered per department."""
    numbers = dict.fromkeys(DEPARTMENTS, 0)
    for round_no, lines in enumerate(_rounds()):
        for dept, item, brand, brand_factor, prefix, cells in lines:
            for v, raw in enumerate(item.names):
                packs = [p for cv, p in cells if cv == v]
                if not packs:
                    continue
                base_name, name_factor, name_synonyms = _variant(raw)
                name = prefix + base_name
                jitter = random.Random(f"{seed}|{brand}|{name}").uniform(0.95, 1.07)
                prices = _pack_prices(item.packs, brand_factor * name_factor * jitter)
                synonyms = _synonyms(item.synonyms, name_synonyms)
                for p in packs:
                    size, unit, _ = item.packs[p]
                    numbers[dept] += 1
                    yield (
                        round_no,
                        ProductSpec(
                            sku=f"{_PREFIX[dept]}-{numbers[dept]:05d}",
                            name=name,
                            brand=brand,
                            department=dept,
                            aisle=item.aisle,
                            size=float(size),
                            unit=unit,
                            price_cents=prices[p],
                            category=item.category,
                            synonyms=synonyms,
                        ),
                    )


def _round_sizes() -> list[int]:
    return [sum(len(line[5]) for line in lines) for lines in _rounds()]


def generate_products(count: int | None = None, seed: int = 20261123) -> list[ProductSpec]:
    """The seed catalog, identical for identical arguments.

    Args:
        count: ``None`` for the default catalog (about 2,200 products). A bigger number returns
            exactly that many: the default catalog first, unchanged and with the same SKUs, then
            more brands and organic lines. Numbers below the default size give the default.
        seed: Varies prices slightly (a few percent per product line); names, brands and SKUs
            do not depend on it.

    Raises:
        ValueError: ``count`` is more than the tables can make realistically (``MAX_PRODUCTS``).
    """
    if count is not None and count > MAX_PRODUCTS:
        raise ValueError(f"the seed catalog has at most {MAX_PRODUCTS} products, not {count}")
    products: list[ProductSpec] = []
    for round_no, product in _products(seed):
        if round_no > 0 and (count is None or len(products) >= count):
            break
        products.append(product)
    return products


def _category_units() -> dict[str, tuple[str, ...]]:
    units: dict[str, list[str]] = {}
    for dept in DEPARTMENTS:
        for item in _ITEMS[dept]:
            seen = units.setdefault(item.category, [])
            seen.extend(u for _, u, _ in item.packs if u not in seen)
    return {c: tuple(sorted(us, key=UNITS.index)) for c, us in sorted(units.items())}


# Every category key, and the pack units its products come in (for recipe conversions).
CATEGORY_UNITS: dict[str, tuple[str, ...]] = _category_units()
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_UNITS)
_SIZES = _round_sizes()
DEFAULT_PRODUCTS: int = _SIZES[0]  # products in the default catalog
MAX_PRODUCTS: int = sum(_SIZES)  # the most generate_products(count) can make
