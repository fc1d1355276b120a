"""Numbers as said (nlu/numbers.py): what the NLU's quantity reader reads. Plain Python."""

from __future__ import annotations

import pytest

from nlu.numbers import Number, is_only_numbers, name_spans, numbered_names, read_numbers

NAMES = numbered_names(
    ["four cheese pizza", "2 in 1 shampoo and conditioner", "semi skimmed milk", "bananas"]
)


def values(text: str) -> list[tuple[str, int]]:
    return [(n.text, n.value) for n in read_numbers(text, NAMES)]


def test_twelve_bananas_is_twelve() -> None:
    assert read_numbers("add twelve bananas") == [Number(4, 10, 12, "twelve")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two kilos of apples", [("two", 2)]),
        ("Add Twelve Bananas.", [("Twelve", 12)]),
        ("get twenty four cans of cola", [("twenty four", 24)]),
        ("twenty-four eggs", [("twenty-four", 24)]),
        ("one hundred and five paper plates", [("one hundred and five", 105)]),
        ("add 3 lemons and 10 eggs", [("3", 3), ("10", 10)]),
        ("add a couple of avocados", [("a couple of", 2)]),
        ("make it six instead of twelve", [("six", 6), ("twelve", 12)]),
        # two numbers said one after the other are two numbers, not one
        ("two four", [("two", 2), ("four", 4)]),
        ("eggs and two and three lemons", [("two", 2), ("three", 3)]),
    ],
)
def test_numbers_said(text: str, expected: list[tuple[str, int]]) -> None:
    assert values(text) == expected


def test_a_dozen_is_a_unit_not_a_number() -> None:
    # The training data annotates "[a](quantity) [dozen](unit) [eggs](product)": one dozen.
    assert values("a dozen eggs") == []
    assert values("two dozen eggs") == [("two", 2)]


@pytest.mark.parametrize("text", ["the second", "first", "a loaf", "some apples", "anyone"])
def test_words_that_are_no_numbers(text: str) -> None:
    assert values(text) == []


def test_names_that_begin_with_a_number_are_no_numbers() -> None:
    assert NAMES == (("2", "in", "1", "shampoo", "and", "conditioner"), ("four", "cheese", "pizza"))
    assert values("add four cheese pizza") == []
    assert values("add two four cheese pizzas") == [("two", 2)]
    assert values("add 2 in 1 shampoo") == []
    assert name_spans("add two four cheese pizzas", NAMES) == [(8, 26)]
    # the number alone is still a number
    assert values("add four cheddars") == [("four", 4)]


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("twelve", True),
        ("twenty four", True),
        ("one hundred and five", True),
        ("12", True),
        ("twelve bananas", False),
        ("and", False),
        ("", False),
        ("dozen", False),
    ],
)
def test_is_only_numbers(text: str, only: bool) -> None:
    assert is_only_numbers(text) is only
