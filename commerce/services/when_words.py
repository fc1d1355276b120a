"""The pieces of a spoken pickup time ("tomorrow at half past four", "saturday morning", "in
two hours"): a time of day, a part of the day, an offset and the words of a date, read apart;
``commerce.services.when`` makes a pickup request of them in the store's time zone."""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import dateparser
from text_to_num import alpha2digit

from commerce.services.common import WEEKDAYS

log = logging.getLogger(__name__)

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
WEEKDAY_RE: Final = re.compile(r"(?:this\s+)?(" + "|".join(WEEKDAYS) + r")")
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


@dataclass
class Said:
    """The pieces of a phrase: a time of day, a part of the day, an offset, a date."""

    clock: tuple[int, int, str | None] | None = None  # hour, minute, "am"/"pm"/"exact"
    part: str | None = None
    this: bool = False  # "this morning", "tonight": today
    offset: timedelta | None = None
    rest: str = ""


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


def split_phrase(phrase: str) -> Said:
    text = _normalise(phrase)
    said = Said()
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


def hour24(hour: int, minute: int, ampm: str | None, part: str | None) -> time:
    if ampm == "am":
        hour = 0 if hour == 12 else hour
    elif ampm == "pm":
        hour = hour if hour == 12 else hour + 12
    elif ampm is None and hour < 12:
        bare_pm = part is None and 1 <= hour <= 7  # "at five": 17:00
        if part in _PM_PARTS or bare_pm or (part == "lunchtime" and hour <= 2):
            hour += 12
    return time(hour, minute)


def parse_date(rest: str, local_now: datetime, zone: str) -> date | None:
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
