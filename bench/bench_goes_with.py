"""Goes well with at the seed's sizes: how long one answer takes (it is computed from the
orders on every request) and how many of the pairs strong enough to offer come from recipes.

    .venv/bin/python bench/bench_goes_with.py [--customers 10 30 100]

Seeds a SQLite file per size in a temporary folder, asks ``bought_together`` for one product
of every name ever ordered, and writes ``bench/results/goes_with.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.common import percentile  # noqa: E402
from commerce.db import Database  # noqa: E402
from commerce.migrate import upgrade  # noqa: E402
from commerce.models import Order, OrderLine, Product  # noqa: E402
from commerce.seed import seeder  # noqa: E402
from commerce.seed.recipes import RECIPES  # noqa: E402
from commerce.services.bought_together import bought_together  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "goes_with.json"
OFFER = (0.3, 2.0)  # skills/goes_with.py: OFFER_CONFIDENCE, OFFER_LIFT


def recipe_pairs() -> set[tuple[str, str]]:
    pairs = set()
    for recipe in RECIPES:
        kinds = {i.category for i in recipe.ingredients}
        pairs |= {(a, b) for a in kinds for b in kinds if a != b}
    return pairs


def measure(customers: int, folder: Path) -> dict[str, Any]:
    db = Database.connect(f"sqlite:///{folder / f'seed-{customers}.db'}")
    upgrade(db)
    seeder.seed(db, customers=customers)
    meals = recipe_pairs()
    timings: list[float] = []
    strong = from_recipes = 0
    with db.session() as session:
        orders = session.scalar(select(func.count()).select_from(Order)) or 0
        lines = session.scalar(select(func.count()).select_from(OrderLine)) or 0
        bought = select(OrderLine.product_id)
        names = session.scalars(
            select(func.min(Product.sku)).where(Product.id.in_(bought)).group_by(Product.name)
        ).all()
        for sku in names:
            started = time.perf_counter()
            answer = bought_together(session, sku)
            timings.append((time.perf_counter() - started) * 1000)
            category = answer["product"]["category"]
            for s in answer["suggestions"]:
                if s["confidence"] >= OFFER[0] and s["lift"] >= OFFER[1]:
                    strong += 1
                    from_recipes += (category, s["category"]) in meals
    db.dispose()
    return {
        "customers": customers,
        "orders": orders,
        "order_lines": lines,
        "products_asked": len(timings),
        "ms_median": round(percentile(timings, 50), 2),
        "ms_p95": round(percentile(timings, 95), 2),
        "ms_max": round(max(timings), 2),
        "strong_pairs": strong,
        "strong_pairs_from_recipes": from_recipes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10, 30, 100])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = [measure(n, Path(folder)) for n in args.customers]
    RESULTS.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    for run in runs:
        print(json.dumps(run))


if __name__ == "__main__":
    main()
