"""Recipes and a recipe made into basket lines."""

from __future__ import annotations

from pydantic import BaseModel, Field

from commerce.api.schemas.common import ProductOut, Request, StoreId
from commerce.api.schemas.shaped import Shaped
from shapes import commerce as shapes


class RecipeToBasket(Request):
    recipe: str = Field(min_length=1, max_length=60, description="recipe id or slug")
    store_id: str = StoreId
    servings: int | None = Field(default=None, ge=1, le=50)
    have: list[str] = Field(default_factory=list, max_length=30)
    include_pantry: bool = False


class RecipeSummary(Shaped, shape=shapes.RecipeSummary):
    fit = Field(default=None, description="how well it fits what was asked")
    bought_share = Field(
        default=None, description="share of its shopping the customer buys anyway (/v1/me)"
    )


class RecipesResponse(BaseModel):
    recipes: list[RecipeSummary]


class Ingredient(Shaped, shape=shapes.Ingredient): ...


class RecipeOut(RecipeSummary, shape=shapes.Recipe): ...


class RecipeLine(ProductOut, shape=shapes.RecipeLine): ...


class SkippedLine(Shaped, shape=shapes.SkippedLine): ...


class MissingLine(Shaped, shape=shapes.MissingLine): ...


class RecipeBasketResponse(Shaped, shape=shapes.RecipeBasket): ...
