"""The catalog's vocabulary: every name a customer may say, read from the database.

The recogniser's shop language model and the NLU lookup tables are both built from this one
export (``GET /v1/catalog/vocabulary``, ``run_assistant.py catalog vocabulary``), so they
follow the catalog the service actually serves.
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.models import CatalogSynonym, Product, Recipe, Store

# how a pack unit is measured: "two litres of milk", "a kilo of apples", "six eggs"
DIMENSIONS = {"L": "volume", "ml": "volume", "kg": "weight", "g": "weight"}


class Vocabulary(TypedDict):
    products: list[str]  # product names, generic items (categories) and their synonyms
    brands: list[str]
    brand_products: list[str]  # "Heinz Tomato Ketchup": how brands are said with names
    recipes: list[str]
    stores: list[str]  # "Greenleaf Riverside", "riverside", "old town"
    # generic item -> how it is measured ("volume" / "weight" / "count"), in catalog order
    measures: dict[str, str]


def _unique(values: list[str]) -> list[str]:
    return sorted({v for v in values if v.strip()})


def catalog_vocabulary(session: Session) -> Vocabulary:
    products = list(session.scalars(select(Product).order_by(Product.id)))
    names = [p.name for p in products] + [p.category for p in products]
    names += [s for p in products for s in p.synonyms]
    names += list(session.scalars(select(CatalogSynonym.word)))
    stores = list(session.scalars(select(Store).order_by(Store.id)))
    spoken = [s.name for s in stores] + [s.id.replace("-", " ") for s in stores]
    spoken += [s.name.split(" ", 1)[-1] for s in stores]
    measures: dict[str, str] = {}
    for p in products:
        measures.setdefault(p.category, DIMENSIONS.get(p.unit, "count"))
    return Vocabulary(
        products=_unique(names),
        brands=_unique([p.brand for p in products]),
        brand_products=_unique([f"{p.brand} {p.name}" for p in products]),
        recipes=_unique(list(session.scalars(select(Recipe.name)))),
        stores=_unique(spoken),
        measures=measures,
    )
