"""Recipe skills: suggestions as a numbered menu; ingredients scaled, minus what is at home."""

from __future__ import annotations

from skills.core import ActionAffirm, ActionChooseOption
from skills.recipes import ActionRecipeToBasket, ActionSuggestRecipe
from tests.skills.conftest import entity, responses, run, slots_set, tracker


def test_suggest_then_choose_then_yes(shop):
    messages, events = run(
        ActionSuggestRecipe(), tracker("what can i make for breakfast", "suggest_recipe")
    )
    assert responses(messages) == ["utter_recipe_suggestions"]
    slots = slots_set(events)
    assert slots["choices"][0]["slug"] == "pancakes"
    messages, events = run(
        ActionChooseOption(), tracker("the first one", "choose_option", slots=slots)
    )
    assert responses(messages) == ["utter_recipe_chosen"]
    slots = {**slots, **slots_set(events)}
    assert slots["recipe"] == "pancakes"
    messages, _ = run(ActionAffirm(), tracker("yes", "affirm", slots=slots))
    assert responses(messages)[0] == "utter_recipe_added"
    assert shop.basket_lines == {"DAI-2": 1, "DAI-4": 1, "PAN-1": 1}


def test_recipe_for_servings_skipping_what_i_have(shop):
    text = "add the ingredients for pancakes for six people i already have eggs"
    ents = [
        entity(text, "recipe", "pancakes"),
        entity(text, "servings", "six"),
        entity(text, "pantry_item", "eggs"),
    ]
    messages, _ = run(ActionRecipeToBasket(), tracker(text, "recipe_to_basket", ents))
    assert responses(messages) == ["utter_recipe_added", "utter_recipe_skipped"]
    assert messages[0]["servings"] == 6
    assert "DAI-4" not in shop.basket_lines
    assert shop.basket_lines["DAI-2"] == 2, "six servings need more milk than four"


def test_unknown_recipe(shop):
    text = "add the ingredients for moon cake"
    messages, _ = run(
        ActionRecipeToBasket(),
        tracker(text, "recipe_to_basket", [entity(text, "recipe", "moon cake")]),
    )
    assert responses(messages) == ["utter_recipe_unknown"]
    assert shop.basket_lines == {}
