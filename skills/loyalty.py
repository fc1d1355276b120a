"""Loyalty, one customer across channels: "how many points do I have" (the balance, what it
is worth and the tier; points come from online orders and in-store purchases alike) and "use
my points" (at the checkout read-back the quote is redone with the points, and read back
with them before the yes; said earlier, the next read-back uses them).

Points are spent only through a quote the customer hears and says yes to
(``skills/checkout.py``); a cancelled order gives them back (the service does).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet

from skills import speech
from skills.base import AtPrompt, SkillAction, Turn
from skills.checkout import read_back


class ActionLoyaltyBalance(SkillAction):
    """The points balance and tier. A question on the side: a yes/no question stays open."""

    action_name = "action_loyalty_balance"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        mine = turn.client.loyalty()
        points = mine["points"]
        turn.say(
            "utter_loyalty_balance",
            points=points,
            noun=speech.noun(points, "point"),
            value=speech.price(mine["value"]),
            tier=mine["tier"],
        )
        if mine["next_tier"]:
            turn.say(
                "utter_loyalty_next_tier",
                points=mine["points_to_next_tier"],
                tier=mine["next_tier"],
            )
        return []


class ActionRedeemPoints(SkillAction):
    """Spend the points at checkout: at the read-back, re-quoted with them at once."""

    action_name = "action_redeem_points"

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        mine = turn.client.loyalty()
        if mine["points"] <= 0:
            turn.say("utter_no_points")
            return []
        if turn.slot("pending") == "order" and turn.slot("quote_id"):
            return [SlotSet("use_points", True), *read_back(turn, use_points=True)]
        turn.say(
            "utter_points_at_checkout",
            points=mine["points"],
            value=speech.price(mine["value"]),
        )
        return [SlotSet("use_points", True)]
