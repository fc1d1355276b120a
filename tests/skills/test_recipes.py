"""Recipe skills: suggestions as a numbered menu; ingredients scaled, minus what is at home."""

from __future__ import annotations

import pytest

from skills.core import ActionAffirm, ActionChooseOption
from skills.recipes import ActionRecipeToBasket, ActionSuggestRecipe
from tests.skills.conftest import act, entity, responses, run, slots_set, tracker


def test_suggest_then_choose_then_yes(shop):
    messages, events = act(ActionSuggestRecipe(), "what can i make for breakfast", "suggest_recipe")
    assert responses(messages) == ["utter_recipe_suggestions"]
    slots = slots_set(events)
    assert slots["choices"][0]["slug"] == "pancakes"
    messages, events = act(ActionChooseOption(), "the first one", "choose_option", slots=slots)
    assert responses(messages) == ["utter_recipe_chosen"]
    slots = {**slots, **slots_set(events)}
    assert slots["recipe"] == "pancakes"
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots)
    assert responses(messages)[0] == "utter_recipe_added"
    assert shop.basket_lines == {"DAI-2": 1, "DAI-4": 1, "PAN-1": 1}


def test_recipe_for_servings_skipping_what_i_have(shop):
    text = "add the ingredients for pancakes for six people i already have eggs"
    messages, _ = act(
        ActionRecipeToBasket(),
        text,
        "recipe_to_basket",
        ("recipe", "pancakes"),
        ("servings", "six"),
        ("pantry_item", "eggs"),
    )
    assert responses(messages) == ["utter_recipe_added", "utter_recipe_skipped"]
    assert messages[0]["servings"] == 6
    assert "DAI-4" not in shop.basket_lines
    assert shop.basket_lines["DAI-2"] == 2, "six servings need more milk than four"


def test_unknown_recipe(shop):
    text = "add the ingredients for moon cake"
    messages, _ = act(ActionRecipeToBasket(), text, "recipe_to_basket", ("recipe", "moon cake"))
    assert responses(messages) == ["utter_recipe_unknown"]
    assert shop.basket_lines == {}


@pytest.mark.parametrize(
    "text",
    [
        "what's in pancakes",
        "what do I need for pancakes",
        "which ingredients go into pancakes",
        "pancakes ingredients?",
        "tell me the ingredients for pancakes",
    ],
)
def test_a_question_about_a_recipe_is_answered_and_adds_nothing_before_a_yes(shop, text):
    """ "What's in a lasagne" put its ten ingredients into the basket, unasked."""
    messages, events = act(ActionRecipeToBasket(), text, "recipe_to_basket", ("recipe", "pancakes"))
    assert responses(messages) == [
        "utter_recipe_ingredients",
        "utter_recipe_staples",
        "utter_ask_add_recipe",
    ]
    assert messages[0]["items"] == "200 g plain flour, 300 ml milk and 2 eggs"
    assert messages[1]["items"] == "salt"
    assert shop.basket_lines == {}
    slots = slots_set(events)
    assert (slots["pending"], slots["recipe"]) == ("recipe", "pancakes")

    messages, _ = act(ActionAffirm(), "hmm", "affirm", slots=slots)
    assert responses(messages) == ["utter_yes_unclear"]
    assert shop.basket_lines == {}
    messages, _ = act(ActionAffirm(), "yes please", "affirm", slots=slots)
    assert responses(messages)[0] == "utter_recipe_added"
    assert shop.basket_lines == {"DAI-2": 1, "DAI-4": 1, "PAN-1": 1}


def test_a_recipe_question_for_servings_adds_for_those_servings_after_the_yes(shop):
    text = "what do I need for pancakes for six people"
    ents = [entity(text, "recipe", "pancakes"), entity(text, "servings", "six")]
    messages, events = run(ActionRecipeToBasket(), tracker(text, "recipe_to_basket", ents))
    assert messages[-1]["servings"] == 6
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots_set(events))
    assert messages[0]["servings"] == 6
    assert shop.basket_lines["DAI-2"] == 2


@pytest.mark.parametrize(
    "text", ["add the ingredients for pancakes", "can you add what I need for pancakes?"]
)
def test_an_instruction_still_adds_the_ingredients(shop, text):
    messages, _ = act(ActionRecipeToBasket(), text, "recipe_to_basket", ("recipe", "pancakes"))
    assert responses(messages)[0] == "utter_recipe_added"


@pytest.mark.parametrize(
    ("text", "ents", "diets", "quick", "first"),
    [
        ("suggest a vegan dinner", [("recipe", "vegan")], ["vegan"], False, "chickpea-curry"),
        ("what's an easy vegetarian dinner", [("recipe", "vegetarian")], ["vegetarian"], True,
         "vegetable-stir-fry"),
        ("any gluten free dinner ideas", [], ["gluten-free"], False, "chickpea-curry"),
        ("something quick for dinner", [], [], True, "vegetable-stir-fry"),
    ],
)  # fmt: skip
def test_diets_and_quick_filter_the_suggestions(shop, text, ents, diets, quick, first):
    messages, events = run(
        ActionSuggestRecipe(),
        tracker(text, "suggest_recipe", [entity(text, name, value) for name, value in ents]),
    )
    assert responses(messages) == ["utter_recipe_suggestions"]
    asked = shop.recipe_queries[-1]
    assert (asked["diets"], asked["quick"], asked["meal"]) == (diets, quick, "dinner")
    assert slots_set(events)["choices"][0]["slug"] == first
    assert all(c["slug"] != "chicken-curry" for c in slots_set(events)["choices"])


def test_suggestions_come_in_the_services_order_not_by_name(shop):
    _, events = act(ActionSuggestRecipe(), "what can i make for dinner", "suggest_recipe")
    slugs = [c["slug"] for c in slots_set(events)["choices"]]
    assert slugs == ["vegetable-stir-fry", "chickpea-curry", "chicken-curry"]  # quickest first


def test_no_recipe_for_those_wishes_says_which(shop):
    text = "a quick vegan breakfast"
    messages, _ = act(ActionSuggestRecipe(), text, "suggest_recipe")
    assert responses(messages) == ["utter_no_recipes_like_that"]
    assert messages[0]["wanted"] == "quick and vegan"
