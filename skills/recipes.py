"""Recipes: suggest a few; add one's ingredients scaled to servings, minus what is at home."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import SkillAction, Turn
from skills.contract import RecipeSummary
from skills.phrases import number

MEALS = ("breakfast", "lunch", "dinner", "dessert", "snack")
SUGGESTIONS = 3


def servings_said(turn: Turn) -> int | None:
    value = number(turn.entity("servings"))
    if value:
        return value
    match = re.search(r"\bfor (\w+)(?: people| of us| persons| servings)?\b", turn.text.lower())
    return number(match.group(1)) if match else None


def recipe_choice(recipe: RecipeSummary) -> dict[str, Any]:
    return {
        "kind": "recipe",
        "slug": recipe["slug"],
        "label": recipe["name"],
        "servings": recipe["servings"],
        "size": recipe["minutes"],
        "price": 0,
    }


def add_recipe(
    turn: Turn, slug: str, servings: int | None, have: list[str]
) -> list[dict[str, Any]]:
    result = turn.client.recipe_to_basket(slug, turn.store_id(), servings, have)
    added = [speech.product(item, item["quantity"]) for item in result["added"]]
    name = result["recipe"]["name"]
    if added:
        turn.say(
            "utter_recipe_added",
            recipe=name,
            servings=result["servings"],
            items=speech.join_and(added),
        )
    else:
        turn.say("utter_recipe_nothing_added", recipe=name)
    had = [s["category"] for s in result["skipped"] if s["reason"] == "you have it"]
    if had:
        turn.say("utter_recipe_skipped", items=speech.join_and(had))
    missing = [u["category"] for u in result["unavailable"]]
    if missing:
        turn.say("utter_recipe_unavailable", items=speech.join_and(missing))
    return [SlotSet("choices", None), SlotSet("pending", None), SlotSet("recipe", None)]


class ActionSuggestRecipe(SkillAction):
    action_name = "action_suggest_recipe"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        text = turn.text.lower()
        meal = next((m for m in MEALS if m in text), None)
        named = turn.entity("recipe")
        recipes = turn.client.recipes(q=named, meal=None if named else meal, limit=SUGGESTIONS)
        if not recipes and named:
            recipes = turn.client.recipes(meal=meal, limit=SUGGESTIONS)
        if not recipes:
            turn.say("utter_no_recipes")
            return []
        turn.say(
            "utter_recipe_suggestions",
            options=speech.numbered([f"{r['name']}, {r['minutes']} minutes" for r in recipes]),
        )
        return [
            SlotSet("choices", [recipe_choice(r) for r in recipes]),
            SlotSet("pending", "recipe"),
        ]


class ActionRecipeToBasket(SkillAction):
    action_name = "action_recipe_to_basket"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        have = [str(e["value"]) for e in turn.entities("pantry_item")]
        named = turn.entity("recipe")
        slug: str | None = None
        if named:
            found = turn.client.recipes(q=named, limit=1)
            if not found:
                turn.say("utter_recipe_unknown", recipe=named)
                return []
            slug = found[0]["slug"]
        else:
            slug = turn.slot("recipe")
            choices = turn.slot("choices") or []
            if slug is None and turn.slot("pending") == "recipe" and choices:
                slug = choices[0]["slug"]
        if slug is None:
            turn.say("utter_ask_recipe")
            return []
        return add_recipe(turn, slug, servings_said(turn), have)
