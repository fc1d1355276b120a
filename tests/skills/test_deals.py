"""Deals: what is on offer, on a product, at a named store; the savings in the read-back; a
deal not used said once after an add (a yes adds, anything else adds nothing; never nags)."""

from __future__ import annotations

from skills.basket import ActionAddToBasket
from skills.checkout import ActionCheckout
from skills.core import ActionAffirm, ActionDeny
from skills.deals import ActionDeals
from tests.skills.conftest import entity, responses, run, slots_set, tracker


def test_what_is_on_offer_at_the_conversations_store(shop):
    messages, events = run(ActionDeals(), tracker("what's on offer", "deals"))
    assert responses(messages) == ["utter_deals_at_store"]
    assert messages[0]["store"] == "Greenleaf Riverside"
    assert messages[0]["offers"] == (
        "Plain Flour, 1.5 kilos, 3 for 2 and Sourdough Loaf, 400 grams, 20% off"
    )
    assert events == []


def test_a_product_at_a_named_store(shop):
    text = "is the milk on offer at harbour"
    messages, _ = run(
        ActionDeals(),
        tracker(text, "deals", [entity(text, "product", "milk"), entity(text, "store", "harbour")]),
    )
    assert responses(messages) == ["utter_deals_on"]
    assert messages[0]["store"] == "Greenleaf Harbour"
    assert messages[0]["offers"] == "Semi-Skimmed Milk, 1 litre, £0.95 for members"


def test_no_offer_on_what_was_named(shop):
    text = "any deals on eggs"
    messages, _ = run(ActionDeals(), tracker(text, "deals", [entity(text, "product", "eggs")]))
    assert responses(messages) == ["utter_no_deals_on"]
    assert (messages[0]["product"], messages[0]["store"]) == ("eggs", "Greenleaf Riverside")


def test_an_unknown_store_is_said_back_not_replaced(shop):
    text = "what's on offer at the moon store"
    messages, _ = run(ActionDeals(), tracker(text, "deals", [entity(text, "store", "moon")]))
    assert responses(messages) == ["utter_store_unknown_named"]
    assert "deals" not in shop.calls


def added(shop, text: str, product: str, slots: dict | None = None):
    return run(
        ActionAddToBasket(),
        tracker(text, "add_to_basket", [entity(text, "product", product)], slots=slots),
    )


def test_a_deal_not_used_is_said_once_and_a_yes_adds_the_rest(shop):
    messages, events = added(shop, "add flour", "flour")
    assert responses(messages) == ["utter_added_items", "utter_basket_total", "utter_deal_hint"]
    assert (messages[2]["deal"], messages[2]["more"]) == ("3 for 2", 2)
    slots = slots_set(events)
    assert (slots["pending"], slots["deal_hints_said"]) == ("deal_hint", ["PAN-1"])
    messages, _ = run(ActionAffirm(), tracker("yes please", "affirm", slots=slots))
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]
    assert shop.basket_lines == {"PAN-1": 3}
    assert messages[1]["total"] == "£1.90"  # 3 x £0.95, one free


def test_anything_but_a_yes_adds_nothing_and_it_is_never_said_again(shop):
    messages, events = added(shop, "add flour", "flour")
    slots = slots_set(events)
    messages, events = run(ActionDeny(), tracker("no thanks", "deny", slots=slots))
    assert responses(messages) == ["utter_deal_hint_declined"]
    assert shop.basket_lines == {"PAN-1": 1}
    slots = {**slots, **slots_set(events)}
    messages, events = added(shop, "add another flour", "flour", slots)
    assert "utter_deal_hint" not in responses(messages), "once per product per conversation"
    assert shop.basket_lines == {"PAN-1": 2}


def test_a_new_request_leaves_the_hint_with_nothing_added(shop):
    _, events = added(shop, "add flour", "flour")
    messages, events = added(shop, "add milk", "milk", slots_set(events))
    assert shop.basket_lines["PAN-1"] == 1
    assert "utter_deal_hint" not in responses(messages)


def test_no_hint_when_the_deal_is_used_or_hints_are_off(shop):
    shop.basket_lines = {"PAN-1": 2}
    messages, _ = added(shop, "add flour", "flour")  # the third: the deal is used
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]
    messages, _ = added(shop, "add eggs", "eggs")
    assert "utter_deal_hint" not in responses(messages), "eggs have no deal"
    shop.basket_lines = {}
    shop.hints = False  # the one setting (GET /v1/me/settings), as goes-with reads it
    messages, _ = added(shop, "add flour", "flour")
    assert responses(messages) == ["utter_added_items", "utter_basket_total"]
    assert "settings" in shop.calls, "the customer's setting was read"


def test_the_read_back_says_the_savings_before_the_question(shop):
    shop.basket_lines = {"PAN-1": 3, "BAK-2": 1}
    shop.book(2)
    messages, _ = run(ActionCheckout(), tracker("check out", "checkout"))
    assert responses(messages) == ["utter_quote_savings", "utter_quote_readback"]
    # flour 3 x 95p, one free: 95p; sourdough £2.20, 20% off: 44p
    assert messages[0]["saving"] == "£1.39"
    assert messages[0]["deals"] == "Plain Flour, 3 for 2 and Sourdough Loaf, 20% off"
    assert messages[1]["total"] == "£3.66"  # £5.05 - £1.39
