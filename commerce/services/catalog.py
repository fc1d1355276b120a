"""Product search and stock, backed by an in-memory index patched or rebuilt in the background
when product text changes (prices and stock are read live)."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce import diet
from commerce.db import Database
from commerce.models import CatalogState, CatalogSynonym, Product, Stock
from commerce.search import SearchIndex
from commerce.search_fields import SearchDoc
from commerce.services.common import any_store_stock, get_store, product_dict

VERSION_CHECK_SECONDS = 2.0

_log = logging.getLogger(__name__)


@dataclass
class CatalogChanges:
    """What one transaction changed of what search reads: the catalog versions it bumped to
    and the products it touched (kept in ``session.info`` until the commit)."""

    versions: list[int] = field(default_factory=list)
    product_ids: set[int] = field(default_factory=set)


CHANGES_KEY: Final = "catalog_changes"


def bump_version(session: Session, product_ids: Collection[int] = ()) -> int:
    """Tell every process's search index that product text changed (names, brands,
    categories, synonyms, sizes, products added or removed); the new version. Prices and
    stock are read live with each search: changing them bumps nothing. ``product_ids`` are
    the products changed: :meth:`CatalogSearch.editing` patches them in after the commit."""
    version = session.execute(
        update(CatalogState)
        .where(CatalogState.id == 1)
        .values(version=CatalogState.version + 1)
        .returning(CatalogState.version)
    ).scalar_one_or_none()
    if version is None:
        session.add(CatalogState(id=1, version=1))
        version = 1
    changes = session.info.setdefault(CHANGES_KEY, CatalogChanges())
    changes.versions.append(version)
    changes.product_ids.update(product_ids)
    return version


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
    products this process changes (in :meth:`editing`) are patched into the index in place,
    and a version bump by another process starts a rebuild on a background thread while the
    old index keeps answering; the new one replaces it in one assignment when it is done.

    The index knows which versions are its own: an edit counts as in flight from before its
    commit until its products are patched in, and a version bump that in-flight edits can
    account for starts no rebuild (a search on another thread may read the version between
    an edit's commit and its patch). ``rebuilds`` counts full builds and ``patches`` products
    patched in; ``before_swap`` (tests, benchmarks) runs on the builder thread with the new
    index built, not yet serving; ``after_commit`` (tests) runs between an edit's commit and
    its patch.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()  # guards the fields below and every patch of the index
        self._first_build = threading.Lock()
        self._index: SearchIndex | None = None
        self._version: int | None = None  # the catalog version the serving index has
        self._own: set[int] = set()  # later versions this process made, already patched in
        self._in_flight = 0  # edits by this process begun and not yet patched in
        self._checked_at = 0.0
        self._builder: threading.Thread | None = None
        self._patched_during_build: dict[int, SearchDoc | None] = {}
        self.rebuilds = 0
        self.patches = 0
        self.before_swap: Callable[[SearchIndex], None] | None = None
        self.after_commit: Callable[[], None] | None = None

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
        self._check(self._current_version())
        return self._index if self._index is not None else index

    def _check(self, version: int) -> None:
        """Start a background rebuild if ``version`` holds changes from another process."""
        with self._lock:
            self._checked_at = time.monotonic()
            if self._builder is None and self._foreign(version):
                self._start_rebuild()

    def _foreign(self, version: int) -> bool:
        """Whether the catalog at ``version`` has changes this index lacks and that no edit of
        this process in flight can account for (the lock held)."""
        if self._version is None or version == self._version:
            return False
        gap = version - self._version
        if gap < 0 or gap > len(self._own) + self._in_flight:
            return True
        unknown = sum(1 for v in range(self._version + 1, version + 1) if v not in self._own)
        return unknown > self._in_flight

    def _take_own(self, versions: Collection[int]) -> None:
        """Record versions this process made (patched in) and move the index's version up
        over them (the lock held)."""
        self._own.update(versions)
        if self._version is None:
            return
        while self._version + 1 in self._own:
            self._version += 1
        self._own = {v for v in self._own if v > self._version}

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
                # own edits patched in meanwhile may have moved the version past what it read
                self._index = built
                self._version = max(version, self._version or 0)
                self._take_own(())
                self.rebuilds += 1
        except Exception:
            _log.exception("search index rebuild failed; the old index keeps serving")
        finally:
            with self._lock:
                self._builder = None
                self._patched_during_build = {}

    @contextmanager
    def editing(self) -> Iterator[Session]:
        """A write session for catalog edits (``commerce.services.products``) whose changes
        this index takes in as its own: after the commit the products changed are patched in
        (added, renamed, re-synonymed or, when gone, removed) without a rebuild, and no search
        meanwhile takes the version bump for another process's. Other processes pick the
        change up from the bump."""
        with self._lock:
            self._in_flight += 1  # announced before the commit
        try:
            with self._db.session(write=True) as session:
                yield session
                changes: CatalogChanges | None = session.info.pop(CHANGES_KEY, None)
            if changes is not None:
                if self.after_commit is not None:
                    self.after_commit()
                self._patch(changes)
        finally:
            with self._lock:
                self._in_flight -= 1
        if changes is not None:
            self._check(self._current_version())  # another process's change meanwhile

    def _patch(self, changes: CatalogChanges) -> None:
        with self._db.session() as session:
            rows = {
                p.id: p
                for p in session.scalars(select(Product).where(Product.id.in_(changes.product_ids)))
            }
            docs = {
                pid: search_doc(rows[pid]) if pid in rows else None for pid in changes.product_ids
            }
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
            self._take_own(changes.versions)

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
