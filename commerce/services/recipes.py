"""Recipes: suggest them, and turn one into basket items scaled, pantry-aware and pack-rounded."""

from __future__ import annotations

import math
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import Customer, Product, Recipe, RecipeIngredient
from commerce.services import basket
from commerce.services.common import (
    MAX_LINE_QUANTITY,
    get_store,
    money,
    product_dict,
    stock_levels,
    to_base,
)

MAX_SERVINGS = 50
SKIP_MATCH = 85  # rapidfuzz score at which "I have eggs" covers the "egg" ingredient


def recipe_summary(recipe: Recipe) -> dict[str, Any]:
    return {
        "recipe_id": recipe.id,
        "slug": recipe.slug,
        "name": recipe.name,
        "servings": recipe.servings,
        "meal": recipe.meal,
        "minutes": recipe.minutes,
        "tags": recipe.tags,
    }


def recipe_dict(recipe: Recipe) -> dict[str, Any]:
    return {
        **recipe_summary(recipe),
        "ingredients": [
            {
                "line": i.line,
                "quantity": i.quantity,
                "unit": i.unit,
                "category": i.category,
                "pantry": i.pantry,
            }
            for i in recipe.ingredients
        ],
    }


def search(session: Session, q: str | None, meal: str | None, limit: int) -> list[dict[str, Any]]:
    """Recipes by spoken name ("pancake", "spag bol") and/or meal, best first."""
    query = select(Recipe).order_by(Recipe.name)
    if meal:
        query = query.where(Recipe.meal == meal.lower())
    recipes = list(session.scalars(query))
    if q and q.strip():
        choices = {r.id: f"{r.name} {' '.join(r.tags)}" for r in recipes}
        ranked = process.extract(
            q.lower(),
            choices,
            scorer=fuzz.WRatio,
            processor=str.lower,
            limit=limit,
            score_cutoff=60,
        )
        by_id = {r.id: r for r in recipes}
        recipes = [by_id[key] for _, _, key in ranked]
    return [recipe_summary(r) for r in recipes[:limit]]


def get_recipe(session: Session, ref: str) -> Recipe:
    recipe = session.scalar(
        select(Recipe).where(Recipe.id == int(ref))
        if ref.isascii() and ref.isdigit() and len(ref) <= 9  # not "¹" or a 60-digit id
        else select(Recipe).where(Recipe.slug == ref)
    )
    if recipe is None:
        raise CommerceError("recipe-not-found", f"No recipe {ref!r}.", 404)
    return recipe


def _skipped(ingredient: RecipeIngredient, have: list[str]) -> str | None:
    for item in have:
        words = item.lower().strip()
        if not words:
            continue
        score = max(
            fuzz.ratio(words, ingredient.category),
            fuzz.token_set_ratio(words, ingredient.category),
            fuzz.ratio(words.rstrip("s"), ingredient.category),
        )
        if score >= SKIP_MATCH:
            return item
    return None


def _best_pack(
    candidates: list[Product], stock: dict[int, int], needed: float, base: str
) -> tuple[Product, int] | None:
    """The cheapest way to cover ``needed`` base units with one product the store has."""
    best: tuple[int, int, str, Product] | None = None
    for product in candidates:
        size, product_base = to_base(product.size, product.unit)
        if product_base != base or size <= 0:
            continue
        packs = max(1, math.ceil(needed / size - 1e-9))
        if packs > MAX_LINE_QUANTITY or stock.get(product.id, 0) < packs:
            continue
        key = (packs * product.price_cents, packs, product.sku, product)
        if best is None or key[:3] < best[:3]:
            best = key
    return (best[3], best[1]) if best else None


def add_to_basket(
    session: Session,
    customer: Customer,
    ref: str,
    servings: int | None,
    have: list[str],
    store_id: str,
    include_pantry: bool = False,
) -> dict[str, Any]:
    """Add a recipe's ingredients, all or nothing; report what was skipped or unavailable."""
    recipe = get_recipe(session, ref)
    store = get_store(session, store_id)
    servings = servings or recipe.servings
    if not 1 <= servings <= MAX_SERVINGS:
        raise CommerceError(
            "servings-out-of-range", f"Servings must be between 1 and {MAX_SERVINGS}.", 422
        )
    scale = servings / recipe.servings
    categories = {i.category for i in recipe.ingredients}
    products = list(session.scalars(select(Product).where(Product.category.in_(categories))))
    stock = stock_levels(session, store.id, (p.id for p in products))
    added, skipped, unavailable = [], [], []
    for ingredient in recipe.ingredients:
        reason = _skipped(ingredient, have)
        if reason or (ingredient.pantry and not include_pantry):
            skipped.append(
                {
                    "line": ingredient.line,
                    "category": ingredient.category,
                    "reason": "you have it" if reason else "pantry staple",
                }
            )
            continue
        needed, base = to_base(ingredient.quantity * scale, ingredient.unit)
        choice = _best_pack(
            [p for p in products if p.category == ingredient.category], stock, needed, base
        )
        if choice is None:
            unavailable.append({"line": ingredient.line, "category": ingredient.category})
            continue
        product, packs = choice
        basket.add_product(session, customer, product, packs)
        added.append(
            {
                **product_dict(product, True),
                "quantity": packs,
                "for": ingredient.line,
                "line_total": money(packs * product.price_cents),
            }
        )
    return {
        "recipe": recipe_summary(recipe),
        "servings": servings,
        "store_id": store.id,
        "added": added,
        "skipped": skipped,
        "unavailable": unavailable,
    }
