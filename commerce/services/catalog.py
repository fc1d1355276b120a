"""Product search and stock, backed by an in-memory index patched or rebuilt in the background
when product text changes (prices and stock are read live)."""

from __future__ import annotations

import gc
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Collection
from typing import Any, Final

from rapidfuzz import fuzz, process
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce import diet
from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import CatalogState, CatalogSynonym, Customer, Product, Stock, Store
from commerce.search import SearchDoc, SearchIndex
from commerce.services.common import any_store_stock, get_product, get_store, product_dict
from commerce.services.pickups import closed_dates, local_today
from commerce.text import STOP_WORDS, tokenize

VERSION_CHECK_SECONDS = 2.0
MAX_STORE_QUERY_WORDS = 8

_log = logging.getLogger(__name__)


def bump_version(session: Session) -> None:
    """Tell every process's search index that product text changed (names, brands,
    categories, synonyms, sizes, products added or removed). Prices and stock are read live
    with each search: changing them bumps nothing."""
    updated = session.execute(
        update(CatalogState).where(CatalogState.id == 1).values(version=CatalogState.version + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(CatalogState(id=1, version=1))


def search_doc(product: Product) -> SearchDoc:
    """What the search index knows of a product: its words and pack size, no price or stock."""
    return SearchDoc(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        brand=product.brand,
        department=product.department,
        category=product.category,
        size=product.size,
        unit=product.unit,
        synonyms=tuple(product.synonyms or ()),
    )


class CatalogSearch:
    """One process's search index over the catalog.

    The first search builds it. After that a catalog change never makes a search wait:
    products this process changes are patched into the index in place (:meth:`refresh`), and
    a version bump by another process starts a rebuild on a background thread while the old
    index keeps answering; the new one replaces it in one assignment when it is done.
    ``rebuilds`` counts full builds and ``patches`` products patched in; ``before_swap``
    (tests, benchmarks) runs on the builder thread with the new index built, not yet serving.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()  # guards the fields below and every patch of the index
        self._first_build = threading.Lock()
        self._index: SearchIndex | None = None
        self._version: int | None = None
        self._checked_at = 0.0
        self._builder: threading.Thread | None = None
        self._patched_during_build: dict[int, SearchDoc | None] = {}
        self.rebuilds = 0
        self.patches = 0
        self.before_swap: Callable[[SearchIndex], None] | None = None

    def _current_version(self) -> int:
        with self._db.session() as session:
            return session.scalar(select(CatalogState.version).where(CatalogState.id == 1)) or 0

    def index(self) -> SearchIndex:
        """The index to search now: the current one, or (rebuilding) the previous one."""
        index = self._index
        if index is not None and time.monotonic() - self._checked_at < VERSION_CHECK_SECONDS:
            return index
        if index is None:
            with self._first_build:  # nothing to serve yet: the first search waits, once
                if self._index is None:
                    version = self._current_version()
                    built = self._build_quietly()
                    with self._lock:
                        self._index, self._version = built, version
                        self._checked_at = time.monotonic()
                        self.rebuilds += 1
            assert self._index is not None
            return self._index
        version = self._current_version()
        with self._lock:
            self._checked_at = time.monotonic()
            if version != self._version and self._builder is None:
                self._start_rebuild()
            return self._index if self._index is not None else index

    def rebuild_in_background(self) -> threading.Thread:
        """Start a full rebuild now (unless one runs); the old index serves until it is done."""
        with self._lock:
            if self._builder is None:
                self._start_rebuild()
            assert self._builder is not None
            return self._builder

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        """Wait until a running background rebuild (if any) has replaced the index."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)

    def _start_rebuild(self) -> None:
        self._patched_during_build = {}
        self._builder = threading.Thread(target=self._rebuild, name="search-rebuild", daemon=True)
        self._builder.start()

    def _rebuild(self) -> None:
        try:
            version = self._current_version()  # read first: a change after it rebuilds again
            built = self._build_quietly()
            if self.before_swap is not None:
                self.before_swap(built)
            with self._lock:
                # products patched in while this was building may be newer than what it read
                for product_id, doc in self._patched_during_build.items():
                    built = built.patched(doc, product_id)
                self._index, self._version = built, version
                self.rebuilds += 1
        except Exception:
            _log.exception("search index rebuild failed; the old index keeps serving")
        finally:
            with self._lock:
                self._builder = None
                self._patched_during_build = {}

    def refresh(self, session: Session, product_ids: Collection[int]) -> None:
        """Patch these products into the index as ``session`` sees them (added, renamed,
        re-synonymed or, when gone, removed), without a rebuild. Call it after the change is
        committed; other processes pick the change up from the version bump."""
        rows = {
            p.id: p for p in session.scalars(select(Product).where(Product.id.in_(product_ids)))
        }
        docs = {pid: (search_doc(rows[pid]) if pid in rows else None) for pid in product_ids}
        version = self._current_version()
        with self._lock:
            if self._index is None:
                return  # the first search builds it from the database
            index = self._index
            for product_id, doc in docs.items():
                index = index.patched(doc, product_id)
                self.patches += 1
                if self._builder is not None:
                    self._patched_during_build[product_id] = doc
            self._index = index
            if self._builder is None and self._version is not None and version == self._version + 1:
                self._version = version  # our own change: the index already has it

    def _build_quietly(self) -> SearchIndex:
        """A full build with the cyclic garbage collector paused.

        A build makes millions of small acyclic objects (reference counting frees them): the
        collector would scan the growing heap over and over while it runs, holding up searches
        on other threads. (Freezing them out of its sight afterwards, ``gc.freeze``, would
        also pin whatever cyclic garbage other threads had at that moment: it is not done.)
        """
        gc.disable()
        try:
            return self._build()
        finally:
            gc.enable()

    def _build(self) -> SearchIndex:
        with self._db.session() as session:
            docs = [search_doc(p) for p in session.scalars(select(Product))]
            synonyms: dict[str, list[str]] = {}
            for row in session.scalars(select(CatalogSynonym)):
                synonyms.setdefault(row.word, []).append(row.means)
        return SearchIndex(docs, synonyms)

    def search(
        self, session: Session, q: str, store_id: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Products for a spoken query, best first, with stock at ``store_id`` (or anywhere).

        Dietary words ("vegan sausages", "gluten free pasta") and "quick" are not searched
        for: the rest of the words are, and what is known to suit every diet said comes first,
        what is not known after it, and what is known not to suit is left out; "quick" puts
        what is ready in minutes first (``commerce/diet.py``)."""
        if store_id is not None:
            get_store(session, store_id)
        wishes = diet.read_wishes(q)
        words = wishes.rest if wishes and wishes.rest else q
        hits = self.index().search(words, limit=max(limit, DIET_CANDIDATES) if wishes else limit)
        ids = [hit.product_id for hit in hits]
        products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
        if store_id is None:
            stock = any_store_stock(session, ids)
        else:
            stock = dict(
                session.execute(
                    select(Stock.product_id, Stock.quantity).where(
                        Stock.store_id == store_id, Stock.product_id.in_(ids)
                    )
                ).all()
            )
        found = [
            {
                **product_dict(products[hit.product_id], stock.get(hit.product_id, 0) > 0),
                "score": round(hit.score, 2),
                "match": hit.match,
            }
            for hit in hits
            if hit.product_id in products
        ]
        if not wishes:
            return found
        return wished(
            found, [products[h.product_id] for h in hits if h.product_id in products], wishes
        )[:limit]


# Search hits looked at when a diet or "quick" is asked for: they re-rank and filter.
DIET_CANDIDATES: Final = 60
UNKNOWN_DIET_SHARE: Final = 0.6  # a product not known to suit keeps this share of its score
QUICK_BONUS: Final = 1.25


def wished(
    found: list[dict[str, Any]], products: list[Product], wishes: diet.Wishes
) -> list[dict[str, Any]]:
    """``found`` (hits, in order, with their ``products``) re-ranked by what ``wishes`` ask."""
    ranked: list[tuple[int, float, int, dict[str, Any]]] = []
    for position, (hit, product) in enumerate(zip(found, products, strict=True)):
        known = diet.suits(product)
        verdicts = [known[d] for d in wishes.diets]
        if any(v is False for v in verdicts):
            continue  # known not to suit: "vegan milk" is never whole milk
        score = float(hit["score"])
        tier = 0 if all(verdicts) else 1
        if tier:
            score *= UNKNOWN_DIET_SHARE
        if wishes.quick and diet.quick_product(product):
            score *= QUICK_BONUS
        ranked.append((tier, -score, position, {**hit, "score": round(score, 2)}))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked]


def store_dict(store: Store) -> dict[str, Any]:
    return {
        "store_id": store.id,
        "name": store.name,
        "address": store.address,
        "timezone": store.timezone,
        "opening_hours": store.opening_hours,
        # the days ahead it is closed whatever its weekly hours (Christmas Day)
        "closed_dates": closed_dates(local_today(store)),
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
