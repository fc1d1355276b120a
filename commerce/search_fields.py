"""What the product search index holds of a product and what a hit says: a product's texts
(:class:`SearchDoc`), the field bit each text is indexed under, and how a query found a hit
(:data:`MATCH_KINDS`)."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Final

from shapes.commerce import Match

__all__ = [
    "BRAND",
    "CAT",
    "DEPT",
    "MATCH_KINDS",
    "NAME",
    "SYN",
    "Match",
    "SearchDoc",
    "SearchHit",
    "doc_fields",
]


@dataclass(frozen=True)
class SearchDoc:
    product_id: int
    sku: str
    name: str
    brand: str
    department: str
    category: str
    size: float
    unit: str  # "ml", "L", "g", "kg", "each"
    synonyms: tuple[str, ...] = ()


# How a query found a product, surest first (a hit's ``match`` is the surest it has): the
# service's answers say it (``shapes.commerce.Match``).
MATCH_KINDS: Final[tuple[Match, ...]] = typing.get_args(Match)


@dataclass(frozen=True)
class SearchHit:
    product_id: int
    sku: str
    score: float  # higher is better, 0..100
    match: Match = "name"  # how the query found it: MATCH_KINDS


# Field bits of a posting: which of a product's texts an index term came from.
NAME: Final = 1
SYN: Final = 2
CAT: Final = 4
BRAND: Final = 8
DEPT: Final = 16


def doc_fields(doc: SearchDoc) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """A product's texts by the field bit each is indexed under (a full build and a patch)."""
    synonyms = (doc.synonyms,) if isinstance(doc.synonyms, str) else doc.synonyms
    return (
        (NAME, (doc.name,)),
        (SYN, tuple(synonyms or ())),
        (CAT, (doc.category,)),
        (BRAND, (doc.brand,)),
        (DEPT, (doc.department,)),
    )
