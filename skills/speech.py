"""Turn service data into short phrases that sound right when spoken."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
PINT_ML = 568.26125  # the imperial pint, as commerce/text.py (PINT_ML) and pint define it


def join_and(parts: Iterable[str]) -> str:
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def price(amount: float) -> str:
    return f"£{amount:.2f}"


def size(value: float, unit: str) -> str:
    """2 L -> "2 litres", 568 ml -> "1 pint", 12 each -> "pack of 12", 1 each -> ""."""
    if unit == "each":
        return "" if value == 1 else f"pack of {value:g}"
    if unit == "ml":
        pints = value / PINT_ML
        if value >= 500 and abs(pints - round(pints)) < 0.01:
            count = round(pints)
            return f"{count} pint" + ("s" if count > 1 else "")
        return f"{value:g} ml"
    if unit == "L":
        return f"{value:g} litre" + ("" if value == 1 else "s")
    if unit == "kg":
        return f"{value:g} kilo" + ("" if value == 1 else "s")
    if unit == "g":
        return f"{value:g} grams"
    return f"{value:g} {unit}"


def product(item: Mapping[str, Any], packs: int | None = None) -> str:
    """ "2 Whole Milk, 2 litres" or "Whole Milk, 2 litres"."""
    described = item["name"]
    pack = size(item["size"], item["unit"])
    if pack:
        described += f", {pack}"
    return f"{packs} {described}" if packs else described


def numbered(options: list[str]) -> str:
    """ "one, X; two, Y; or three, Z" — a short spoken menu."""
    spoken = [f"{NUMBER_WORDS[i]}, {text}" for i, text in enumerate(options)]
    if len(spoken) > 1:
        spoken[-1] = "or " + spoken[-1]
    return "; ".join(spoken)


def when(iso: str | None, now: datetime | None = None) -> str:
    """A slot start in the store's own time: "today at 5:30 pm", "Saturday 28 November at 9 am"
    ("" for no time)."""
    if iso is None:
        return ""
    moment = datetime.fromisoformat(iso)
    now = (now or datetime.now(timezone.utc)).astimezone(moment.tzinfo)
    days = (moment.date() - now.date()).days
    hour = moment.strftime("%I").lstrip("0")
    clock = (
        f"{hour}:{moment:%M} {moment:%p}".lower()
        if moment.minute
        else f"{hour} {moment:%p}".lower()
    )
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif 1 < days < 7:
        day = moment.strftime("%A")
    else:
        day = f"{moment:%A} {moment.day} {moment:%B}"
    return f"{day} at {clock}"


def times(count: int) -> str:
    """1 -> "once", 2 -> "twice", 5 -> "5 times"."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def day(iso: str) -> str:
    """An ISO date-time as a spoken date: "3 November 2026"."""
    moment = datetime.fromisoformat(iso)
    return f"{moment.day} {moment:%B %Y}"


def noun(number: int, word: str) -> str:
    """The noun for a count: 1, "item" -> "item"; 3, "item" -> "items" ("That's 1 item")."""
    return word if number == 1 else word + "s"


KM_PER_MILE = 1.609344


def distance(km: float) -> str:
    """A distance as said in Britain: 1.93 km -> "1.2 miles", 0.5 -> "0.3 miles", 410 -> "255
    miles"."""
    miles = km / KM_PER_MILE
    if miles >= 10:
        return f"{round(miles)} miles"
    spoken = f"{miles:.1f}"
    return f"{spoken} mile" if spoken == "1.0" else f"{spoken} miles"


UNIT_WORDS = {"litre": "a litre", "kg": "a kilo", "item": "each", "100g": "per 100 grams"}


def per_unit(amount: float, per: str) -> str:
    """A shelf label's unit price: (1.65, "litre") -> "£1.65 a litre", (0.23, "item") ->
    "£0.23 each"."""
    return f"{price(amount)} {UNIT_WORDS.get(per, 'per ' + per)}"
