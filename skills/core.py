"""Conversation basics: yes, no, "the second one", cancel, repeat.

A yes, a no or a choice answers whatever question is pending (slot ``pending``): what each
does is registered by the skill that asked (``on_pending``, ``on_chosen`` in ``skills.base``).
A yes acts only when its words are one (``skills.yesno.decide``), whatever the intent
classifier made of them; a quantity correction
at the checkout read-back ("make that 1") changes the basket and reads the order back again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

# privacy, recipes, reorder, returns and feedback: imported for what they register (a yes and a no
# to their questions; the answers returns and feedback read in the words)
from skills import feedback, privacy, recipes, reorder, returns, speech  # noqa: F401
from skills.base import AtPrompt, SkillAction, Turn, choose, closed, follow_up
from skills.basket import change_quantity
from skills.checkout import ask_pin_again, cleared
from skills.corrections import correction_for_the_basket, is_correction
from skills.phrases import pick_option
from skills.pickup import WHEN_PROMPTS, ActionBookPickup, ActionReschedulePickup
from skills.yesno import Answer, decide


def time_answer(turn: Turn) -> list[dict[str, Any]] | None:
    """At a "when?" prompt a reply that is no plain yes or no is the time, whatever intent
    the classifier gave it ("noon" reads as deny, "in two hours" as a choice, "half five" as
    nothing at all): checkout must not loop on the question."""
    pending = turn.slot("pending")
    if pending not in WHEN_PROMPTS or decide(turn.text) != Answer.UNCLEAR:
        return None
    action = ActionReschedulePickup() if pending == "reschedule_when" else ActionBookPickup()
    return action.handle(turn)


class ReplyUnlessTime(SkillAction):
    """Say ``reply``, unless the turn answers the time the assistant asked for, or corrects a
    basket line's quantity ("change the eggs to two", "make it six": the classifier was unsure
    of them, the words are not)."""

    at_prompt = AtPrompt.ANSWER
    reasks_when_unsure = False
    reply = ""

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        answered = time_answer(turn)
        if answered is not None:
            return answered
        if correction_for_the_basket(turn):
            return change_quantity(turn)
        turn.say(self.reply_to(turn))
        return []

    def reply_to(self, turn: Turn) -> str:
        return self.reply


class ActionOutOfScope(ReplyUnlessTime):
    """Something the assistant does not do. While a yes or no is awaited it is an unclear
    answer ("4321", "!!!???" at the read-back): the question is asked again and stays open."""

    action_name = "action_out_of_scope"
    reply = "utter_out_of_scope"

    def reply_to(self, turn: Turn) -> str:
        follow = follow_up(turn.slot("pending"))
        if follow.yes is not None and not follow.any_answer:
            return "utter_yes_unclear"
        return self.reply


class ActionRephrase(ReplyUnlessTime):
    """The NLU was unsure: ask to say it another way."""

    action_name = "action_rephrase"
    reply = "utter_please_rephrase"


class ActionChooseOption(SkillAction):
    """ "The second one", "the 2 litre one", "the big one": pick from the last menu."""

    action_name = "action_choose_option"
    at_prompt = AtPrompt.ANSWER
    reasks_when_unsure = False

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        answered = time_answer(turn)  # "in two hours" at "when would you like to pick up?"
        if answered is not None:
            return answered
        if is_correction(turn):
            return change_quantity(turn)  # "make that 1" read as "that one"
        choices = turn.slot("choices") or []
        if not choices:
            turn.say("utter_nothing_to_choose")
            return []
        index = pick_option(
            turn.entity("option") or turn.text,
            [c["label"] for c in choices],
            [float(c.get("size") or 0) for c in choices],
            [float(c.get("price") or 0) for c in choices],
        )
        if index is None:
            turn.say("utter_which_one", options=speech.numbered([c["label"] for c in choices]))
            return []
        return choose(turn, choices[index])


def deny(turn: Turn, pending: str | None) -> list[dict[str, Any]]:
    """A no to the pending question: what its skill says a no does, or "OK" and it is closed."""
    no = follow_up(pending).no
    if no is not None:
        return no(turn)
    turn.say("utter_ok")
    return closed()


class ActionAffirm(SkillAction):
    action_name = "action_affirm"
    at_prompt = AtPrompt.ANSWER
    reasks_when_unsure = False

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        pending = turn.slot("pending")
        choices = turn.slot("choices") or []
        answered = time_answer(turn)  # "3am" read as a yes
        if answered is not None:
            return answered
        if is_correction(turn):
            return change_quantity(turn)  # "make it 5" came out as a yes: it is a correction
        if not pending:
            turn.say("utter_nothing_to_confirm")
            return []
        # A yes acts (buys, books, adds) only when its words are a yes: numbers ("4321"),
        # noise ("!!!???"), hesitation ("wait") can come out of the classifier as affirm.
        answer = decide(turn.text)
        if answer == Answer.NO:
            return deny(turn, pending)
        follow = follow_up(pending)
        if follow.yes is not None and follow.any_answer:  # the PIN is asked for, not a yes
            return follow.yes(turn, choices)
        if answer != Answer.YES:
            turn.say("utter_yes_unclear")
            return []
        if follow.yes is None or (follow.needs_choice and not choices):
            turn.say("utter_nothing_to_confirm")
            return []
        return follow.yes(turn, choices)


class ActionDeny(SkillAction):
    action_name = "action_deny"
    at_prompt = AtPrompt.ANSWER
    reasks_when_unsure = False

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        pending = turn.slot("pending")
        answered = time_answer(turn)  # "noon" read as a no
        if answered is not None:
            return answered
        if is_correction(turn):
            return change_quantity(turn)  # "no, make it four"
        return deny(turn, pending)


class ActionCancel(SkillAction):
    action_name = "action_cancel"
    at_prompt = AtPrompt.ANSWER
    reasks_when_unsure = False

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        turn.say("utter_cancelled")
        return [*cleared(), SlotSet("recipe", None)]


class ActionHelp(SkillAction):
    """What the assistant can do. A side question: a yes/no stays open, the PIN prompt not
    (the front end stops expecting a PIN when a reply does not ask for one)."""

    action_name = "action_help"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        turn.say("utter_help")
        return []


class ActionGreet(SkillAction):
    action_name = "action_greet"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        turn.say("utter_greet")
        return []


class ActionGoodbye(SkillAction):
    """Goodbye leaves whatever was asked: nothing waits for a yes after it."""

    action_name = "action_goodbye"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        turn.say("utter_goodbye")
        return []


class ActionRepeat(SkillAction):
    """Say the last reply again."""

    action_name = "action_repeat"
    at_prompt = AtPrompt.ANSWER

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        if turn.slot("pending") == "pin":
            return ask_pin_again(turn)  # the front end expects a PIN only when asked for one
        if correction_for_the_basket(turn):
            return change_quantity(turn)  # "sorry, six" is no "sorry?"
        said = [
            e.get("text") for e in turn.tracker.events if e.get("event") == "bot" and e.get("text")
        ]
        if said:
            last_turn: list[str] = []
            for event in reversed(turn.tracker.events):
                if event.get("event") == "user":
                    if last_turn:
                        break
                    continue
                if event.get("event") == "bot" and event.get("text"):
                    last_turn.insert(0, event["text"])
            turn.dispatcher.utter_message(text=" ".join(last_turn) or said[-1])
        else:
            turn.say("utter_nothing_to_repeat")
        return []
