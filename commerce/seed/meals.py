"""Meals in the seed's past orders, what "goes well with" learns from.

A household cooks a few favourite recipes, and about half of its weekly orders hold one of
them: most of that recipe's shopping (some of it is at home already), the same product for
each ingredient week after week, and mostly the one most shoppers take ("400 g spaghetti": the
catalog's Spaghetti). So across customers spaghetti is bought with parmesan and mince, salmon
with lemon and rice: pairs that come from recipes people cook, not from a list of pairs.
"""

from __future__ import annotations

import random
import re

from commerce.models import Product
from commerce.seed.specs import IngredientSpec, RecipeSpec

MEAL_SHARE = 0.5  # of a household's orders that hold one of its favourite meals
FAVOURITES = (2, 4)  # favourite recipes per household
INGREDIENT_SHARE = 0.75  # each ingredient not in the pantry is bought with this chance
USUAL_CHOICE = 0.8  # the product most shoppers take for an ingredient, else another of its kind


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower())}


def usual_product(ingredient: IngredientSpec, products: list[Product]) -> Product:
    """The product most shoppers take for ``ingredient``: the first by sku of those whose
    name's words the recipe line says ("400 g spaghetti": Spaghetti), else of its kind."""
    said = _words(ingredient.line)
    named = [p for p in products if _words(p.name) <= said]
    return min(named or products, key=lambda p: p.sku)


def favourites(rng: random.Random, recipes: tuple[RecipeSpec, ...], k: int) -> list[RecipeSpec]:
    """``k`` recipes a household cooks, the well-liked ones likelier: a recipe's weight falls
    as 1 / its place in the recipe book (which starts with the everyday favourites)."""
    chosen: list[RecipeSpec] = []
    left = list(recipes)
    weights = [1 / (place + 1) for place in range(len(left))]
    while left and len(chosen) < k:
        (pick,) = rng.choices(range(len(left)), weights=weights)
        chosen.append(left.pop(pick))
        weights.pop(pick)
    return chosen


class Household:
    """One seeded customer's favourite meals and the product they buy for each ingredient."""

    def __init__(
        self,
        rng: random.Random,
        recipes: tuple[RecipeSpec, ...],
        by_category: dict[str, list[Product]],
    ) -> None:
        self.rng = rng
        self.favourites = favourites(rng, recipes, rng.randint(*FAVOURITES))
        self.by_category = by_category
        self.chosen: dict[str, Product] = {}

    def product_for(self, ingredient: IngredientSpec) -> Product | None:
        products = self.by_category.get(ingredient.category)
        if not products:
            return None
        if ingredient.category not in self.chosen:
            usual = usual_product(ingredient, products)
            keep = self.rng.random() < USUAL_CHOICE
            self.chosen[ingredient.category] = usual if keep else self.rng.choice(products)
        return self.chosen[ingredient.category]

    def week(self) -> list[Product]:
        """The meal's products in one week's order (none in about half the weeks)."""
        if self.rng.random() >= MEAL_SHARE:
            return []
        recipe = self.rng.choice(self.favourites)
        bought = []
        for ingredient in recipe.ingredients:
            if ingredient.pantry or self.rng.random() >= INGREDIENT_SHARE:
                continue
            product = self.product_for(ingredient)
            if product is not None:
                bought.append(product)
        return bought
