"""The yes/no decision at a pending confirmation, on the whole yes/no set (tests/data/yesno.tsv)."""

from __future__ import annotations

import pytest

from bench.bench_yesno import load
from skills.yesno import Answer, decide


def replies() -> list[tuple[str, str]]:
    """The yes/no set the benchmark measures (tests/data/yesno.tsv)."""
    return load()


def test_the_set_is_big_and_varied():
    labels = [label for label, _ in replies()]
    assert len(labels) >= 300
    for label in ("yes", "no", "hesitation", "correction", "number", "question", "noise"):
        assert labels.count(label) >= 25, label


def test_no_reply_that_is_not_a_yes_is_decided_yes():
    false_yes = [text for label, text in replies() if label != "yes" and decide(text) == Answer.YES]
    assert false_yes == []


def test_real_yeses_and_nos_are_understood():
    yeses = [text for label, text in replies() if label == "yes"]
    nos = [text for label, text in replies() if label == "no"]
    yes_rate = sum(decide(t) == Answer.YES for t in yeses) / len(yeses)
    no_rate = sum(decide(t) == Answer.NO for t in nos) / len(nos)
    assert yes_rate >= 0.98, yes_rate
    assert no_rate >= 0.95, no_rate


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yes please!", Answer.YES),
        ("sure, go ahead", Answer.YES),
        ("/affirm", Answer.YES),  # the kiosk's Confirm button
        ("/deny", Answer.NO),
        ("no don't do that", Answer.NO),
        ("make that 1", Answer.UNCLEAR),
        ("4321", Answer.UNCLEAR),
        ("1111", Answer.UNCLEAR),
        ("!!!???", Answer.UNCLEAR),
        ("make it 5", Answer.UNCLEAR),
        ("yes?", Answer.UNCLEAR),
        ("yes, wait", Answer.UNCLEAR),
        ("I'm not sure", Answer.UNCLEAR),
        ("yes no", Answer.UNCLEAR),
        ("", Answer.UNCLEAR),
    ],
)
def test_decide(text, answer):
    assert decide(text) == answer
