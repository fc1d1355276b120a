"""Store opening hours: "when does Riverside close?" — the example skill of the README guide.

The store is the one named (by the NLU, or by its name among the words: "river side"), else
the conversation's. "Is it open now?" is answered as open or closed at this moment in the
store's own time zone, with when it closes or next opens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from skills.base import AtPrompt, SkillAction, Turn, store_for

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NOW = re.compile(r"\b(now|right now|at the moment|currently|still open|open yet|yet)\b")


def clock(hhmm: str) -> str:
    """ "07:00" -> "7 am", "21:30" -> "9:30 pm"."""
    moment = datetime.strptime(hhmm, "%H:%M")
    hour = moment.strftime("%I").lstrip("0")
    suffix = moment.strftime("%p").lower()
    return f"{hour}:{moment:%M} {suffix}" if moment.minute else f"{hour} {suffix}"


def holiday_on(store: Mapping[str, Any], day: date) -> str | None:
    """The holiday the store is closed for on ``day`` (Christmas Day), if any."""
    found = (c["name"] for c in store.get("closed_dates") or [] if c["date"] == day.isoformat())
    return next(found, None)


def open_now(turn: Turn, store: Mapping[str, Any]) -> None:
    """Open or closed at this moment in the store's time, and until / from when."""
    now = datetime.now(ZoneInfo(store["timezone"]))
    hours = store["opening_hours"]
    today = None if holiday_on(store, now.date()) else hours.get(WEEKDAYS[now.weekday()])
    if today and time.fromisoformat(today[0]) <= now.time() < time.fromisoformat(today[1]):
        turn.say("utter_store_open_now", store=store["name"], closes=clock(today[1]))
        return
    for ahead in range(8):
        day = now + timedelta(days=ahead)
        opening = hours.get(WEEKDAYS[day.weekday()])
        if holiday_on(store, day.date()):
            continue
        if not opening or (ahead == 0 and now.time() >= time.fromisoformat(opening[0])):
            continue
        spoken = {0: "today", 1: "tomorrow"}.get(ahead, WEEKDAYS[day.weekday()].title())
        turn.say("utter_store_closed_now", store=store["name"], day=spoken, opens=clock(opening[0]))
        return
    turn.say("utter_store_closed", store=store["name"], day="this week")


class ActionStoreHours(SkillAction):
    action_name = "action_store_hours"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        store = store_for(turn)
        if store is None:
            return []
        text = turn.text.lower()
        day = next((d for d in WEEKDAYS if d in text), None)
        if day is None and "tomorrow" not in text and NOW.search(text):
            open_now(turn, store)
            return []
        today = datetime.now(ZoneInfo(store["timezone"])).weekday()
        if day is None:
            day = WEEKDAYS[(today + 1) % 7] if "tomorrow" in text else WEEKDAYS[today]
        hours = store["opening_hours"].get(day)
        spoken_day = "today" if day == WEEKDAYS[today] and "tomorrow" not in text else day.title()
        if "tomorrow" in text:
            spoken_day = "tomorrow"
        local_today = datetime.now(ZoneInfo(store["timezone"])).date()
        holiday = holiday_on(store, local_today + timedelta(days=(WEEKDAYS.index(day) - today) % 7))
        if holiday:
            turn.say("utter_store_closed_for_holiday", store=store["name"], holiday=holiday)
            return []
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
