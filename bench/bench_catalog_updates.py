#!/usr/bin/env python3
"""Benchmark catalog updates against the product search index, at 12,000 and 100,000 products.

    .venv/bin/python bench/bench_catalog_updates.py [--sizes 12000 100000] [--queries 200]

For each size, on a scratch SQLite catalog: the full index build, the memory it holds (traced) and
the resident memory the first build adds,
spoken-query search p50/p95 (``CatalogSearch.search``: index + stock lookup), the time to apply
one price change (a committed write; the index is not touched) and one new product (committed,
then patched in, until it is found), and search p50/p95 while a full rebuild runs on a background
thread (before this work, a search after a catalog change waited for the whole build).

The seed generator makes at most ``MAX_PRODUCTS`` (36,157) realistic products; beyond that the
catalog repeats them under other brand lines (new SKUs and brand words, same names).

Writes bench/results/catalog_updates.json and bench/results/catalog_updates.png.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import psutil  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench.bench_commerce import spoken_queries  # noqa: E402
from bench.common import MB, percentile  # noqa: E402
from commerce.db import Database  # noqa: E402
from commerce.migrate import upgrade  # noqa: E402
from commerce.models import Product, Stock  # noqa: E402
from commerce.seed import seeder  # noqa: E402
from commerce.seed.catalog import MAX_PRODUCTS  # noqa: E402
from commerce.services import products as edits  # noqa: E402
from commerce.services.catalog import CatalogSearch  # noqa: E402

RESULTS = ROOT / "bench" / "results"
STORE = "riverside"
# brand lines for the copies of the seed catalog beyond MAX_PRODUCTS
LINES = ("Northfield", "Harbour Lane", "Copperbeck", "Willowmere", "Stonebridge", "Fernhill")


def catalog(tmp: Path, size: int) -> Database:
    """A scratch SQLite catalog of ``size`` products, stocked at ``STORE``."""
    db = Database.connect(f"sqlite:///{tmp / f'catalog_{size}.db'}")
    upgrade(db)
    seeder.seed(db, customers=1, products=min(size, MAX_PRODUCTS))
    with db.session(write=True) as session:
        base = list(session.scalars(select(Product).order_by(Product.id)))
        rows: list[dict[str, Any]] = []
        copy = 0
        while len(base) + len(rows) < size:
            copy += 1
            line = LINES[(copy - 1) % len(LINES)]
            for p in base[: size - len(base) - len(rows)]:
                rows.append(
                    {
                        **seeder.product_row(p),
                        "sku": f"{p.sku}-{copy}",
                        "brand": f"{line} {p.brand}",
                    }
                )
        if rows:
            last = base[-1].id
            session.execute(insert(Product), rows)
            fresh = session.scalars(select(Product.id).where(Product.id > last))
            session.execute(
                insert(Stock), [{"store_id": STORE, "product_id": i, "quantity": 12} for i in fresh]
            )
    return db


def timed_searches(
    db: Database, search: CatalogSearch, queries: list[str], until: Any = None
) -> list[float]:
    """Latencies (ms) of the queries in turn; with ``until``, round after round while it holds."""
    latencies: list[float] = []
    with db.session() as session:
        while True:
            for q in queries:
                started = time.perf_counter()
                search.search(session, q, STORE, 10)
                latencies.append((time.perf_counter() - started) * 1000)
                if until is not None and not until():
                    return latencies
            if until is None:
                return latencies


def bench_size(tmp: Path, size: int, count: int) -> dict[str, Any]:
    db = catalog(tmp, size)
    with db.session() as session:
        products = list(session.scalars(select(Product).order_by(Product.id)))
        total = session.scalar(select(func.count()).select_from(Product)) or 0
    queries = [q for q, _ in spoken_queries(products, count)]
    del products
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    search = CatalogSearch(db)
    started = time.perf_counter()
    search.index()
    build_s = time.perf_counter() - started
    gc.collect()
    first_build_rss_mb = (process.memory_info().rss - rss_before) / MB
    # what the index itself holds: a second build traced (the word caches are warm by now)
    tracemalloc.start()
    index = search._build()
    index_mb = tracemalloc.get_traced_memory()[0] / MB
    tracemalloc.stop()
    del index
    timed_searches(db, search, queries[:20])  # warm the session and caches
    idle = timed_searches(db, search, queries)

    # one price change: committed; the next search shows it, the index stays as it is
    with db.session() as session:
        hit = search.search(session, "semi skimmed milk", STORE, 1)[0]
        sku = hit["sku"]
    rebuilds = search.rebuilds
    started = time.perf_counter()
    with db.session(write=True) as session:
        edits.set_price(session, sku, 101)
    with db.session() as session:
        shown = search.search(session, "semi skimmed milk", STORE, 1)[0]
    price_ms = (time.perf_counter() - started) * 1000
    assert shown["price"] == 1.01, shown
    assert search.rebuilds == rebuilds

    # one new product: committed, patched in, found
    stamps: list[float] = []
    search.after_commit = lambda: stamps.append(time.perf_counter())
    started = time.perf_counter()
    with search.editing() as session:
        edits.add_product(
            session,
            sku="BEN-00001",
            name="Zorblax Crunch Bars",
            brand="Quarry Mill",
            department="snacks",
            aisle="snacks",
            category="cereal bar",
            size=6,
            unit="each",
            price_cents=249,
        )
    patched = time.perf_counter()
    search.after_commit = None
    (committed,) = stamps
    with db.session() as session:
        found = search.search(session, "zorblax crunch bars", STORE, 1)
    new_ms = (time.perf_counter() - started) * 1000
    assert [hit["sku"] for hit in found] == ["BEN-00001"], found
    assert search.rebuilds == rebuilds

    # searches while a full rebuild runs on a background thread
    builder = search.rebuild_in_background()
    during = timed_searches(db, search, queries, until=builder.is_alive)
    builder.join()
    assert search.rebuilds == rebuilds + 1
    db.dispose()
    result = {
        "products": total,
        "queries": len(queries),
        "index_build_s": round(build_s, 2),
        "index_mb": round(index_mb, 1),
        "first_build_rss_mb": round(first_build_rss_mb, 1),
        "search_p50_ms": round(statistics.median(idle), 2),
        "search_p95_ms": round(percentile(idle, 95), 2),
        "price_change_ms": round(price_ms, 2),
        "new_product_ms": round(new_ms, 2),
        "new_product_patch_ms": round((patched - committed) * 1000, 2),
        "rebuild_searches": len(during),
        "during_rebuild_p50_ms": round(statistics.median(during), 2),
        "during_rebuild_p95_ms": round(percentile(during, 95), 2),
        "during_rebuild_max_ms": round(max(during), 2),
    }
    print(json.dumps(result))
    return result


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    labels = [f"{r['products']:,}" for r in rows]
    x = range(len(rows))
    width = 0.27
    for offset, (key, name) in enumerate(
        (
            ("search_p95_ms", "search p95"),
            ("during_rebuild_p95_ms", "search p95 during a rebuild"),
            ("new_product_ms", "one new product, until found"),
        )
    ):
        right.bar([i + (offset - 1) * width for i in x], [r[key] for r in rows], width, label=name)
    right.set_xticks(list(x), labels)
    right.set_ylabel("ms")
    right.set_title("Catalog updates (the old design: a search waits the full build)")
    right.legend()
    left.bar(labels, [r["index_build_s"] for r in rows], color="#3b7a57")
    for i, r in enumerate(rows):
        left.annotate(f"{r['index_mb']} MB", (i, r["index_build_s"]), ha="center", va="bottom")
    left.set_title("Full index build (s) and the memory it adds")
    left.set_xlabel("products")
    left.set_ylabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[12000, 100000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_size(Path(tmp), size, args.queries) for size in args.sizes]
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(rows, RESULTS / "catalog_updates.png")
    result = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "sizes": rows}
    (RESULTS / "catalog_updates.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'catalog_updates.json'} and {RESULTS / 'catalog_updates.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
