"""Store opening hours: "when does Riverside close?" — the example skill of the README guide.

The store is the one named (by the NLU, or by its name among the words: "river side"), else
the conversation's. "Is it open now?" is answered as open or closed at this moment in the
store's own time zone, with when it closes or next opens.

Holidays and special hours (the store's ``special_hours`` ahead: Christmas Eve closing early,
Boxing Day's short hours, closed on Christmas Day) replace the weekly hours on their dates,
whether the day is asked by name ("is riverside open on christmas day", "what are the hours on
boxing day") or as a weekday, today, tomorrow or now.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from skills import speech
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


def special_on(store: Mapping[str, Any], day: date) -> Mapping[str, Any] | None:
    """The store's special hours on ``day`` (a holiday's), if it has any."""
    found = (s for s in store.get("special_hours") or [] if s["date"] == day.isoformat())
    return next(found, None)


def hours_on(store: Mapping[str, Any], day: date) -> list[str] | None:
    """["opens", "closes"] on ``day``: special hours first, then the weekly ones; None closed."""
    if holiday_on(store, day):
        return None
    special = special_on(store, day)
    if special is not None:
        return [special["opens"], special["closes"]] if special["opens"] else None
    hours = store["opening_hours"].get(WEEKDAYS[day.weekday()])
    return list(hours) if hours else None


# Holidays as said, and the name the store's special hours give them.
HOLIDAYS = (
    (re.compile(r"\b(christmas|xmas) eve\b"), "Christmas Eve"),
    (re.compile(r"\bboxing day\b"), "Boxing Day"),
    (re.compile(r"\bnew year'?s? eve\b"), "New Year's Eve"),
    (re.compile(r"\bnew year'?s?( day)?\b"), "New Year's Day"),
    (re.compile(r"\beaster monday\b"), "Easter Monday"),
    (re.compile(r"\beaster( sunday| day)?\b"), "Easter Sunday"),
    (re.compile(r"\b(christmas|xmas)( day)?\b"), "Christmas Day"),
)


SPECIAL = re.compile(r"\b(holiday|holidays|special hours|festive)\b")
SPECIAL_SPOKEN = 4  # special days said, soonest first


def special_days(turn: Turn, store: Mapping[str, Any]) -> None:
    """ "Holiday opening hours": the store's next special days, soonest first."""
    days = (store.get("special_hours") or [])[:SPECIAL_SPOKEN]
    if not days:
        turn.say("utter_no_special_hours", store=store["name"])
        return
    spoken = [
        f"{d['name']} {clock(d['opens'])} to {clock(d['closes'])}"
        if d["opens"]
        else f"{d['name']} closed"
        for d in days
    ]
    turn.say("utter_store_special_hours", store=store["name"], days=speech.join_and(spoken))


def holiday_said(text: str) -> str | None:
    """The holiday the words name ("on christmas day", "boxing day"), if any."""
    return next((name for pattern, name in HOLIDAYS if pattern.search(text)), None)


def holiday_hours(turn: Turn, store: Mapping[str, Any], holiday: str) -> None:
    """The store's hours on ``holiday``: closed, special hours, or its usual hours that day."""
    days = [*(store.get("special_hours") or []), *(store.get("closed_dates") or [])]
    day = next((d["date"] for d in days if d["name"] == holiday), None)
    if day is None:
        turn.say("utter_holiday_hours_unknown", store=store["name"], holiday=holiday)
        return
    hours = hours_on(store, date.fromisoformat(day))
    if hours is None:
        turn.say("utter_store_closed_for_holiday", store=store["name"], holiday=holiday)
        return
    turn.say(
        "utter_store_holiday_hours",
        store=store["name"],
        holiday=holiday,
        opens=clock(hours[0]),
        closes=clock(hours[1]),
    )


def open_now(turn: Turn, store: Mapping[str, Any]) -> None:
    """Open or closed at this moment in the store's time, and until / from when."""
    now = datetime.now(ZoneInfo(store["timezone"]))
    today = hours_on(store, now.date())
    if today and time.fromisoformat(today[0]) <= now.time() < time.fromisoformat(today[1]):
        turn.say("utter_store_open_now", store=store["name"], closes=clock(today[1]))
        return
    for ahead in range(8):
        day = now + timedelta(days=ahead)
        opening = hours_on(store, day.date())
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
        holiday = holiday_said(text)
        if holiday is not None:
            holiday_hours(turn, store, holiday)
            return []
        if SPECIAL.search(text):
            special_days(turn, store)
            return []
        day = next((d for d in WEEKDAYS if d in text), None)
        if day is None and "tomorrow" not in text and NOW.search(text):
            open_now(turn, store)
            return []
        today = datetime.now(ZoneInfo(store["timezone"])).weekday()
        if day is None:
            day = WEEKDAYS[(today + 1) % 7] if "tomorrow" in text else WEEKDAYS[today]
        spoken_day = "today" if day == WEEKDAYS[today] and "tomorrow" not in text else day.title()
        if "tomorrow" in text:
            spoken_day = "tomorrow"
        local_today = datetime.now(ZoneInfo(store["timezone"])).date()
        asked = local_today + timedelta(days=(WEEKDAYS.index(day) - today) % 7)
        closed_for = holiday_on(store, asked)
        if closed_for:
            turn.say("utter_store_closed_for_holiday", store=store["name"], holiday=closed_for)
            return []
        special = special_on(store, asked)
        if special is not None:
            holiday_hours(turn, store, special["name"])
            return []
        hours = store["opening_hours"].get(day)
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
