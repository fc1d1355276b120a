"""Stores: a store's address, the nearest store and which stores have a product, against the
in-memory twin.

Alone, in Rasa's environment and then the project validator:
`.venv/bin/python run_assistant.py test-skill stores`.
"""

from __future__ import annotations

import pytest

from skills.speech import distance
from skills.stores import ActionStoreLocation, ActionWhichStoreHas
from tests.skills.conftest import act, entity, responses, run, slots_set, tracker


def test_distances_are_said_in_miles():
    assert distance(1.3) == "0.8 miles"
    assert distance(1.61) == "1.0 mile"
    assert distance(410.0) == "255 miles"


@pytest.mark.parametrize(
    "text", ["which store is nearest to me", "where's my closest greenleaf", "nearest store"]
)
def test_the_nearest_store_from_home(shop, text):
    messages, events = act(ActionStoreLocation(), text, "store_location")
    assert responses(messages) == ["utter_nearest_store", "utter_next_nearest_store"]
    assert messages[0] == {
        **messages[0],
        "store": "Greenleaf Riverside",
        "distance": "0.8 miles",
        "address": "14 Mill Quay",
    }
    assert messages[1]["store"] == "Greenleaf Harbour"
    assert events == []
    assert "nearest_stores" in shop.calls


def test_without_a_home_address_the_home_store_is_said(shop):
    shop.measured_from = "home store"
    messages, _ = act(ActionStoreLocation(), "which store is closest", "store_location")
    assert responses(messages) == ["utter_home_store_address", "utter_next_nearest_store"]
    assert messages[0]["store"] == "Greenleaf Riverside"


def test_at_a_kiosk_the_nearest_is_here_then_the_next(shop):
    messages, _ = act(
        ActionStoreLocation(),
        "where's the nearest store",
        "store_location",
        metadata={"store_id": "harbour", "confirm_by": "touch"},
    )
    assert responses(messages) == ["utter_you_are_at_store", "utter_next_nearest_store"]
    assert (messages[0]["store"], messages[1]["store"]) == (
        "Greenleaf Harbour",
        "Greenleaf Riverside",
    )
    assert "nearest_stores" not in shop.calls


@pytest.mark.parametrize(
    ("text", "named"),
    [("where is the harbour store", "harbour"), ("what's the address of harbour", "harbour")],
)
def test_a_named_store_is_the_one_answered_for(shop, text, named):
    """At Riverside's kiosk, "where is the harbour store" is about Harbour."""
    messages, _ = act(ActionStoreLocation(), text, "store_location", ("store", named))
    assert responses(messages) == ["utter_store_address"]
    assert (messages[0]["store"], messages[0]["address"]) == ("Greenleaf Harbour", "7 Pier Road")


def test_a_store_the_service_does_not_know_is_questioned(shop):
    text = "where is the moon street store"
    messages, _ = act(ActionStoreLocation(), text, "store_location", ("store", "moon street"))
    assert responses(messages) == ["utter_store_unknown_named"]


def test_where_are_your_stores_lists_them_all(shop):
    messages, _ = act(ActionStoreLocation(), "where are your stores", "store_location")
    assert responses(messages) == ["utter_store_list"]
    assert messages[0]["count"] == 2
    assert "Greenleaf Harbour at 7 Pier Road" in messages[0]["stores"]


def test_where_is_the_store_is_the_conversations_store(shop):
    messages, _ = act(ActionStoreLocation(), "where is your shop", "store_location")
    assert responses(messages) == ["utter_store_address"]
    assert messages[0]["store"] == "Greenleaf Riverside"


def test_a_side_question_keeps_a_yes_no_open_and_leaves_the_pin_prompt(shop):
    _, events = act(
        ActionStoreLocation(), "where is your shop", "store_location", slots={"pending": "order"}
    )
    assert "pending" not in slots_set(events)
    _, events = act(
        ActionStoreLocation(), "where is your shop", "store_location", slots={"pending": "pin"}
    )
    assert slots_set(events)["pending"] is None


# --- which store has it ---------------------------------------------------------------------
def which_store_has(text: str, product: str | None, **kwargs):
    entities = [entity(text, "product", product)] if product else []
    return run(ActionWhichStoreHas(), tracker(text, "which_store_has", entities, **kwargs))


def test_which_store_has_it_nearest_first_with_stock(shop):
    shop.store_stock = {"riverside": {"DAI-3": 12}, "harbour": {"DAI-3": 3}}
    messages, events = which_store_has("which store has oat milk in stock", "oat milk")
    assert responses(messages) == ["utter_stores_with_stock"]
    assert messages[0]["product"] == "Oat Milk, 1 litre"
    assert messages[0]["stores"] == (
        "Greenleaf Riverside (12 on the shelf, 0.8 miles away)"
        " and Greenleaf Harbour (3 on the shelf, 255 miles away)"
    )
    assert events == []


def test_the_stores_without_it_are_said_too(shop):
    shop.store_stock = {"riverside": {"DAI-3": 0}}
    messages, _ = which_store_has("which shop has oat milk", "oat milk")
    assert responses(messages) == ["utter_stores_with_stock", "utter_stores_without_stock"]
    assert messages[0]["stores"].startswith("Greenleaf Harbour (20 on the shelf")
    assert messages[1]["stores"] == "Greenleaf Riverside"


def test_no_store_has_it(shop):
    shop.store_stock = {"riverside": {"DAI-3": 0}, "harbour": {"DAI-3": 0}}
    messages, _ = which_store_has("does any store have oat milk", "oat milk")
    assert responses(messages) == ["utter_no_store_has_it"]


def test_at_a_kiosk_measured_from_the_kiosk(shop):
    messages, _ = which_store_has(
        "which store has oat milk",
        "oat milk",
        metadata={"store_id": "harbour", "confirm_by": "touch"},
    )
    assert messages[0]["stores"].startswith("Greenleaf Harbour (20 on the shelf, here) and")


def test_which_store_has_it_after_an_add_is_the_product_added(shop):
    messages, _ = which_store_has("which store has it", None, slots={"last_sku": "DAI-4"})
    assert messages[0]["product"] == "Free Range Large Eggs, pack of 12"


def test_a_product_only_resembled_is_not_answered_for(shop):
    messages, _ = which_store_has("which store has butcher", "butcher")
    assert responses(messages) == ["utter_product_unknown"]


def test_which_store_keeps_a_yes_or_no_open(shop):
    slots = {"pending": "empty_basket", "choices": None}
    _, events = which_store_has("which store has oat milk", "oat milk", slots=slots)
    assert "pending" not in slots_set(events)
