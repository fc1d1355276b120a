"""Recipes: suggest a few; add one's ingredients scaled to servings, minus what is at home."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import Events, SkillAction, Turn, on_chosen, on_pending
from skills.contract import RecipeSummary
from skills.phrases import number

MEALS = ("breakfast", "lunch", "dinner", "dessert", "snack")
SUGGESTIONS = 3
# "What's in a lasagne?", "what do I need for pancakes": a question about the recipe, answered
# with its ingredients; they go into the basket only after a yes.
QUESTION = re.compile(
    r"^(?:(?:so|um|uh|er|hey|and|ok|okay)\s+)*(?:"
    r"what(?:'s| is| are|'re| goes| go| do| does| would| will)?\b"
    r"|which\b|how (?:do|does|would|can|to)\b|tell me\b|list\b|read (?:me )?(?:out )?\b"
    r"|can you tell\b|could you tell\b|do you know\b|is there\b|are there\b"
    r")|\?\s*$"
)
INSTRUCTION = re.compile(r"\b(add|put|buy|get|order|stick|throw|pop|load)\b")
# Diets and "quick" said ("something quick and vegan for dinner"): the service filters by them.
DIETS = (
    (re.compile(r"\b(?:vegan|plant[\s-]?based)\b"), "vegan"),
    (re.compile(r"\b(?:vegetarian|veggie|meat[\s-]?free|meatless|no meat)\b"), "vegetarian"),
    (re.compile(r"\b(?:gluten[\s-]?free|no gluten|coeliac|celiac)\b"), "gluten-free"),
)
QUICK = re.compile(
    r"\b(?:quick|quickly|fast|speedy|in a hurry|in a rush|easy|simple|(?:10|15|20|25|30|ten"
    r"|fifteen|twenty|thirty)[\s-]?min(?:ute)?s?)\b"
)


def only_wishes(text: str) -> str:
    """``text`` without its diet and quick words and fillers."""
    said = QUICK.sub(" ", text.lower())
    for pattern, _ in DIETS:
        said = pattern.sub(" ", said)
    return re.sub(r"\b(?:recipes?|meals?|ideas?|food|dish(?:es)?|something|and|a|an)\b", " ", said)


def diets_said(text: str) -> list[str]:
    said = text.lower()
    return [diet for pattern, diet in DIETS if pattern.search(said)]


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
    return [
        SlotSet("choices", None),
        SlotSet("pending", None),
        SlotSet("recipe", None),
        SlotSet("last_sku", None),  # "make it six" after a recipe names no one line
    ]


class ActionSuggestRecipe(SkillAction):
    action_name = "action_suggest_recipe"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        text = turn.text.lower()
        meal = next((m for m in MEALS if m in text), None)
        named = turn.entity("recipe")
        diets, quick = diets_said(text), bool(QUICK.search(text))
        if named and not only_wishes(named).strip():
            named = None  # "a [vegetarian](recipe) dinner" names no dish: the diet and meal do
        # best fit first: the service ranks by the name, the diets, quick, and what the
        # customer buys anyway (not by name)
        recipes = turn.client.recipes(
            q=named, meal=None if named else meal, limit=SUGGESTIONS, diets=diets, quick=quick
        )
        if not recipes and named:
            recipes = turn.client.recipes(meal=meal, limit=SUGGESTIONS, diets=diets, quick=quick)
        if not recipes:
            if diets or quick:
                wanted = speech.join_and([*(["quick"] if quick else []), *diets])
                turn.say("utter_no_recipes_like_that", wanted=wanted)
            else:
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


def asks_about(text: str) -> bool:
    """A question about a recipe ("what's in a lasagne", "what do I need for pancakes?"), not
    an instruction to buy it ("add the ingredients for lasagne", "can you add ...")."""
    said = text.lower().strip()
    return bool(QUESTION.search(said)) and not INSTRUCTION.search(said)


def ingredient_words(line: str) -> str:
    """An ingredient line as said: "2 onions, sliced" -> "2 onions"."""
    return line.split(",")[0].strip()


def tell_ingredients(
    turn: Turn, slug: str, servings: int | None, have: list[str]
) -> list[dict[str, Any]]:
    """Say what the recipe needs and ask before anything goes into the basket."""
    recipe = turn.client.recipe(slug)
    needed = [ingredient_words(i["line"]) for i in recipe["ingredients"] if not i["pantry"]]
    staples = [i["category"] for i in recipe["ingredients"] if i["pantry"]]
    turn.say(
        "utter_recipe_ingredients",
        recipe=recipe["name"],
        servings=recipe["servings"],
        items=speech.join_and(needed),
    )
    if staples:
        turn.say("utter_recipe_staples", items=speech.join_and(staples))
    turn.say("utter_ask_add_recipe", servings=servings or recipe["servings"])
    choice = {**recipe_choice(recipe), "asked_servings": servings, "have": have}
    return [
        SlotSet("recipe", recipe["slug"]),
        SlotSet("choices", [choice]),
        SlotSet("pending", "recipe"),
    ]


class ActionRecipeToBasket(SkillAction):
    """ "Add the ingredients for lasagne": added (scaled, minus what is at home). "What's in a
    lasagne?" is a question: the ingredients are said and added only after a yes."""

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
        if asks_about(turn.text):
            return tell_ingredients(turn, slug, servings_said(turn), have)
        return add_recipe(turn, slug, servings_said(turn), have)


def recipe_chosen(turn: Turn, pending: str | None, chosen: dict[str, Any]) -> Events:
    """A recipe chosen from those suggested: its ingredients are offered for the basket."""
    turn.say("utter_recipe_chosen", recipe=chosen["label"], servings=chosen["servings"])
    return [
        SlotSet("recipe", chosen["slug"]),
        SlotSet("choices", [chosen]),
        SlotSet("pending", "recipe"),
    ]


def ingredients_wanted(turn: Turn, choices: list[dict[str, Any]]) -> Events:
    """Yes to the recipe's ingredients: they go into the basket."""
    chosen = choices[0]
    slug = turn.slot("recipe") or chosen["slug"]
    return add_recipe(turn, slug, chosen.get("asked_servings"), chosen.get("have") or [])


on_chosen("recipe", recipe_chosen)
on_pending("recipe", yes=ingredients_wanted, needs_choice=True)
