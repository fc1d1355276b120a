"""What every skill shares: the turn's context, the commerce client, and failure handling.

A skill subclasses ``SkillAction``, names itself with ``action_name`` and implements
``handle(turn)``, returning the Rasa events it wants (usually slot changes). ``run`` calls it
on a worker thread (the client blocks) and turns failures into short spoken apologies.

A skill that leaves a question open (slot ``pending``) says, when its module is imported, what
a yes and a no to it do (``on_pending``), and what choosing one of its kind of options does
(``on_chosen``); ``skills.core`` answers yes, no and "the second one" through these tables.
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from skills import client as commerce
from skills import handover
from skills.client import CommerceRefused, CommerceUnavailable, CommerceUncertain
from skills.contract import Commerce, Store
from skills.quantity_words import corrects_quantity
from skills.yesno import Answer, decide

log = logging.getLogger(__name__)

# Refusals from the service that a skill did not handle itself, and what the customer hears.
REFUSALS = {
    "auth-required": "utter_sign_in_needed",
    "auth-invalid": "utter_sign_in_needed",
    "quantity-out-of-range": "utter_quantity_out_of_range",
    "store-not-found": "utter_store_unknown",
    "basket-empty": "utter_basket_empty",
}
# Slots that hold a question waiting for its answer; cleared when the conversation moves on.
PENDING_SLOTS = ("pending", "choices")
# ... and, at the checkout read-back or the PIN prompt, the quote that waits for the yes (and
# what the PIN is for: an order, or erasing the account).
PROMPT_SLOTS = (*PENDING_SLOTS, "quote_id", "pin_required", "pin_tries", "pin_for")

# What a reply asks of a front end, in its custom payload: the next line is a PIN (never shown);
# a kiosk's screen shows Confirm / Cancel, or pickup slots to tap.
EXPECT_PIN = {"expect": "pin"}
SHOW_CONFIRM = {"show": "confirm"}
SHOW_SLOTS = {"show": "slots"}


class AtPrompt:
    """What an action does to a question left open (slot ``pending``), its ``at_prompt``."""

    ANSWER = "answer"  # answers or re-asks it (yes, no, "the second one", the PIN, cancel)
    KEEP = "keep"  # a question on the side ("what's in my basket?"): the question stays open
    LEAVE = "leave"  # a new request: the question is dropped, nothing of it is left half-done


def left_prompt(turn: Turn, at_prompt: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events that close the open question when an action moved on from it.

    Always a way out: a new request leaves any prompt, and the PIN prompt is left by anything
    but its answer (the front end stops expecting a PIN as soon as a reply does not ask for
    one, so the dialogue must not keep waiting for it either)."""
    pending = turn.slot("pending")
    if not pending or at_prompt == AtPrompt.ANSWER:
        return []
    if any(e.get("event") == "slot" and e.get("name") == "pending" for e in events):
        return []  # the action asked a question of its own
    if at_prompt == AtPrompt.KEEP and pending != "pin":
        return []
    return [SlotSet(slot, None) for slot in PROMPT_SLOTS]


Events = list[dict[str, Any]]


class Turn:
    """One customer turn as a skill sees it."""

    def __init__(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> None:
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.domain = domain
        message = tracker.latest_message or {}
        self.text: str = message.get("text") or ""
        self.confidence: float = float((message.get("intent") or {}).get("confidence") or 0.0)
        self.metadata: dict[str, Any] = message.get("metadata") or {}
        # The customer's token (and a PIN ticket) come from the front end directly, never
        # in Rasa's message: a token in the metadata is not a credential (skills.handover).
        self.secrets: dict[str, str] = handover.get(tracker.sender_id)
        self._client: Commerce | None = None
        self._home_store: str | None = None
        # basket lines this turn added or changed (skus): the last is what "make it six" means
        self.touched: list[str] = []

    @property
    def client(self) -> Commerce:
        if self._client is None:
            self._client = commerce.client_for(self.secrets.get("customer_token"))
        return self._client

    def say(
        self, response: str, payload: Mapping[str, Any] | None = None, /, **values: Any
    ) -> None:
        """Say ``response`` (its template filled with ``values``); ``payload``: what it asks
        of the front end (``EXPECT_PIN``, ``SHOW_CONFIRM``, ``SHOW_SLOTS``)."""
        custom = dict(payload) if payload else None  # a copy: the constants stay as they are
        self.dispatcher.utter_message(response=response, json_message=custom, **values)

    def entities(self, name: str) -> list[dict[str, Any]]:
        found = [e for e in self.tracker.latest_message.get("entities", []) if e["entity"] == name]
        return sorted(found, key=lambda e: e.get("start", 0))

    def entity(self, name: str) -> str | None:
        found = self.entities(name)
        return str(found[0]["value"]) if found else None

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def store_id(self) -> str:
        """The store this conversation is about: a kiosk's own, the one named, or home."""
        store = self.metadata.get("store_id") or self.slot("store_id")
        if store:
            return str(store)
        if self._home_store is None:
            self._home_store = str(self.client.me()["home_store_id"])
        return self._home_store


def closed() -> Events:
    """The events that close the question (``pending``) and forget its options."""
    return [SlotSet(slot, None) for slot in PENDING_SLOTS]


@dataclass(frozen=True)
class FollowUp:
    """What a yes and a no do to one pending question, as the skill that asked it says.

    ``yes(turn, choices)`` acts on a clear yes (``choices``: the slot's options; never empty
    when ``needs_choice``: without one a yes has nothing to confirm); without ``yes``, there is
    nothing to confirm. ``any_answer``: ``yes`` answers anything but a clear no (the PIN
    prompt asks for the PIN again). ``no(turn)`` acts on a no; without it, "OK" and the
    question is closed."""

    yes: Callable[[Turn, list[dict[str, Any]]], Events] | None = None
    no: Callable[[Turn], Events] | None = None
    needs_choice: bool = False
    any_answer: bool = False


# pending value -> its follow-ups; option kind -> what choosing one does (turn, pending, chosen)
FOLLOW_UPS: dict[str, FollowUp] = {}
CHOSEN: dict[str, Callable[[Turn, str | None, dict[str, Any]], Events]] = {}
NO_FOLLOW_UP = FollowUp()


def _owner(*handlers: Callable[..., Any] | None) -> str:
    return next((h.__module__ for h in handlers if h is not None), "")


def on_pending(
    pending: str,
    *,
    yes: Callable[[Turn, list[dict[str, Any]]], Events] | None = None,
    no: Callable[[Turn], Events] | None = None,
    needs_choice: bool = False,
    any_answer: bool = False,
) -> None:
    """Register what a yes and a no do to ``pending`` (once per value, by the skill that asks
    it; at the skill module's import, which does nothing else)."""
    follow = FollowUp(yes, no, needs_choice, any_answer)
    known = FOLLOW_UPS.get(pending)
    if known is not None and _owner(known.yes, known.no) != _owner(yes, no):
        raise ValueError(f"the pending question {pending!r} has its follow-ups already")
    FOLLOW_UPS[pending] = follow


def on_chosen(kind: str, chosen: Callable[[Turn, str | None, dict[str, Any]], Events]) -> None:
    """Register what choosing an option of ``kind`` does (``chosen(turn, pending, option)``)."""
    known = CHOSEN.get(kind)
    if known is not None and _owner(known) != _owner(chosen):
        raise ValueError(f"options of kind {kind!r} have their handler already")
    CHOSEN[kind] = chosen


# pending value -> what reads an answer to it in the words, whatever intent the classifier gave
# them ("I changed my mind" at "why are you returning it?" is a reason, not a cancel): the
# events when the words answer it, else None (the action runs as usual)
ANSWER_READERS: dict[str, Callable[[Turn], Events | None]] = {}


def on_answer(pending: str, reader: Callable[[Turn], Events | None]) -> None:
    """Register what reads an answer to ``pending`` in the words (once, by the skill that
    asks it): every action tries it first while that question is open."""
    known = ANSWER_READERS.get(pending)
    if known is not None and _owner(known) != _owner(reader):
        raise ValueError(f"the pending question {pending!r} has its answer reader already")
    ANSWER_READERS[pending] = reader


def read_answer(turn: Turn) -> Events | None:
    """The open question's answer read from the words by its skill, if they are one."""
    reader = ANSWER_READERS.get(turn.slot("pending") or "")
    return reader(turn) if reader is not None else None


# Below this confidence an intent other than an answer is not taken at an open yes/no question.
UNSURE_AT_A_QUESTION = 0.6


def unsure_at_a_yes_or_no(turn: Turn) -> bool:
    """A yes or no is awaited, the words are neither nor a new quantity ("make it one": the
    skills read those themselves), and the classifier is unsure of them."""
    follow = follow_up(turn.slot("pending"))
    return (
        follow.yes is not None
        and not follow.any_answer
        and turn.confidence < UNSURE_AT_A_QUESTION
        and decide(turn.text) == Answer.UNCLEAR
        and not corrects_quantity(turn.text, turn.entity("quantity"))
    )


def follow_up(pending: str | None) -> FollowUp:
    """What a yes and a no do to ``pending`` (nothing registered: the defaults)."""
    return FOLLOW_UPS.get(pending or "", NO_FOLLOW_UP)


def choose(turn: Turn, chosen: dict[str, Any]) -> Events:
    """The customer chose ``chosen`` (by its words, or by a yes to the one offered)."""
    handler = CHOSEN.get(str(chosen.get("kind")))
    if handler is None:
        turn.say("utter_nothing_to_choose")
        return closed()
    return handler(turn, turn.slot("pending"), chosen)


def choose_first(turn: Turn, choices: list[dict[str, Any]]) -> Events:
    """A yes to the option offered: it is chosen (``on_pending``'s ``yes``)."""
    return choose(turn, choices[0])


def compact(text: str) -> str:
    """Letters only, lower case: "River Side" and "riverside" read the same."""
    return re.sub(r"[^a-z]+", "", text.lower())


def store_in_words(text: str, stores: list[Store]) -> Store | None:
    """The one store whose own name the words contain ("when does river side shut"), if any:
    the recogniser splits names the NLU then does not tag."""
    said = compact(text)
    found = [
        store
        for store in stores
        if compact(str(store["store_id"])) in said
        or compact(str(store["name"]).replace("Greenleaf", "")) in said
    ]
    return found[0] if len(found) == 1 else None


def store_for(turn: Turn) -> Store | None:
    """The store this turn is about: the one the customer named, else the conversation's.

    A named store is honoured or questioned, never replaced: a name the service cannot match
    is said back ("I don't know a store called ...") and None returned."""
    named = turn.entity("store")
    if named:
        found = turn.client.stores(q=named)
        if not found:
            turn.say("utter_store_unknown_named", store=named)
            return None
        return found[0]
    mentioned = store_in_words(turn.text, turn.client.stores())
    if mentioned is not None:
        return mentioned
    return turn.client.store(turn.store_id())


class SkillAction(Action, metaclass=ABCMeta):
    """Base of every skill action. Abstract until a subclass names itself (``action_name``)
    and says what it does (``handle``): rasa-sdk's scan registers only those, never a base
    such as this one under the name ""."""

    at_prompt = AtPrompt.LEAVE
    # While a yes or no is awaited, a guess of this action the classifier is unsure of ("12"
    # as book_pickup, "wait" as repeat) is an unclear answer: asked again, nothing done. False
    # for the actions that read an answer's words themselves (yes, no, cancel, a choice, a PIN).
    reasks_when_unsure = True

    @property
    @abstractmethod
    def action_name(self) -> str:
        """The action's name in the domain (``action_...``): a class attribute."""

    def name(self) -> str:
        return self.action_name

    @abstractmethod
    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        """The skill's work for one turn: say replies on ``turn``, return the events."""

    def answer_or_handle(self, turn: Turn) -> list[dict[str, Any]]:
        """The open question's answer when the words are one (``on_answer``), else ``handle``."""
        answered = read_answer(turn)
        return answered if answered is not None else self.handle(turn)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        turn = Turn(dispatcher, tracker, domain)
        if self.reasks_when_unsure and unsure_at_a_yes_or_no(turn):
            dispatcher.utter_message(response="utter_yes_unclear")
            return []
        try:
            events = await asyncio.to_thread(self.answer_or_handle, turn)
            if turn.touched:
                events = [*events, SlotSet("last_sku", turn.touched[-1])]
            return events + left_prompt(turn, self.at_prompt, events)
        except CommerceUncertain as err:  # a write was sent, its answer lost: say so
            log.warning("%s: a change's outcome is unknown (%s)", self.action_name, err)
            dispatcher.utter_message(response="utter_service_uncertain")
        except CommerceUnavailable as err:
            log.warning("%s: commerce service unavailable (%s)", self.action_name, err)
            dispatcher.utter_message(response="utter_service_unavailable")
        except CommerceRefused as err:
            log.info("%s: refused %s", self.action_name, err.code)
            dispatcher.utter_message(response=REFUSALS.get(err.code, "utter_cannot_do_that"))
        return [SlotSet(slot, None) for slot in PENDING_SLOTS]
