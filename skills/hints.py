"""Hints by voice: "stop suggesting things" / "no more offers" turn off what is offered after
an add (a deal the customer is not using, ``skills/deals.py``; what goes with it,
``skills/goes_with.py``); "turn suggestions back on" turns it on again.

Both read the customer's one setting, ``hints`` of ``GET /v1/me/settings``; these actions
change it (``PATCH /v1/me/settings``), so it holds across conversations, kiosks and channels.
"""

from __future__ import annotations

from typing import Any

from skills.base import AtPrompt, SkillAction, Turn


class SetHints(SkillAction):
    """Sets the customer's ``hints`` to ``hints`` and says ``said``."""

    hints: bool
    said: str
    at_prompt = AtPrompt.LEAVE  # a new request: an open offer is dropped

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        turn.client.change_settings(hints=self.hints)
        turn.say(self.said)
        return []


class ActionHintsOff(SetHints):
    """ "Stop suggesting things": no deal or goes-with offer after an add from now on."""

    action_name = "action_hints_off"
    hints = False
    said = "utter_hints_off"


class ActionHintsOn(SetHints):
    """ "Turn suggestions back on": offers after an add again."""

    action_name = "action_hints_on"
    hints = True
    said = "utter_hints_on"
