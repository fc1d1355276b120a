"""Write Rasa lookup tables from the catalog, so new products need no new training sentences."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from commerce.seed.catalog import GLOBAL_SYNONYMS, generate_products
from commerce.seed.recipes import RECIPES
from commerce.seed.stores import STORES

HEADER = "# Generated from the catalog by `run_assistant.py train` (assistant/lookups.py).\n"


def _clean(values: Iterable[str]) -> list[str]:
    out = {re.sub(r"\s+", " ", v.lower().replace("&", "and")).strip() for v in values}
    return sorted(v for v in out if v and len(v) <= 60)


def catalog_lookups() -> dict[str, list[str]]:
    products = generate_products()
    names = [p.name for p in products] + [p.category for p in products]
    names += [s for p in products for s in p.synonyms] + list(GLOBAL_SYNONYMS)
    stores = [s.name for s in STORES] + [s.id.replace("-", " ") for s in STORES]
    stores += [s.name.split(" ", 1)[-1] for s in STORES]
    return {
        "product": _clean(names),
        "brand": _clean(p.brand for p in products),
        "recipe": _clean(r.name for r in RECIPES),
        "store": _clean(stores),
    }


def write_lookups(folder: Path) -> Path:
    """Write ``folder/catalog.yml``; return its path. Unchanged content is not rewritten."""
    tables = catalog_lookups()
    body = {
        "version": "3.1",
        "nlu": [
            {"lookup": k, "examples": "".join(f"- {v}\n" for v in vs)} for k, vs in tables.items()
        ],
    }
    text = HEADER + yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=1000)
    path = folder / "catalog.yml"
    if not path.exists() or path.read_text() != text:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path
