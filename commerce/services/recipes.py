"""Recipes: suggest them, and turn one into basket items scaled, pantry-aware and pack-rounded."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.diet import read_wishes
from commerce.errors import CommerceError
from commerce.models import Customer, Order, OrderLine, Product, Recipe, RecipeIngredient
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


QUICK_MINUTES = 30  # a recipe this quick (or tagged "quick") is a quick one
MATCH_CUTOFF = 60  # rapidfuzz WRatio a recipe's name and tags need to match what was asked
BOUGHT_POINTS = 40.0  # a recipe whose every ingredient the customer buys gains this much
MINUTE_POINTS = 1 / 6  # ... and loses this much per minute it takes (10 points an hour)


def suits_diets(recipe: Recipe, diets: Iterable[str]) -> bool:
    """Whether a recipe's tags say it suits every diet (a vegan one is vegetarian too)."""
    tags = {t.lower() for t in recipe.tags}
    if "vegan" in tags:
        tags.add("vegetarian")
    return all(d in tags for d in diets)


def is_quick(recipe: Recipe) -> bool:
    return recipe.minutes <= QUICK_MINUTES or "quick" in (t.lower() for t in recipe.tags)


def bought_categories(session: Session, customer: Customer) -> set[str]:
    """The product categories the customer has ever ordered."""
    return set(
        session.scalars(
            select(Product.category)
            .join(OrderLine, OrderLine.product_id == Product.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.customer_id == customer.id, Order.status != "cancelled")
            .distinct()
        )
    )


def bought_share(recipe: Recipe, bought: set[str]) -> float:
    """The share of a recipe's shopping (its ingredients besides pantry staples) that the
    customer buys anyway."""
    needed = {i.category for i in recipe.ingredients if not i.pantry}
    return len(needed & bought) / len(needed) if needed else 0.0


def search(
    session: Session,
    q: str | None,
    meal: str | None,
    limit: int,
    diets: Iterable[str] = (),
    quick: bool = False,
    customer: Customer | None = None,
) -> list[dict[str, Any]]:
    """Recipes ranked by how well they fit what was asked, best first — not by name.

    ``q`` is a spoken name ("pancake", "spag bol") and may carry diet words and "quick"
    ("a quick vegan curry"), read as ``diets`` and ``quick`` are: a recipe must suit every
    diet said (by its tags) and, when quick is asked, take at most 30 minutes or be tagged
    quick; ``meal`` keeps that meal's. Among those left, a recipe scores its name match (0-100,
    60 at least when a name is said), plus up to 40 for the share of its shopping the
    ``customer`` already buys, minus 10 an hour of cooking time; ties go to the name.
    """
    wishes = read_wishes(q or "")
    diets = {*diets, *wishes.diets}
    quick = quick or wishes.quick
    words = wishes.rest if wishes else (q or "")
    query = select(Recipe)
    if meal:
        query = query.where(Recipe.meal == meal.lower())
    recipes = [
        r for r in session.scalars(query) if suits_diets(r, diets) and (not quick or is_quick(r))
    ]
    bought = bought_categories(session, customer) if customer is not None else set()
    scored: list[tuple[float, str, Recipe, float]] = []
    for recipe in recipes:
        match = 0.0
        if words.strip():
            match = fuzz.WRatio(words.lower(), f"{recipe.name} {' '.join(recipe.tags)}".lower())
            if match < MATCH_CUTOFF:
                continue
        share = bought_share(recipe, bought) if bought else 0.0
        score = match + BOUGHT_POINTS * share - MINUTE_POINTS * recipe.minutes
        scored.append((score, recipe.name, recipe, share))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [
        {**recipe_summary(r), "fit": round(score, 1), "bought_share": round(share, 2)}
        for score, _, r, share in scored[:limit]
    ]


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
