"""Tell the shop: "the bananas were bad", "the staff at riverside were great".

The customer's own words go to the service (``POST /v1/me/feedback``) with the store they named
and the product, when they bought it (its latest order line); the service files them under a
category and a sentiment, and staff read them (``GET /v1/feedback``). Feedback moves no money,
so it is kept at once and said back in outline. The words may hold personal data: they are
never logged here. "I'd like to make a complaint" says nothing yet: the skill asks what, and
the next words are the feedback — unless they are a no, a cancel or a request of another kind.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import SlotSet

from skills.base import AtPrompt, Events, SkillAction, Turn, closed, on_answer, store_in_words
from skills.contract import Store
from skills.returns import names
from skills.yesno import Answer, decide

MAX_CHARACTERS = 500
ASKED = "feedback_text"  # the pending question: "what would you like to tell the shop?"
# the words of a request to give feedback that say nothing yet ("I'd like to make a complaint")
FRAME = frozenset(
    re.findall(
        r"[a-z]+",
        """i id im ive want wanna would like love to give leave make send post some feedback a an
        complaint complain compliment comment comments suggestion tell the shop store something
        about can could please have got need review rate rating you let me know how do there is
        anyone speak talk manager say thing few words word quick just your feel raise issue
        report problem on with for my experience it""",
    )
)
WAY_OUT = re.compile(r"\b(cancel|stop|never ?mind|forget it|nothing|go back|no thanks)\b")
# at "what would you like to tell the shop?", words the classifier files under these are the
# feedback; under any other, a new request
ANSWER_INTENTS = ("give_feedback", "out_of_scope", "nlu_fallback", "return_item")


def said_nothing(text: str) -> bool:
    """A frame with nothing in it: "I'd like to leave some feedback"."""
    words = re.findall(r"[a-z']+", text.lower())
    return all(w.replace("'", "") in FRAME for w in words)


def store_named(turn: Turn) -> Store | None:
    """The store the customer named, if any (never the conversation's by default)."""
    named = turn.entity("store")
    if named:
        found = turn.client.stores(q=named)
        return found[0] if found else None
    return store_in_words(turn.text, turn.client.stores())


def sku_named(turn: Turn) -> tuple[str | None, str | None]:
    """(sku, name) of the product named, when the customer has bought it."""
    product = " ".join(e["value"] for e in turn.entities("product"))
    if not product:
        return None, None
    bought = turn.client.purchases(q=product, limit=3)
    found = next((p for p in bought if names(product, p["name"])), None)
    return (found["sku"], found["name"]) if found else (None, None)


def keep(turn: Turn) -> Events:
    """Pass the customer's words on to the shop and say what they were filed against."""
    store = store_named(turn)
    sku, product = sku_named(turn)
    said = turn.text[:MAX_CHARACTERS]  # the service keeps 500 characters at most
    given = turn.client.tell_the_shop(said, store["store_id"] if store else None, sku)
    about = f" about {product}" if product else f" at {store['name']}" if store else ""
    sorry = given["sentiment"] == "negative"
    turn.say("utter_feedback_sorry" if sorry else "utter_feedback_thanks", about=about)
    return closed()


def feedback_answer(turn: Turn) -> Events | None:
    """The answer to "what would you like to tell the shop?", when the words are one."""
    intent = (turn.tracker.latest_message.get("intent") or {}).get("name")
    unsure = turn.confidence < 0.6
    if decide(turn.text) != Answer.UNCLEAR or WAY_OUT.search(turn.text.lower()):
        return None
    if intent not in ANSWER_INTENTS and not unsure:
        return None
    if said_nothing(turn.text):
        return None
    return keep(turn)


class ActionGiveFeedback(SkillAction):
    """Keeps what the customer tells the shop; asks what, when they said nothing yet."""

    action_name = "action_give_feedback"
    at_prompt = AtPrompt.LEAVE

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if said_nothing(turn.text):
            turn.say("utter_ask_feedback")
            return [SlotSet("pending", ASKED), SlotSet("choices", None)]
        return keep(turn)


on_answer(ASKED, feedback_answer)
