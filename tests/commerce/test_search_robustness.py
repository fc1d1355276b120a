"""Product search never fails: whatever the recogniser hands it (hypothesis text, word salad,
odd input, bad arguments, many threads), an answer and no swallowed error."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce.search_fields import SearchHit
from tests.commerce.test_search import _shared_index

# -- robustness --------------------------------------------------------------------------------


class _Failures(logging.Handler):
    """Collects the errors ``search`` logs when it swallows an exception."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _no_swallowed_errors() -> Iterator[None]:
    handler = _Failures()
    logger = logging.getLogger("commerce.search")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_never_raises(query: str) -> None:
    with _no_swallowed_errors():
        hits = _shared_index().search(query)
    assert isinstance(hits, list)
    assert all(isinstance(h, SearchHit) for h in hits)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["milk", "two", "to", "for", "litre", "dozen", "%", "bananna", "the", "½", "ﬂour", "🍌"]
        ),
        max_size=12,
    ).map(" ".join)
)
def test_never_raises_on_word_salad(query: str) -> None:
    with _no_swallowed_errors():
        assert isinstance(_shared_index().search(query), list)


@pytest.mark.parametrize(
    "query",
    [
        "a" * 10_000,
        "milk " * 2_000,
        "🍌🥛🍞" * 100,
        "!!!???...,,,",
        "\x00\x01\x02",
        "١٢٣ لتر حليب",
        "9" * 400 + " litres",
        "1e309 litres of milk",
        "0 litres of milk",
        "milk\n\t\r",
    ],
)
def test_never_raises_on_odd_input(query: str) -> None:
    index = _shared_index()
    with _no_swallowed_errors():
        assert isinstance(index.search(query), list)
    assert isinstance(index.search(query, limit=1000), list)


def test_bad_arguments_give_empty() -> None:
    index = _shared_index()
    assert index.search(None) == []  # type: ignore[arg-type]
    assert index.search("milk", limit=-3) == []


def test_concurrent_searches_agree() -> None:
    index = _shared_index()
    queries = ["milk", "2 litre semi skimmed milk", "sour dough", "coke", "bananna", "eggs"]
    expected = {q: index.search(q) for q in queries}
    errors: list[str] = []

    def worker() -> None:
        for _ in range(20):
            for q in queries:
                if index.search(q) != expected[q]:
                    errors.append(q)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
