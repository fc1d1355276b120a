"""Store hours: the example skill of the README's "Adding a skill" guide."""

from __future__ import annotations

import pytest

from skills.store_hours import ActionStoreHours, clock
from tests.skills.conftest import entity, responses, run, tracker


def test_clock_is_spoken_simply():
    assert clock("07:00") == "7 am"
    assert clock("21:30") == "9:30 pm"


def test_hours_of_the_named_store_on_a_day(shop):
    text = "when is riverside open on sunday"
    messages, _ = run(
        ActionStoreHours(), tracker(text, "store_hours", [entity(text, "store", "riverside")])
    )
    assert responses(messages) == ["utter_store_hours"]
    assert messages[0] == {
        **messages[0],
        "store": "Greenleaf Riverside",
        "day": "Sunday",
        "opens": "7 am",
        "closes": "10 pm",
    }


def hours_asked(text: str) -> dict:
    messages, _ = run(
        ActionStoreHours(), tracker(text, "store_hours", [entity(text, "store", "riverside")])
    )
    assert responses(messages) == ["utter_store_hours"]
    return messages[0]


@pytest.mark.parametrize(
    ("instant", "text", "day", "opens"),
    [
        # asked on the Sunday itself, the day is today (and Sunday's own hours)
        ("2027-06-20T12:00:00+01:00", "when is riverside open on sunday", "today", "10 am"),
        # 23:30 UTC on Saturday is already Sunday in the store's time zone
        ("2027-06-19T23:30:00+00:00", "when is riverside open today", "today", "10 am"),
        ("2027-06-19T23:44:00+01:00", "is riverside open tomorrow", "tomorrow", "10 am"),
        ("2027-06-20T00:15:00+01:00", "when is riverside open on monday", "Monday", "7 am"),
        # a month's end: tomorrow is the 1st, a Thursday
        ("2027-06-30T23:44:00+01:00", "when does riverside open tomorrow", "tomorrow", "7 am"),
    ],
)
def test_hours_at_any_instant_in_the_stores_time(shop, clock, instant, text, day, opens):
    shop.stores_list[0]["opening_hours"]["sunday"] = ["10:00", "16:00"]
    clock.move_to(instant)
    said = hours_asked(text)
    assert (said["day"], said["opens"]) == (day, opens)


def test_unknown_store(shop):
    text = "when does the moon shop close"
    messages, _ = run(
        ActionStoreHours(), tracker(text, "store_hours", [entity(text, "store", "moon shop")])
    )
    assert responses(messages) == ["utter_store_unknown_named"]
