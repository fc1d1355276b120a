"""Store opening hours: "when does Riverside close?" — the example skill of the README guide."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from skills.base import AtPrompt, SkillAction, Turn
from skills.pickup import store_for

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def clock(hhmm: str) -> str:
    """ "07:00" -> "7 am", "21:30" -> "9:30 pm"."""
    moment = datetime.strptime(hhmm, "%H:%M")
    hour = moment.strftime("%I").lstrip("0")
    suffix = moment.strftime("%p").lower()
    return f"{hour}:{moment:%M} {suffix}" if moment.minute else f"{hour} {suffix}"


class ActionStoreHours(SkillAction):
    action_name = "action_store_hours"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        store = store_for(turn)
        if store is None:
            return []
        text = turn.text.lower()
        today = datetime.now(ZoneInfo(store["timezone"])).weekday()
        day = next((d for d in WEEKDAYS if d in text), None)
        if day is None:
            day = WEEKDAYS[(today + 1) % 7] if "tomorrow" in text else WEEKDAYS[today]
        hours = store["opening_hours"].get(day)
        spoken_day = "today" if day == WEEKDAYS[today] and "tomorrow" not in text else day.title()
        if "tomorrow" in text:
            spoken_day = "tomorrow"
        if not hours:
            turn.say("utter_store_closed", store=store["name"], day=spoken_day)
        else:
            turn.say(
                "utter_store_hours",
                store=store["name"],
                day=spoken_day,
                opens=clock(hours[0]),
                closes=clock(hours[1]),
            )
        return []
