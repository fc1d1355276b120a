"""Stores: found by a spoken name or by distance, with their stock of a product."""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection
from typing import Any, Final

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from commerce.errors import CommerceError
from commerce.models import Customer, Stock, Store
from commerce.services.common import get_product, get_store, product_dict
from commerce.services.pickups import MAX_DAYS_AHEAD, closed_dates, local_today
from commerce.services.store_finder import special_hours, with_stock
from commerce.text import STOP_WORDS, tokenize

MAX_STORE_QUERY_WORDS = 8


def store_dict(store: Store) -> dict[str, Any]:
    today = local_today(store)
    session = object_session(store)
    special = special_hours(session, store.id, today, MAX_DAYS_AHEAD) if session else []
    closed = {c["date"]: c for c in closed_dates(today)}
    closed.update(
        {s["date"]: {"date": s["date"], "name": s["name"]} for s in special if not s["opens"]}
    )
    return {
        "store_id": store.id,
        "name": store.name,
        "address": store.address,
        "timezone": store.timezone,
        "opening_hours": store.opening_hours,
        # the days ahead it is closed whatever its weekly hours (Christmas Day)
        "closed_dates": [closed[day] for day in sorted(closed)],
        # the days ahead with other hours than the weekly ones (holidays), closed days included
        "special_hours": special,
        "latitude": store.latitude,
        "longitude": store.longitude,
    }


EARTH_RADIUS_KM: Final = 6371.0088


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def stores_near(session: Session, point: tuple[float, float]) -> list[dict[str, Any]]:
    """Every store with its ``distance_km`` from ``point``, nearest first (stores without a
    place last, without a distance)."""
    placed, unplaced = [], []
    for store in session.scalars(select(Store).order_by(Store.name)):
        if store.latitude is None or store.longitude is None:
            unplaced.append({**store_dict(store), "distance_km": None})
            continue
        km = distance_km(point, (store.latitude, store.longitude))
        placed.append({**store_dict(store), "distance_km": round(km, 2)})
    placed.sort(key=lambda s: s["distance_km"])
    return placed + unplaced


def parse_point(text: str) -> tuple[float, float]:
    """ "52.2,-1.7" -> (52.2, -1.7); ``invalid-request`` (422) for anything else."""
    try:
        latitude, longitude = (float(part) for part in text.split(","))
    except ValueError:
        latitude = longitude = math.nan
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # NaN fails both
        raise CommerceError("invalid-request", "near must be 'latitude,longitude' in degrees.", 422)
    return latitude, longitude


def stores_near_customer(session: Session, customer: Customer) -> dict[str, Any]:
    """Stores by distance from the customer's home ("home"), or, without a home point, from
    their home store ("home store")."""
    if customer.home_latitude is not None and customer.home_longitude is not None:
        return {
            "measured_from": "home",
            "stores": stores_near(session, (customer.home_latitude, customer.home_longitude)),
        }
    home = get_store(session, customer.home_store_id)
    if home.latitude is None or home.longitude is None:
        return {"measured_from": "nowhere", "stores": stores(session)}
    return {
        "measured_from": "home store",
        "stores": stores_near(session, (home.latitude, home.longitude)),
    }


def stores_with_stock(
    session: Session,
    sku: str,
    point: tuple[float, float] | None = None,
    customer: Customer | None = None,
) -> dict[str, Any]:
    """The stores that have ``sku`` on the shelf, each with its ``stock``: nearest first from
    ``point`` or the customer's home (``measured_from`` says which), else by name."""
    if customer is not None:
        near = stores_near_customer(session, customer)
        return {**with_stock(session, near["stores"], sku), "measured_from": near["measured_from"]}
    found = stores_near(session, point) if point is not None else stores(session)
    return with_stock(session, found, sku)


def stores(session: Session, q: str | None = None) -> list[dict[str, Any]]:
    """All stores by name, or with ``q`` only those it names, best first."""
    found = list(session.scalars(select(Store).order_by(Store.name)))
    if q is not None:
        found = match_stores(found, q)
    return [store_dict(s) for s in found]


# Words that say "a store" without saying which one.
_STORE_WORDS: Final = frozenset(
    ("store", "stores", "shop", "shops", "branch", "supermarket", "greenleaf", "one", "local")
)
STORE_MATCH_CUTOFF: Final = 80.0  # mean similarity of the query's words to a store's words
_WORD_KNOWN: Final = 60.0  # a query word this far from every store's words names none


def _words(text: str) -> list[str]:
    """Words that may name a store (not "the", "shop" or a house number)."""
    return [
        w for w in tokenize(text) if w.isalpha() and w not in STOP_WORDS and w not in _STORE_WORDS
    ]


def _store_words(store: Store) -> set[str]:
    words = _words(f"{store.id.replace('-', ' ')} {store.name} {store.address}")
    named = _words(store.name)
    return {*words, *("".join(pair) for pair in itertools.pairwise(named))}


def _similarity(word: str, choices: Collection[str]) -> float:
    """rapidfuzz similarity 0..100 of ``word`` to the closest of ``choices``."""
    found = process.extractOne(word, choices, scorer=fuzz.ratio)
    return float(found[1]) if found else 0.0


def match_stores(candidates: list[Store], q: str) -> list[Store]:
    """The stores a spoken name fits ("the old town store", "harbor", "riverside"), best first.

    Each query word (or two words the recogniser split, "river side") is scored by rapidfuzz
    against the words of each store's id, name and address; a store's score is the mean over
    the query words. Words that fit no store at all ("the big riverside store") are left out,
    unless nothing else is left: "the moon" matches nothing.
    """
    words = _words(q)[:MAX_STORE_QUERY_WORDS]
    vocab = {store.id: _store_words(store) for store in candidates}
    known = set().union(*vocab.values())
    slots: list[str] = []
    i = 0
    while i < len(words):
        pair = words[i : i + 2]
        joined = "".join(pair)
        if len(pair) == 2 and _similarity(joined, known) > max(_similarity(w, known) for w in pair):
            slots.append(joined)
            i += 2
        else:
            slots.append(words[i])
            i += 1
    slots = [w for w in slots if _similarity(w, known) >= _WORD_KNOWN]
    if not slots:
        return []
    scored = []
    for position, store in enumerate(candidates):
        score = sum(_similarity(w, vocab[store.id]) for w in slots) / len(slots)
        if score >= STORE_MATCH_CUTOFF:
            scored.append((-score, position, store))
    return [store for _, _, store in sorted(scored, key=lambda t: t[:2])]


def stock_of(session: Session, store_id: str, sku: str) -> dict[str, Any]:
    store = get_store(session, store_id)
    product = get_product(session, sku)
    row = session.get(Stock, (store.id, product.id))
    quantity = row.quantity if row else 0
    return {
        "store_id": store.id,
        "sku": product.sku,
        "quantity": quantity,
        "in_stock": quantity > 0,
        "product": product_dict(product),
    }
