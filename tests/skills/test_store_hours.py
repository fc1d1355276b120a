"""Store hours: the example skill of the README's "Adding a skill" guide."""

from __future__ import annotations

import pytest

from skills.store_hours import ActionStoreHours, clock
from tests.skills.conftest import act, entity, responses, run, tracker


def test_clock_is_spoken_simply():
    assert clock("07:00") == "7 am"
    assert clock("21:30") == "9:30 pm"


def test_hours_of_the_named_store_on_a_day(shop):
    text = "when is riverside open on sunday"
    messages, _ = act(ActionStoreHours(), text, "store_hours", ("store", "riverside"))
    assert responses(messages) == ["utter_store_hours"]
    assert messages[0] == {
        **messages[0],
        "store": "Greenleaf Riverside",
        "day": "Sunday",
        "opens": "7 am",
        "closes": "10 pm",
    }


def hours_asked(text: str) -> dict:
    messages, _ = act(ActionStoreHours(), text, "store_hours", ("store", "riverside"))
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
    messages, _ = act(ActionStoreHours(), text, "store_hours", ("store", "moon shop"))
    assert responses(messages) == ["utter_store_unknown_named"]


def test_a_store_name_the_recogniser_split_is_still_that_store(shop):
    """ "river side" is not tagged by the NLU; the words still name Riverside, not home."""
    text = "when does river side shut tonight"
    messages, _ = act(ActionStoreHours(), text, "store_hours", metadata={"store_id": "harbour"})
    assert responses(messages) == ["utter_store_hours"]
    assert (messages[0]["store"], messages[0]["day"]) == ("Greenleaf Riverside", "today")


@pytest.mark.parametrize(
    ("instant", "answer", "values"),
    [
        # 23:44 in Jersey: closed, opens at 8 tomorrow
        ("2027-06-16T23:44:00+01:00", "utter_store_closed_now", {"day": "tomorrow"}),
        # 07:30: closed, opens at 8 today
        ("2027-06-16T07:30:00+01:00", "utter_store_closed_now", {"day": "today"}),
        ("2027-06-16T20:30:00+01:00", "utter_store_open_now", {"closes": "9 pm"}),
        # 20:15 UTC is 21:15 in Jersey in June: closed, though before 9 pm in UTC
        ("2027-06-16T20:15:00+00:00", "utter_store_closed_now", {"opens": "8 am"}),
    ],
)
def test_open_now_is_answered_in_the_stores_time(shop, clock, instant, answer, values):
    clock.move_to(instant)
    text = "is the harbour store open now"
    messages, _ = act(ActionStoreHours(), text, "store_hours", ("store", "harbour"))
    assert responses(messages) == [answer]
    assert messages[0] == {**messages[0], "store": "Greenleaf Harbour", **values}


def test_closed_all_day_today_opens_on_the_next_open_day(shop, clock):
    shop.stores_list[1]["opening_hours"]["wednesday"] = []
    clock.move_to("2027-06-16T12:00:00+01:00")  # a Wednesday
    text = "is harbour open right now"
    messages, _ = act(ActionStoreHours(), text, "store_hours", ("store", "harbour"))
    assert responses(messages) == ["utter_store_closed_now"]
    assert (messages[0]["day"], messages[0]["opens"]) == ("tomorrow", "8 am")


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("is riverside open now", "2027-12-25T11:00:00+00:00"),
        ("when does riverside open today", "2027-12-25T09:00:00+00:00"),
        ("when is riverside open tomorrow", "2027-12-24T11:00:00+00:00"),
    ],
)
def test_a_store_closed_for_christmas_says_so(shop, clock, text, instant):
    shop.stores_list[0]["closed_dates"] = [{"date": "2027-12-25", "name": "Christmas Day"}]
    clock.move_to(instant)
    messages, _ = act(ActionStoreHours(), text, "store_hours", ("store", "riverside"))
    if "now" in text:
        assert responses(messages) == ["utter_store_closed_now"]
        assert messages[0]["day"] == "tomorrow"
    else:
        assert responses(messages) == ["utter_store_closed_for_holiday"]
        assert messages[0]["holiday"] == "Christmas Day"


# --- holidays and special hours (the clock: Wednesday 16 June 2027 unless moved) ------------
CHRISTMAS = [
    {"date": "2027-12-24", "name": "Christmas Eve", "opens": "07:00", "closes": "18:00"},
    {"date": "2027-12-25", "name": "Christmas Day", "opens": None, "closes": None},
    {"date": "2027-12-26", "name": "Boxing Day", "opens": "10:00", "closes": "16:00"},
]


@pytest.fixture
def christmas_week(shop, clock):
    clock.move_to("2027-12-20T09:00:00+00:00")  # a Monday
    riverside = shop.stores_list[0]
    riverside["special_hours"] = CHRISTMAS
    riverside["closed_dates"] = [{"date": "2027-12-25", "name": "Christmas Day"}]
    return shop


def said(text: str) -> list[dict]:
    messages, events = run(
        ActionStoreHours(), tracker(text, "store_hours", [entity(text, "store", "riverside")])
    )
    assert events == []
    return messages


@pytest.mark.parametrize(
    ("text", "holiday", "opens", "closes"),
    [
        ("is riverside open on christmas eve", "Christmas Eve", "7 am", "6 pm"),
        ("what time does riverside close on xmas eve", "Christmas Eve", "7 am", "6 pm"),
        ("is riverside open on boxing day", "Boxing Day", "10 am", "4 pm"),
        # Friday is Christmas Eve this week: its special hours, named
        ("when does riverside close on friday", "Christmas Eve", "7 am", "6 pm"),
    ],
)
def test_special_hours_on_a_holiday(christmas_week, text, holiday, opens, closes):
    messages = said(text)
    assert responses(messages) == ["utter_store_holiday_hours"]
    assert (messages[0]["holiday"], messages[0]["opens"], messages[0]["closes"]) == (
        holiday,
        opens,
        closes,
    )


@pytest.mark.parametrize(
    "text",
    [
        "is riverside open on christmas day",
        "is riverside open at christmas",
        "riverside saturday hours",
    ],
)
def test_closed_on_christmas_day(christmas_week, text):
    messages = said(text)
    assert responses(messages) == ["utter_store_closed_for_holiday"]
    assert messages[0]["holiday"] == "Christmas Day"


def test_open_now_follows_special_hours(christmas_week, clock):
    clock.move_to("2027-12-24T18:30:00+00:00")  # after Christmas Eve's early closing
    messages = said("is riverside open now")
    assert responses(messages) == ["utter_store_closed_now"]
    # closed on Christmas Day: next open on Boxing Day, at its own hour
    assert (messages[0]["day"], messages[0]["opens"]) == ("Sunday", "10 am")


def test_holiday_hours_listed(christmas_week):
    messages = said("what are riverside's holiday opening hours")
    assert responses(messages) == ["utter_store_special_hours"]
    assert messages[0]["days"] == (
        "Christmas Eve 7 am to 6 pm, Christmas Day closed and Boxing Day 10 am to 4 pm"
    )


def test_a_holiday_too_far_ahead_is_not_guessed(shop):
    messages = said("is riverside open on christmas day")  # asked in June
    assert responses(messages) == ["utter_holiday_hours_unknown"]
    assert messages[0]["holiday"] == "Christmas Day"
