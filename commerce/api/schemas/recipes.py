"""Recipes and a recipe made into basket lines."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request, StoreId


class RecipeToBasket(Request):
    recipe: str = Field(min_length=1, max_length=60, description="recipe id or slug")
    store_id: str = StoreId
    servings: int | None = Field(default=None, ge=1, le=50)
    have: list[str] = Field(default_factory=list, max_length=30)
    include_pantry: bool = False


class RecipeSummary(BaseModel):
    recipe_id: int
    slug: str
    name: str
    servings: int
    meal: str
    minutes: int
    tags: list[str]
    fit: float | None = Field(default=None, description="how well it fits what was asked")
    bought_share: float | None = Field(
        default=None, description="share of its shopping the customer buys anyway (/v1/me)"
    )


class RecipesResponse(BaseModel):
    recipes: list[RecipeSummary]


class Ingredient(BaseModel):
    line: str
    quantity: float
    unit: str
    category: str
    pantry: bool


class RecipeOut(RecipeSummary):
    ingredients: list[Ingredient]


class RecipeLine(ProductOut):
    quantity: int
    for_: str = Field(alias="for")
    line_total: float


class SkippedLine(BaseModel):
    line: str
    category: str
    reason: str


class MissingLine(BaseModel):
    line: str
    category: str


class RecipeBasketResponse(BaseModel):
    recipe: RecipeSummary
    servings: int
    store_id: str
    added: list[RecipeLine]
    skipped: list[SkippedLine]
    unavailable: list[MissingLine]
