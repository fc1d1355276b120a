"""Basket skill: several items per sentence, quantities, remove, change, read back."""

from __future__ import annotations

import pytest

from skills.basket import (
    ActionAddToBasket,
    ActionRemoveFromBasket,
    ActionViewBasket,
)
from skills.core import ActionAffirm, ActionDeny, ActionOutOfScope, ActionRepeat, ActionRephrase
from skills.pickup import ActionReschedulePickup
from skills.quantity_words import new_quantity
from skills.reorder import ActionReorder
from tests.skills.conftest import act, responses, slots_set


def test_several_items_in_one_sentence(shop):
    text = "add milk, eggs and two loaves of bread"
    messages, _ = act(
        ActionAddToBasket(),
        text,
        "add_to_basket",
        ("product", "milk"),
        ("product", "eggs"),
        ("quantity", "two"),
        ("unit", "loaves"),
        ("product", "bread"),
    )
    assert responses(messages)[0] == "utter_added_items"
    assert set(shop.basket_lines) == {"DAI-1", "DAI-4", "BAK-1"}
    assert shop.basket_lines["BAK-1"] == 2, "two loaves -> two packs"
    assert "utter_basket_total" in responses(messages)
    assert [c for c in shop.calls if c == "resolve"] == ["resolve"] * 3


def test_ambiguous_single_item_offers_a_numbered_choice(shop):
    shop.products["DAI-1"]["name"] = "Milk"
    shop.products["DAI-2"]["name"] = "Milk Semi"
    text = "add some milk"
    messages, events = act(ActionAddToBasket(), text, "add_to_basket", ("product", "milk"))
    assert responses(messages) == ["utter_product_choices"]
    assert shop.basket_lines == {}, "nothing is added while the customer chooses"
    slots = slots_set(events)
    assert slots["pending"] == "add_choice"
    assert [c["sku"] for c in slots["choices"]][:2] == ["DAI-1", "DAI-2"]
    assert "one, " in messages[0]["options"]
    assert "two, " in messages[0]["options"]


def test_unknown_product_is_said_and_nothing_added(shop):
    text = "add unicorn steaks"
    messages, _ = act(ActionAddToBasket(), text, "add_to_basket", ("product", "unicorn steaks"))
    assert responses(messages) == ["utter_product_unknown"]
    assert messages[0]["product"] == "unicorn steaks"
    assert shop.basket_lines == {}


def test_absurd_quantity_refused_and_nothing_added(shop):
    text = "add 1000 loaves of bread and milk"
    messages, _ = act(
        ActionAddToBasket(),
        text,
        "add_to_basket",
        ("quantity", "1000"),
        ("unit", "loaves"),
        ("product", "bread"),
        ("product", "milk"),
    )
    assert responses(messages) == ["utter_quantity_out_of_range_for"]
    assert shop.basket_lines == {}, "a refused item leaves the whole sentence undone"


def test_service_down_is_an_apology(shop):
    shop.fail = True
    text = "add milk"
    messages, _ = act(ActionAddToBasket(), text, "add_to_basket", ("product", "milk"))
    assert responses(messages) == ["utter_service_unavailable"]


def test_remove_change_and_read_back(shop):
    shop.basket_lines = {"DAI-1": 3, "BAK-1": 1}
    text = "remove the bread"
    messages, _ = act(ActionRemoveFromBasket(), text, "remove_from_basket", ("product", "bread"))
    assert responses(messages)[0] == "utter_removed_items"
    assert shop.basket_lines == {"DAI-1": 3}

    text = "make that two milks"
    act(ActionAddToBasket(), text, "add_to_basket", ("quantity", "two"), ("product", "milks"))
    assert shop.basket_lines == {"DAI-1": 2}, "a new quantity, not two more"

    text = "change the milk to four"
    act(
        ActionRemoveFromBasket(),
        text,
        "remove_from_basket",
        ("product", "milk"),
        ("quantity", "four"),
    )
    assert shop.basket_lines == {"DAI-1": 4}

    text = "one less milk"
    act(
        ActionRemoveFromBasket(),
        text,
        "remove_from_basket",
        ("quantity", "one"),
        ("product", "milk"),
    )
    assert shop.basket_lines == {"DAI-1": 3}, "one less takes one away"

    messages, _ = act(ActionViewBasket(), "what's in my basket", "view_basket")
    assert responses(messages) == ["utter_basket_contents"]
    assert "3 Whole Milk" in messages[0]["items"]
    assert messages[0]["total"] == "£4.50"


def test_is_it_on_my_list(shop):
    shop.basket_lines = {"DAI-4": 1}
    text = "is bread on my list"
    messages, _ = act(ActionViewBasket(), text, "view_basket", ("product", "bread"))
    assert responses(messages) == ["utter_not_in_basket"]
    text = "are eggs on my list"
    messages, _ = act(ActionViewBasket(), text, "view_basket", ("product", "eggs"))
    assert responses(messages) == ["utter_in_basket"]


def test_removing_by_the_category_a_product_was_added_by(shop):
    """ "Add some pasta" put Penne in the basket; "remove the pasta" takes it out again."""
    from skills.twin_catalog import _product

    shop.products["PAS-1"] = _product("PAS-1", "Penne", "pasta", 500.0, "g", 0.60)
    shop.products["PAS-2"] = _product("PAS-2", "Spaghetti", "pasta", 500.0, "g", 0.70)
    shop.basket_lines = {"PAS-1": 1, "DAI-1": 2}
    text = "remove the pasta"
    messages, _ = act(ActionRemoveFromBasket(), text, "remove_from_basket", ("product", "pasta"))
    assert responses(messages)[0] == "utter_removed_items"
    assert shop.basket_lines == {"DAI-1": 2}

    shop.basket_lines = {"PAS-1": 1, "PAS-2": 2, "DAI-1": 2}
    act(ActionRemoveFromBasket(), text, "remove_from_basket", ("product", "pasta"))
    assert shop.basket_lines == {"DAI-1": 2}, "all the pasta, nothing else"

    text = "remove the cheese"
    messages, _ = act(ActionRemoveFromBasket(), text, "remove_from_basket", ("product", "cheese"))
    assert responses(messages) == ["utter_not_in_basket"]
    assert shop.basket_lines == {"DAI-1": 2}


def test_removing_by_another_name_of_the_product(shop):
    """ "Add some cheddar cheese" put Mild Cheddar in (category cheddar, also called "cheddar
    cheese"); "remove the cheese" takes it out."""
    from skills.twin_catalog import _product

    shop.products["CHE-1"] = {
        **_product("CHE-1", "Mild Cheddar", "cheddar", 400.0, "g", 2.50),
        "synonyms": ["cheddar cheese"],
    }
    shop.basket_lines = {"CHE-1": 1, "DAI-1": 2}
    text = "remove the cheese"
    messages, _ = act(ActionRemoveFromBasket(), text, "remove_from_basket", ("product", "cheese"))
    assert responses(messages)[0] == "utter_removed_items"
    assert shop.basket_lines == {"DAI-1": 2}


@pytest.mark.parametrize("text", ["empty my basket", "clear my basket", "remove everything"])
def test_emptying_the_basket_asks_first_then_empties_it(shop, text):
    shop.basket_lines = {"DAI-1": 1, "BAK-1": 2}
    messages, events = act(ActionRemoveFromBasket(), text, "remove_from_basket")
    assert responses(messages) == ["utter_ask_empty_basket"]
    assert messages[0]["count"] == 3
    assert shop.basket_lines == {"DAI-1": 1, "BAK-1": 2}, "nothing is discarded before the yes"
    slots = slots_set(events)
    assert slots["pending"] == "empty_basket"
    messages, events = act(ActionAffirm(), "4321", "affirm", slots=slots)
    assert responses(messages) == ["utter_yes_unclear"]
    assert shop.basket_lines == {"DAI-1": 1, "BAK-1": 2}
    messages, events = act(ActionAffirm(), "yes please", "affirm", slots=slots)
    assert responses(messages) == ["utter_basket_emptied"]
    assert shop.basket_lines == {}
    assert slots_set(events)["pending"] is None


def test_no_to_emptying_keeps_the_basket(shop):
    shop.basket_lines = {"DAI-1": 1}
    _, events = act(ActionRemoveFromBasket(), "clear my basket", "remove_from_basket")
    messages, _ = act(ActionDeny(), "no", "deny", slots=slots_set(events))
    assert responses(messages) == ["utter_basket_kept"]
    assert shop.basket_lines == {"DAI-1": 1}


def test_emptying_an_empty_basket_says_so(shop):
    messages, _events = act(ActionRemoveFromBasket(), "empty my basket", "remove_from_basket")
    assert responses(messages) == ["utter_basket_empty"]
    assert "clear_basket" not in shop.calls


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("make it six instead of twelve", 6),
        ("instead of twelve make it six", 6),
        ("change the eggs to 2", 2),
        ("just one avocado, not three", 1),
        ("make that 1", 1),
        ("add two more eggs", None),  # more of it, not a new quantity
        ("make it six", 6),
        ("actually six", 6),
        ("actually, six please", 6),
        ("no, make it four", 4),
        ("sorry I meant five", 5),
        ("make the bananas six", 6),
        ("make the eggs 2", 2),
        ("change the eggs to two", 2),
        ("make my free range eggs three", 3),
        ("make a lasagne for four", None),  # a recipe, not a basket line
        ("make it one less", None),  # fewer, not a new quantity
        ("actually", None),
        ("six", None),  # a bare number answers a question, it corrects nothing
        ("six not twelve", 6),
        ("just six then", 6),
        ("sorry, six", 6),
        ("I only want six bananas", 6),
        ("just need 2", 2),
        ("decrease the yoghurts to two", 2),
        ("bring the pears down to two", 2),
        ("raise the water to six bottles", 6),
        ("i want three avocados not five", 3),
        ("the eggs should be six not twelve", 6),
        ("take two of the apples out", None),  # fewer by two, a removal
        ("one less yogurt", None),
    ],
)
def test_the_new_quantity_is_the_one_asked_for_not_the_one_replaced(text, quantity):
    assert new_quantity(text) == quantity


def test_six_instead_of_twelve_read_as_reschedule_sets_the_eggs_to_six(shop):
    """It came out as reschedule_pickup with no product tagged: the line with 12 is meant."""
    shop.basket_lines = {"DAI-4": 12, "BAK-1": 1}
    text = "make it six instead of twelve"
    messages, _ = act(ActionReschedulePickup(), text, "reschedule_pickup", ("quantity", "six"))
    assert responses(messages) == ["utter_quantity_changed", "utter_basket_total"]
    assert shop.basket_lines == {"DAI-4": 6, "BAK-1": 1}
    assert "reschedule" not in shop.calls
    assert "pickups" not in shop.calls


def test_make_it_5_read_as_a_yes_sets_the_quantity_outside_the_read_back(shop):
    shop.basket_lines = {"DAI-4": 1}
    text = "make it 5"
    messages, _ = act(ActionAffirm(), text, "affirm", ("quantity", "5"))
    assert responses(messages) == ["utter_quantity_changed", "utter_basket_total"]
    assert shop.basket_lines == {"DAI-4": 5}


def test_a_correction_that_names_no_line_of_several_asks(shop):
    shop.basket_lines = {"DAI-4": 2, "BAK-1": 2}
    messages, _ = act(ActionAddToBasket(), "make it 5", "add_to_basket")
    assert responses(messages) == ["utter_ask_change"]
    assert shop.basket_lines == {"DAI-4": 2, "BAK-1": 2}


def test_one_item_is_said_in_the_singular(shop):
    """ "That's 1 items" was said after adding one thing."""
    text = "add sourdough"
    messages, _ = act(ActionAddToBasket(), text, "add_to_basket", ("product", "sourdough"))
    total = messages[-1]
    assert (total["response"], total["count"], total["noun"]) == ("utter_basket_total", 1, "item")
    text = "add two loaves of sourdough"
    messages, _ = act(ActionAddToBasket(), text, "add_to_basket", ("product", "sourdough"))
    assert (messages[-1]["count"], messages[-1]["noun"]) == (2, "items")


@pytest.mark.parametrize(
    ("action", "intent"),
    [
        (ActionRemoveFromBasket(), "remove_from_basket"),
        (ActionAddToBasket(), "add_to_basket"),
        (ActionRephrase(), "nlu_fallback"),
        (ActionOutOfScope(), "out_of_scope"),
        (ActionAffirm(), "affirm"),
    ],
)
@pytest.mark.parametrize(
    "text",
    [
        "make the bananas six",
        "change the bananas to six",
        "decrease the bananas to six",  # removed six of the twelve
        "i want six bananas not twelve",
    ],
)
def test_a_correction_sets_the_quantity_whatever_the_intent(shop, action, intent, text):
    """ "make the bananas six" (remove_from_basket) removed the bananas; "change the eggs to
    two" (nlu_fallback) was not understood."""
    shop.basket_lines = {"PRO-1": 12, "DAI-1": 1}
    messages, _ = act(action, text, intent, ("product", "bananas"))
    assert responses(messages) == ["utter_quantity_changed", "utter_basket_total"]
    assert shop.basket_lines == {"PRO-1": 6, "DAI-1": 1}


@pytest.mark.parametrize(
    ("text", "intent", "action"),
    [
        ("make it six", "nlu_fallback", ActionRephrase()),
        ("actually six", "affirm", ActionAffirm()),
        ("actually six", "out_of_scope", ActionOutOfScope()),
        ("make it six", "add_to_basket", ActionAddToBasket()),
        ("sorry, six", "repeat", ActionRepeat()),
        ("six not twelve", "deny", ActionDeny()),
        ("just six then", "affirm", ActionAffirm()),
    ],
)
def test_make_it_six_is_the_line_just_added(shop, text, intent, action):
    """After "add twelve bananas", "make it six" is about the bananas, not the milk."""
    shop.basket_lines = {"DAI-1": 1}
    added = "add twelve bananas"
    _, events = act(ActionAddToBasket(), added, "add_to_basket", ("product", "twelve bananas"))
    slots = slots_set(events)
    assert slots["last_sku"] == "PRO-1"
    messages, events = act(action, text, intent, slots=slots)
    assert responses(messages) == ["utter_quantity_changed", "utter_basket_total"]
    assert shop.basket_lines == {"DAI-1": 1, "PRO-1": 6}
    assert slots_set(events)["last_sku"] == "PRO-1"


def test_a_correction_naming_what_is_not_in_the_basket_asks(shop):
    """ "Make the eggs 2" with no eggs: questioned, never another line changed."""
    shop.basket_lines = {"PRO-1": 12}
    text = "make the eggs 2"
    messages, _ = act(ActionAddToBasket(), text, "add_to_basket", ("product", "eggs"))
    assert responses(messages) == ["utter_ask_change"]
    assert shop.basket_lines == {"PRO-1": 12}


@pytest.mark.parametrize(
    ("text", "action", "intent", "answer"),
    [
        ("set the thermostat to twenty", ActionOutOfScope(), "out_of_scope", "utter_out_of_scope"),
        ("change the alarm to 7", ActionRephrase(), "nlu_fallback", "utter_please_rephrase"),
    ],
)
def test_a_number_about_something_else_changes_no_line(shop, text, action, intent, answer):
    shop.basket_lines = {"PRO-1": 12}
    messages, _ = act(action, text, intent)
    assert responses(messages) == [answer]
    assert shop.basket_lines == {"PRO-1": 12}


@pytest.mark.parametrize(
    ("text", "intent", "action"),
    [
        ("start my basket again", "reorder", ActionReorder()),
        ("start my basket again", "remove_from_basket", ActionRemoveFromBasket()),
        ("I want a fresh basket", "reorder", ActionReorder()),
        ("start over with a new list", "remove_from_basket", ActionRemoveFromBasket()),
    ],
)
def test_starting_the_basket_again_empties_it_after_a_yes(shop, text, intent, action):
    """ "start my basket again" (reorder at 0.45) put the last order into the basket."""
    shop.past_orders = [
        {"order_id": 7, "status": "collected", "lines": [{"sku": "DAI-4", "quantity": 1}]}
    ]
    shop.basket_lines = {"PRO-1": 6}
    messages, events = act(action, text, intent)
    assert responses(messages) == ["utter_ask_empty_basket"]
    assert shop.basket_lines == {"PRO-1": 6}
    assert "reorder" not in shop.calls
    messages, _ = act(ActionAffirm(), "yes", "affirm", slots=slots_set(events))
    assert responses(messages) == ["utter_basket_emptied"]
    assert shop.basket_lines == {}


def test_start_from_my_last_basket_is_still_a_reorder(shop):
    shop.past_orders = [
        {"order_id": 7, "status": "collected", "lines": [{"sku": "DAI-4", "quantity": 1}]}
    ]
    messages, _ = act(ActionReorder(), "start from my last basket", "reorder")
    assert responses(messages)[0] == "utter_reordered"
