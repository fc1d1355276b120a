"""Product search and stock, backed by an in-memory index rebuilt when the catalog changes."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Collection
from typing import Any, Final

from rapidfuzz import fuzz, process
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce.db import Database
from commerce.models import CatalogState, CatalogSynonym, Product, Stock, Store
from commerce.search import SearchDoc, SearchIndex
from commerce.services.common import any_store_stock, get_product, get_store, product_dict
from commerce.text import STOP_WORDS, tokenize

VERSION_CHECK_SECONDS = 2.0
MAX_STORE_QUERY_WORDS = 8


def bump_version(session: Session) -> None:
    """Tell every process's search index that products changed."""
    updated = session.execute(
        update(CatalogState).where(CatalogState.id == 1).values(version=CatalogState.version + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(CatalogState(id=1, version=1))


class CatalogSearch:
    """One process's search index over the catalog, rebuilt lazily after catalog changes."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._version: int | None = None
        self._checked_at = 0.0

    def _current_version(self) -> int:
        with self._db.session() as session:
            return session.scalar(select(CatalogState.version).where(CatalogState.id == 1)) or 0

    def index(self) -> SearchIndex:
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < VERSION_CHECK_SECONDS:
            return self._index
        with self._lock:
            version = self._current_version()
            self._checked_at = time.monotonic()
            if self._index is None or version != self._version:
                self._index = self._build()
                self._version = version
            return self._index

    def _build(self) -> SearchIndex:
        with self._db.session() as session:
            docs = [
                SearchDoc(
                    product_id=p.id,
                    sku=p.sku,
                    name=p.name,
                    brand=p.brand,
                    department=p.department,
                    category=p.category,
                    size=p.size,
                    unit=p.unit,
                    synonyms=tuple(p.synonyms or ()),
                )
                for p in session.scalars(select(Product))
            ]
            synonyms: dict[str, list[str]] = {}
            for row in session.scalars(select(CatalogSynonym)):
                synonyms.setdefault(row.word, []).append(row.means)
        return SearchIndex(docs, synonyms)

    def search(
        self, session: Session, q: str, store_id: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Products for a spoken query, best first, with stock at ``store_id`` (or anywhere)."""
        if store_id is not None:
            get_store(session, store_id)
        hits = self.index().search(q, limit=limit)
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
        return [
            {
                **product_dict(products[hit.product_id], stock.get(hit.product_id, 0) > 0),
                "score": round(hit.score, 2),
            }
            for hit in hits
            if hit.product_id in products
        ]


def store_dict(store: Store) -> dict[str, Any]:
    return {
        "store_id": store.id,
        "name": store.name,
        "address": store.address,
        "timezone": store.timezone,
        "opening_hours": store.opening_hours,
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
