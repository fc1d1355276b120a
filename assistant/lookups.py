"""Write Rasa lookup tables from the catalog's vocabulary (the commerce service's
``GET /v1/catalog/vocabulary``), so new products need no new training sentences."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

HEADER = "# Generated from the catalog by `run_assistant.py train` (assistant/lookups.py).\n"


def _clean(values: Iterable[str]) -> list[str]:
    out = {re.sub(r"\s+", " ", v.lower().replace("&", "and")).strip() for v in values}
    return sorted(v for v in out if v and len(v) <= 60)


def catalog_lookups(vocabulary: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        "product": _clean(vocabulary["products"]),
        "brand": _clean(vocabulary["brands"]),
        "recipe": _clean(vocabulary["recipes"]),
        "store": _clean(vocabulary["stores"]),
    }


def write_lookups(folder: Path, vocabulary: Mapping[str, Any]) -> Path:
    """Write ``folder/catalog.yml``; return its path. Unchanged content is not rewritten."""
    tables = catalog_lookups(vocabulary)
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
