"""Store hours: the example skill of the README's "Adding a skill" guide."""

from __future__ import annotations

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


def test_unknown_store(shop):
    text = "when does the moon shop close"
    messages, _ = run(
        ActionStoreHours(), tracker(text, "store_hours", [entity(text, "store", "moon shop")])
    )
    assert responses(messages) == ["utter_store_unknown_named"]
