#!/usr/bin/env python3
"""Benchmark the commerce service: spoken-query search at 10k+ products, booking throughput.

    .venv/bin/python bench/bench_commerce.py [--products 12000] [--queries 300] [--rounds 5]
        [--postgres URL]

Writes bench/results/commerce.json and bench/results/commerce.png. Medians and p95 over many
runs: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sqlalchemy import create_engine, make_url, select, text, update  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.common import percentile  # noqa: E402
from commerce.db import Database  # noqa: E402
from commerce.migrate import upgrade  # noqa: E402
from commerce.models import PickupSlot, Product  # noqa: E402
from commerce.seed import seeder  # noqa: E402
from commerce.services import auth  # noqa: E402
from commerce.services.catalog import CatalogSearch  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FILLERS = ("", "", "can you find ", "do you have any ", "i need some ", "add ", "search for ")
NUMBER_WORDS = {"2%": "to percent", "1%": "one percent", "2 L": "two litre", "4 pints": "for pints"}


def spoken_queries(products: list[Product], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(query, category it should find) pairs that sound like a speech recogniser's output."""
    rng = random.Random(seed)
    queries = []
    for product in rng.sample(products, count):
        text = product.name.lower()
        for written, spoken in NUMBER_WORDS.items():
            text = text.replace(written.lower(), spoken)
        roll = rng.random()
        if roll < 0.25 and len(text) > 6:  # a recogniser's near miss: one letter lost
            cut = rng.randrange(1, len(text) - 1)
            text = text[:cut] + text[cut + 1 :]
        elif roll < 0.4:
            text = f"{product.brand.lower()} {text}"
        elif roll < 0.5:  # the customer names only the item, not every adjective
            words = text.split()
            text = " ".join(words[-2:]) if len(words) > 2 else text
        queries.append((rng.choice(FILLERS) + text, product.category))
    return queries


def bench_search(db: Database, rounds: int, count: int) -> dict[str, Any]:
    search = CatalogSearch(db)
    started = time.perf_counter()
    search.index()
    build_s = time.perf_counter() - started
    with db.session() as session:
        products = list(session.scalars(select(Product).order_by(Product.id)))
    queries = spoken_queries(products, count)
    latencies: list[float] = []
    top3_category = 0
    with db.session() as session:
        for round_ in tqdm(range(rounds), desc="search rounds"):
            for query, category in queries:
                started = time.perf_counter()
                results = search.search(session, query, "riverside", 10)
                latencies.append((time.perf_counter() - started) * 1000)
                if round_ == 0:
                    top3_category += any(r["category"] == category for r in results[:3])
    return {
        "products": len(products),
        "queries": len(queries),
        "runs": len(latencies),
        "index_build_s": round(build_s, 2),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "max_ms": round(max(latencies), 2),
        "top3_category_hit_rate": round(top3_category / len(queries), 3),
        "examples": [q for q, _ in queries[:8]],
        "latencies_ms": latencies,
    }


def bench_http_search(db: Database, count: int) -> dict[str, Any]:
    """The same spoken queries through the real HTTP server, one client."""
    from tests.commerce.conftest import live_server

    with db.session() as session:
        products = list(session.scalars(select(Product).order_by(Product.id)))
    queries = spoken_queries(products, count, seed=11)
    latencies = []
    with live_server(db) as base, httpx.Client(base_url=base, timeout=30) as http:
        http.get("/v1/products/search", params={"q": "milk"})  # builds the index
        for query, _ in queries:
            started = time.perf_counter()
            response = http.get("/v1/products/search", params={"q": query, "store_id": "riverside"})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
    }


def bench_booking(db: Database, url: str, concurrency: list[int], per_level: int) -> list[dict]:
    """Bookings per second against a live server, each request from its own customer."""
    from tests.commerce.conftest import live_server  # the same helper the tests use

    summary = seeder.seed(db, customers=max(concurrency) * 2)
    with db.session(write=True) as session:
        tokens = [
            auth.mint_token(session, auth.find_customer(session, h)) for h in summary.customers
        ]
        start = datetime.now(UTC) + timedelta(hours=2)
        slot_ids = list(
            session.scalars(
                select(PickupSlot.id).where(PickupSlot.start > start).order_by(PickupSlot.start)
            )
        )
        session.execute(update(PickupSlot).values(capacity=100_000))
    levels = []
    with (
        live_server(db) as base,
        httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=64)) as http,
    ):
        cursor = 0
        for workers in concurrency:
            jobs = []
            for n in range(per_level):
                jobs.append((tokens[n % len(tokens)], slot_ids[cursor % len(slot_ids)]))
                cursor += 1

            def book(job: tuple[str, int]) -> tuple[int, float]:
                token, slot = job
                started = time.perf_counter()
                response = http.post(
                    "/v1/me/pickups",
                    json={"slot_id": slot},
                    headers={"Authorization": f"Bearer {token}"},
                )
                return response.status_code, (time.perf_counter() - started) * 1000

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(book, jobs))
            elapsed = time.perf_counter() - started
            latencies = [ms for _, ms in results]
            levels.append(
                {
                    "database": url.split(":")[0],
                    "concurrency": workers,
                    "requests": len(results),
                    "booked": sum(status == 201 for status, _ in results),
                    "other_statuses": sorted({s for s, _ in results if s != 201}),
                    "bookings_per_s": round(sum(s == 201 for s, _ in results) / elapsed, 1),
                    "p50_ms": round(statistics.median(latencies), 1),
                    "p95_ms": round(percentile(latencies, 95), 1),
                }
            )
            print(json.dumps(levels[-1]))
    return levels


def fresh_database(url: str | None, products: int, tmp: Path) -> Database:
    db = Database.connect(url or f"sqlite:///{tmp / 'bench.db'}")
    upgrade(db)
    seeder.reset(db)
    seeder.seed(db, customers=2, products=products)
    return db


def bench_postgres(url: str, concurrency: list[int], bookings: int, tmp: Path) -> list[dict]:
    """Booking on PostgreSQL, in a scratch database created (and dropped) on that server."""
    name = f"vca_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        scratch = make_url(url).set(database=name).render_as_string(hide_password=False)
        pg = fresh_database(scratch, 2000, tmp)
        try:
            return bench_booking(pg, "postgresql", concurrency, bookings)
        finally:
            pg.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def plot(search: dict[str, Any], booking: list[dict], path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.hist(search["latencies_ms"], bins=60, color="#3b7a57")
    left.axvline(
        search["p50_ms"], color="black", linestyle="--", label=f"p50 {search['p50_ms']} ms"
    )
    left.axvline(search["p95_ms"], color="red", linestyle="--", label=f"p95 {search['p95_ms']} ms")
    left.set_title(f"Spoken-query search, {search['products']} products ({search['runs']} runs)")
    left.set_xlabel("latency (ms)")
    left.legend()
    for database in sorted({b["database"] for b in booking}):
        rows = [b for b in booking if b["database"] == database]
        right.plot(
            [b["concurrency"] for b in rows],
            [b["bookings_per_s"] for b in rows],
            marker="o",
            label=database,
        )
    right.set_title("Pickup booking throughput")
    right.set_xlabel("concurrent clients")
    right.set_ylabel("bookings / s")
    right.set_xscale("log", base=2)
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=12000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bookings", type=int, default=400, help="requests per concurrency level")
    parser.add_argument("--postgres", help="also measure booking on this PostgreSQL URL")
    args = parser.parse_args()
    concurrency = [1, 4, 16, 32]
    with tempfile.TemporaryDirectory() as tmp:
        db = fresh_database(None, args.products, Path(tmp))
        search = bench_search(db, args.rounds, args.queries)
        print(json.dumps({k: v for k, v in search.items() if k != "latencies_ms"}))
        search["http"] = bench_http_search(db, args.queries)
        print(json.dumps({"http_search": search["http"]}))
        booking = bench_booking(db, "sqlite", concurrency, args.bookings)
        db.dispose()
        if args.postgres:
            booking += bench_postgres(args.postgres, concurrency, args.bookings, Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    plot(search, booking, RESULTS / "commerce.png")
    search_out = {k: v for k, v in search.items() if k != "latencies_ms"}
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "search": search_out,
        "booking": booking,
    }
    (RESULTS / "commerce.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'commerce.json'} and {RESULTS / 'commerce.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
