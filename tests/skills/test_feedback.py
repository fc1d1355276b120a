"""Tell the shop: the actions against the in-memory twin (skills/twin.py, the ``shop``
fixture).

Alone, in Rasa's environment and then the project validator:
`.venv/bin/python run_assistant.py test-skill feedback`.
"""

from __future__ import annotations

from skills.basket import ActionViewBasket
from skills.core import ActionCancel, ActionOutOfScope
from skills.feedback import ActionGiveFeedback
from tests.skills.conftest import entity, responses, run, slots_set, tracker


def test_feedback_about_a_product_bought_is_kept_against_it(shop):
    shop.add_collected_order({"PRO-1": 6})
    text = "the bananas were bad"
    messages, events = run(
        ActionGiveFeedback(), tracker(text, "give_feedback", [entity(text, "product", "bananas")])
    )
    assert responses(messages) == ["utter_feedback_sorry"]
    assert messages[0]["about"] == " about Bananas"
    kept = shop.feedback_given
    assert [(f["text"], f["sku"], f["store_id"]) for f in kept] == [(text, "PRO-1", None)]
    assert slots_set(events)["pending"] is None


def test_feedback_about_a_store_names_it(shop):
    text = "the staff at riverside were great"
    messages, _ = run(
        ActionGiveFeedback(), tracker(text, "give_feedback", [entity(text, "store", "riverside")])
    )
    assert responses(messages) == ["utter_feedback_thanks"]
    assert messages[0]["about"] == " at Greenleaf Riverside"
    assert [(f["store_id"], f["sku"]) for f in shop.feedback_given] == [("riverside", None)]


def test_a_complaint_with_no_words_yet_asks_what(shop):
    messages, events = run(
        ActionGiveFeedback(), tracker("I'd like to make a complaint", "give_feedback")
    )
    assert responses(messages) == ["utter_ask_feedback"]
    slots = slots_set(events)
    assert slots["pending"] == "feedback_text"
    assert shop.feedback_given == []
    # a new request leaves the question; nothing is kept
    messages, _ = run(ActionViewBasket(), tracker("what's in my basket", "view_basket",
                                                  slots=slots))  # fmt: skip
    assert shop.feedback_given == []
    messages, _ = run(ActionCancel(), tracker("never mind", "cancel", slots=slots))
    assert responses(messages) == ["utter_cancelled"]
    assert shop.feedback_given == []
    # the answer, whatever the classifier made of it
    said = "the queue at the pickup desk was far too long"
    messages, after = run(ActionOutOfScope(), tracker(said, "out_of_scope", slots=slots))
    assert responses(messages) == ["utter_feedback_sorry"]
    assert [f["text"] for f in shop.feedback_given] == [said]
    assert slots_set(after)["pending"] is None
