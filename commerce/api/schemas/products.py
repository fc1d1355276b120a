"""Products: search, resolve, the vocabulary, and the operator's catalog edits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request, Sku
from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes

ProductUnit = Literal["ml", "L", "g", "kg", "each"]


class ProductChange(Request):
    """Fields of a product to change; prices and aisles leave the search index alone."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    brand: str | None = Field(default=None, min_length=1, max_length=60)
    department: str | None = Field(default=None, min_length=1, max_length=40)
    aisle: str | None = Field(default=None, min_length=1, max_length=40)
    category: str | None = Field(default=None, min_length=1, max_length=60)
    size: float | None = Field(default=None, gt=0, le=100_000)
    unit: ProductUnit | None = None
    price_cents: int | None = Field(default=None, ge=1, le=10_000_000)
    synonyms: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(
        default=None, max_length=20
    )


class NewProduct(Request):
    sku: str = Sku
    name: str = Field(min_length=1, max_length=120)
    brand: str = Field(min_length=1, max_length=60)
    department: str = Field(min_length=1, max_length=40)
    aisle: str = Field(min_length=1, max_length=40)
    category: str = Field(min_length=1, max_length=60)
    size: float = Field(gt=0, le=100_000)
    unit: ProductUnit
    price_cents: int = Field(ge=1, le=10_000_000)
    synonyms: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default=[], max_length=20
    )


class StockLevel(Request):
    quantity: int = Field(ge=0, le=1_000_000, description="units on the shelf")


class SearchResult(ProductOut, shape=shapes.SearchResult):
    match = Field(
        description="how the query found it: a word of its name, synonyms, category, brand or "
        "department as said, or only a misspelt (fuzzy) or sound-alike word; the surest it has"
    )


class SearchResponse(BaseModel):
    query: str
    store_id: str | None
    results: list[SearchResult]


class QuantityOut(Shaped, shape=shapes.Quantity):
    text = Field(description="the quantity as said, e.g. 'two litres'")
    packs = Field(description="packs asked for with a container word")
    amount = Field(description="a volume, mass or count of items to cover")


class ResolvedProduct(SearchResult, shape=shapes.ResolvedProduct):
    packs = Field(description="packs of this product to buy for the quantity, 1 to 99")


class ResolveResponse(Shaped, shape=shapes.Resolution): ...


class VocabularyResponse(BaseModel):
    """Every name a customer may say: the recogniser and the NLU lookups are built from it."""

    products: list[str]
    brands: list[str]
    brand_products: list[str]
    recipes: list[str]
    stores: list[str]
    measures: dict[str, str]
