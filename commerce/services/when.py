"""When a customer wants to pick up, read from what they said, in the store's time zone.

``interpret`` turns a phrase such as "tomorrow at five", "saturday morning", "next tuesday at 10",
"at half past four" or "in two hours" into a :class:`PickupRequest`: an exact local time, or a
window (morning 08-12, lunchtime 12-14, afternoon 12-17, evening 17-closing, or a whole open
day). Times of day, parts of the day and "in N hours" are read here; the date that is left
("tomorrow", "saturday", "next tuesday", "3rd of december") is read by dateparser relative to
the store's local now, preferring dates to come. ISO dates and date-times are taken as they
are. A bare hour from 1 to 7 means the afternoon ("at five" is 17:00: nobody picks up
groceries at 5 am). "The day after tomorrow" and fixed-date holidays ("christmas day",
"boxing day", "new year's eve") are dates too. A time said without a date that has already
gone today means tomorrow; with "today" it is refused (``date-in-past``).
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import dateparser
from sqlalchemy import select
from text_to_num import alpha2digit

from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import PickupSlot, Store
from commerce.services.common import WEEKDAYS, get_store
from commerce.services.pickups import (
    MAX_DAYS_AHEAD,
    NEAREST_FREE,
    check_day,
    ensure_slots,
    has_slots,
    local_today,
    slot_dict,
)

__all__ = ["PARTS_OF_DAY", "PickupRequest", "find_slot", "interpret"]

log = logging.getLogger(__name__)

# Parts of the day as local (start, end); None as the end means the store's closing time.
PARTS_OF_DAY: Final[dict[str, tuple[time, time | None]]] = {
    "morning": (time(8), time(12)),
    "lunchtime": (time(12), time(14)),
    "afternoon": (time(12), time(17)),
    "evening": (time(17), None),
}
_PART_WORDS: Final = {
    "morning": "morning",
    "lunchtime": "lunchtime",
    "lunch time": "lunchtime",
    "lunch": "lunchtime",
    "afternoon": "afternoon",
    "evening": "evening",
    "night": "evening",
    "tonight": "evening",
}
_PM_PARTS: Final = frozenset(("afternoon", "evening"))
MAX_PHRASE = 200

_PART_RE: Final = re.compile(
    r"\b(?:(?P<this>this)\s+|(?:in|at|during)\s+the\s+|at\s+|for\s+)?"
    r"(?P<part>tonight|morning|lunch\s*time|lunch|afternoon|evening|night)\b"
)
_RELATIVE_RE: Final = re.compile(
    r"\bin\s+(?:(?P<n>\d+(?:\.\d+)?)|(?P<half>half\s+an?)|an?)\s+"
    r"(?P<unit>hours?|hrs?|minutes?|mins?)\b(?P<more>\s+and\s+a\s+half)?"
)
_LEAD: Final = r"(?:\b(?:at|around|about|for|by|from|after)\s+)?"
# (kind, pattern) of the ways to say a time of day, most specific first
_CLOCK_RES: Final = (
    # "half past 4", "quarter to 5", "20 past 3"
    (
        "past",
        re.compile(
            _LEAD
            + r"\b(?:a\s+)?(?P<min>half|quarter|\d{1,2})\s+(?P<dir>past|to)\s+(?P<h>\d{1,2})\b"
        ),
    ),
    # "12 noon", "midday", "midnight"
    ("word", re.compile(_LEAD + r"\b(?:12\s+)?(?P<word>noon|midday|midnight)\b")),
    # "half 4" (British for 4:30)
    ("half", re.compile(_LEAD + r"\bhalf\s+(?P<h>\d{1,2})\b(?!\s*(?:hours?|minutes?))")),
    # "5pm", "5:30 pm", "5 30 pm", "5.30am"
    ("clock", re.compile(_LEAD + r"\b(?P<h>\d{1,2})(?:[:.\s](?P<m>\d{2}))?\s*(?P<ampm>am|pm)\b")),
    # "5 oclock"
    ("clock", re.compile(_LEAD + r"\b(?P<h>\d{1,2})\s*oclock\b")),
    # "5:30", "17.45"
    ("clock", re.compile(_LEAD + r"\b(?P<h>\d{1,2})[:.](?P<m>\d{2})\b")),
    # "at 5", "at 5 30"
    (
        "clock",
        re.compile(
            r"\b(?:at|around|about)\s+(?P<h>\d{1,2})(?:\s+(?P<m>\d{2}))?\b(?!\s*(?:st|nd|rd|th)\b)"
        ),
    ),
    # "at 1700"
    ("hhmm", re.compile(r"\b(?:at|around|about)\s+(?P<h>\d{3,4})\b")),
)
_FILLER: Final = frozenset(
    (
        "on", "at", "in", "the", "for", "please", "pickup", "pick", "up", "collect",
        "collection", "around", "about", "ish", "sometime", "some", "time", "a", "slot", "any",
        "i", "id", "want", "would", "like", "to", "can", "could", "do", "you", "have", "is",
        "there", "free", "by", "from", "after", "and", "or", "maybe", "how", "what",
        "lets", "say", "um", "uh", "er", "erm", "it", "be",
    )
)  # fmt: skip
_DAY_OF_MONTH_RE: Final = re.compile(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)")
_MONTH_RE: Final = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b")
_BARE_HOUR_RE: Final = re.compile(r"(?<![\d:.])\b(?P<h>\d{1,2})\b(?![\d:.])")
_WEEKDAY_RE: Final = re.compile(r"(?:this\s+)?(" + "|".join(WEEKDAYS) + r")")
# Dates said with words the filler list would take apart ("after"), kept whole for dateparser.
_KEPT_DATE_RE: Final = re.compile(r"\b(?:the\s+)?day\s+after\s+tomorrow\b")
# Fixed-date holidays dateparser does not know, as the dates it does.
_HOLIDAYS: Final = {
    r"christmas\s+eve": "24 december",
    r"(?:christmas|xmas)(?:\s+day)?": "25 december",
    r"boxing\s+day": "26 december",
    r"new\s+year\s*s?\s+eve": "31 december",
    r"new\s+year\s*s?(?:\s+day)?": "1 january",
}
_HOLIDAY_RE: Final = re.compile(
    r"\b(?:" + "|".join(f"(?P<h{i}>{p})" for i, p in enumerate(_HOLIDAYS)) + r")\b"
)


@dataclass(frozen=True)
class PickupRequest:
    """What was asked for: an exact local ``start``, or only a window; times are aware."""

    when: str
    day: date
    start: datetime | None
    window_start: datetime
    window_end: datetime


@dataclass
class _Said:
    """The pieces of a phrase: a time of day, a part of the day, an offset, a date."""

    clock: tuple[int, int, str | None] | None = None  # hour, minute, "am"/"pm"/"exact"
    part: str | None = None
    this: bool = False  # "this morning", "tonight": today
    offset: timedelta | None = None
    rest: str = ""


def not_understood(when: str) -> CommerceError:
    return CommerceError(
        "when-not-understood",
        f"Could not tell when {when[:MAX_PHRASE]!r} is; try 'tomorrow at five'.",
        400,
        {"when": when[:MAX_PHRASE]},
    )


def _normalise(phrase: str) -> str:
    text = phrase.casefold()[:MAX_PHRASE]
    text = re.sub(r"\b([ap])\s?\.\s?m\b\.?", r"\1m", text)
    text = re.sub(r"o['’]?\s?clock", "oclock", text)
    with contextlib.suppress(Exception):  # text2num is native code; keep the words if it fails
        text = alpha2digit(text, "en", threshold=0)
    text = re.sub(r"[^a-z0-9:.\s]+", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    dates = list(_HOLIDAYS.values())
    text = _HOLIDAY_RE.sub(lambda m: dates[int(str(m.lastgroup)[1:])], text)
    return " ".join(text.split())


def _cut(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _read_clock(kind: str, match: re.Match[str]) -> tuple[int, int, str | None] | None:
    """(hour, minute, "am" / "pm" / "exact" / None) of a time of day, None if it is no time."""
    if kind == "word":
        return (0, 0, "exact") if match["word"] == "midnight" else (12, 0, "exact")
    hour = int(match["h"])
    if kind == "hhmm":
        hour, minute = divmod(hour, 100)
        return (hour, minute, "exact") if hour <= 23 and minute <= 59 else None
    if kind == "half":
        return (hour, 30, None) if 1 <= hour <= 12 else None
    if kind == "past":
        minute = {"half": 30, "quarter": 15}.get(match["min"]) or int(match["min"])
        if not 0 < minute < 60 or not 1 <= hour <= 12:
            return None
        if match["dir"] == "to":
            hour, minute = (hour - 1) % 12 or 12, 60 - minute
        return hour, minute, None
    minute = int(match["m"] or 0) if "m" in match.groupdict() else 0
    ampm = match.groupdict().get("ampm")
    if minute > 59 or hour > 23 or (ampm and not 1 <= hour <= 12):
        return None
    return hour, minute, ampm


def _split(phrase: str) -> _Said:
    text = _normalise(phrase)
    said = _Said()
    relative = _RELATIVE_RE.search(text)
    if relative:
        amount = 0.5 if relative["half"] else float(relative["n"] or 1)
        if relative["more"]:
            amount += 0.5
        minutes = amount * (60 if relative["unit"].startswith("h") else 1)
        if minutes > 60 * 24 * 7:
            return said  # "in 900 hours" is not a pickup time
        said.offset = timedelta(minutes=minutes)
        text = _cut(text, relative)
    part = _PART_RE.search(text)
    if part:
        word = " ".join(part["part"].split())
        said.part = _PART_WORDS[word]
        said.this = bool(part["this"]) or word == "tonight"
        text = _cut(text, part)
    for kind, pattern in _CLOCK_RES:
        clock = pattern.search(text)
        if clock:
            said.clock = _read_clock(kind, clock)
            if said.clock is not None:
                text = _cut(text, clock)
                break
    kept = _KEPT_DATE_RE.search(text)
    if kept:
        text = _cut(text, kept)
    said.rest = " ".join(
        [*(w for w in text.split() if w not in _FILLER), *([kept[0]] if kept else [])]
    )
    if said.clock is None and said.rest and not _MONTH_RE.search(said.rest):
        # "tomorrow 5", "saturday 10", "7 in the evening": a lone number beside a day or a
        # part of the day is an hour
        hours = list(_BARE_HOUR_RE.finditer(said.rest))
        alone = len(hours) == 1 and said.rest == hours[0][0] and said.part is None
        if len(hours) == 1 and int(hours[0]["h"]) <= 23 and not alone:
            said.clock = (int(hours[0]["h"]), 0, None)
            said.rest = _cut(said.rest, hours[0])
    return said


def _hour24(hour: int, minute: int, ampm: str | None, part: str | None) -> time:
    if ampm == "am":
        hour = 0 if hour == 12 else hour
    elif ampm == "pm":
        hour = hour if hour == 12 else hour + 12
    elif ampm is None and hour < 12:
        bare_pm = part is None and 1 <= hour <= 7  # "at five": 17:00
        if part in _PM_PARTS or bare_pm or (part == "lunchtime" and hour <= 2):
            hour += 12
    return time(hour, minute)


def _parse_date(rest: str, local_now: datetime, zone: str) -> date | None:
    """The local date ``rest`` names ("tomorrow", "saturday", "3rd of december"), or None."""
    day_of_month = _DAY_OF_MONTH_RE.fullmatch(rest)
    if day_of_month:  # "the 5th": dateparser reads a lone ordinal as a month
        wanted = int(day_of_month[1])
        for months in range(3):
            year = local_now.year + (local_now.month - 1 + months) // 12
            month = (local_now.month - 1 + months) % 12 + 1
            with contextlib.suppress(ValueError):
                candidate = date(year, month, wanted)
                if candidate >= local_now.date():
                    return candidate
        return None
    if not re.search(r"[a-z]", rest):
        return None
    try:
        parsed = dateparser.parse(
            rest,
            languages=["en"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": local_now.replace(tzinfo=None),
                "TIMEZONE": zone,
                "RETURN_AS_TIMEZONE_AWARE": True,
            },
        )
    except Exception:  # dateparser must not turn a strange phrase into a 500
        log.debug("dateparser failed on %r", rest, exc_info=True)
        return None
    return None if parsed is None else parsed.astimezone(ZoneInfo(zone)).date()


def open_hours(store: Store, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    hours = store.opening_hours.get(WEEKDAYS[day.weekday()])
    if not hours:
        return None
    return (
        datetime.combine(day, time.fromisoformat(hours[0]), zone),
        datetime.combine(day, time.fromisoformat(hours[1]), zone),
    )


def _window(store: Store, day: date, part: str | None, zone: ZoneInfo) -> tuple[datetime, datetime]:
    hours = open_hours(store, day, zone)
    if part is None:
        if hours is None:  # closed all day: the whole day, which has no slots
            start = datetime.combine(day, time(0), zone)
            return start, start + timedelta(days=1)
        return hours
    begin, end = PARTS_OF_DAY[part]
    start = datetime.combine(day, begin, zone)
    if end is not None:
        return start, datetime.combine(day, end, zone)
    closes = hours[1] if hours else start
    return start, max(start, closes)


def _from_iso(when: str, zone: ZoneInfo) -> date | datetime | None:
    """An ISO date or date-time ("2027-06-17", "2027-06-17T17:00:00+01:00") in store time."""
    text = when.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]+)?", text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) == 10:
        return moment.date()
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def interpret(when: str, store: Store, now: datetime | None = None) -> PickupRequest:
    """Read ``when`` in ``store``'s time zone relative to ``now``.

    Raises ``when-not-understood`` (400) for a phrase that names no time, ``date-in-past`` or
    ``date-out-of-range`` (400, see :func:`commerce.services.pickups.check_day`).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    zone = ZoneInfo(store.timezone)
    local_now = now.astimezone(zone)
    slot_length = timedelta(minutes=store.slot_minutes)
    exact = _from_iso(when, zone)  # what a date picker or an entity extractor sends
    if isinstance(exact, datetime):
        check_day(store, exact.date(), now)
        if exact <= now:
            raise CommerceError("date-in-past", f"{when} has already gone.", 400)
        return PickupRequest(when, exact.date(), exact, exact, exact + slot_length)
    if isinstance(exact, date):
        check_day(store, exact, now)
        return PickupRequest(when, exact, None, *_window(store, exact, None, zone))
    said = _split(when)

    if said.offset is not None:
        if said.clock is not None or said.part is not None or said.rest:
            raise not_understood(when)
        start = (now + said.offset).astimezone(zone)
        check_day(store, start.date(), now)
        return PickupRequest(when, start.date(), start, start, start + slot_length)

    today = local_now.date()
    day = today
    roll: timedelta | None = timedelta(days=1)  # how far to move a time that has gone
    if said.rest:
        weekday = _WEEKDAY_RE.fullmatch(said.rest)
        parsed = _parse_date(said.rest, local_now, store.timezone)
        if parsed is None or (said.this and parsed != today):  # "tonight" is not "sunday"
            raise not_understood(when)
        if weekday and WEEKDAYS.index(weekday[1]) == today.weekday():
            roll = timedelta(days=7)  # "saturday" on a Saturday: today, if it has not gone
        else:
            day, roll = parsed, None
    elif said.clock is None and said.part is None:
        raise not_understood(when)
    if said.this:
        roll = None

    if said.clock is not None:
        hour, minute, ampm = said.clock
        at = _hour24(hour, minute, None if ampm == "exact" else ampm, said.part)
        start = datetime.combine(day, at, zone)
        if start <= local_now and roll is not None:
            day += roll
            start = datetime.combine(day, at, zone)
        check_day(store, day, now)
        if start <= local_now:
            raise CommerceError(
                "date-in-past", f"{start.strftime('%H:%M')} today has already gone.", 400
            )
        return PickupRequest(when, day, start, start, start + slot_length)

    window = _window(store, day, said.part, zone)
    if said.part is not None and window[1] <= local_now and day <= today and roll is not None:
        day += roll
        window = _window(store, day, said.part, zone)
    check_day(store, day, now)
    return PickupRequest(when, day, None, *window)


def _distance(slot: PickupSlot, request: PickupRequest) -> timedelta:
    """How far ``slot`` is from what was asked for: its start from the time, or the window."""
    if request.start is not None:
        return abs(slot.start - request.start)
    if slot.start < request.window_start:
        return request.window_start - slot.start
    if slot.start >= request.window_end:
        return slot.start - request.window_end
    return timedelta(0)


def find_slot(
    db: Database, store_id: str, when: str, now: datetime | None = None
) -> dict[str, Any]:
    """The free pickup slot at ``store_id`` for what the customer said, and the nearest others.

    An exact time gets the free slot starting at (or covering) it, a window its first free
    slot; ``slot`` is None when there is none. ``alternatives`` are the free slots nearest the
    time or window (at most three, within a day of it), for when the slot is full or missing.
    The store's slots for the day (and the days either side) are created first if missing.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with db.session() as session:
        store = get_store(session, store_id)
        request = interpret(when, store, now)
        today = local_today(store, now)
        days = [
            d
            for d in (request.day - timedelta(days=1), request.day, request.day + timedelta(days=1))
            if today <= d <= today + timedelta(days=MAX_DAYS_AHEAD)
        ]
        missing = [d for d in days if not has_slots(session, store, d)]
    if missing:
        with db.session(write=True) as session:
            store = get_store(session, store_id)
            for day in missing:
                ensure_slots(session, store, day)
    zone = ZoneInfo(store.timezone)
    earliest = max(now, datetime.combine(days[0], time(0), zone).astimezone(UTC))
    latest = datetime.combine(days[-1] + timedelta(days=1), time(0), zone).astimezone(UTC)
    with db.session() as session:
        free = list(
            session.scalars(
                select(PickupSlot)
                .where(PickupSlot.store_id == store.id, PickupSlot.booked < PickupSlot.capacity)
                .where(PickupSlot.start > earliest, PickupSlot.start < latest)
                .order_by(PickupSlot.start)
            )
        )
    if request.start is not None:
        at = request.start
        chosen = next((s for s in free if s.start <= at < s.end), None)
    else:
        chosen = next(
            (s for s in free if request.window_start <= s.start < request.window_end), None
        )
    others = sorted(
        (s for s in free if s is not chosen), key=lambda s: (_distance(s, request), s.start)
    )
    return {
        **request_dict(request, zone),
        "slot": slot_dict(chosen, zone) if chosen is not None else None,
        "alternatives": [slot_dict(s, zone) for s in others[:NEAREST_FREE]],
    }


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def request_dict(request: PickupRequest, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "when": request.when,
        "requested_start": iso(request.start, zone),
        "window_start": iso(request.window_start, zone),
        "window_end": iso(request.window_end, zone),
    }
