"""The trained model's quantities: numbers said are quantities, never products.

Parses through `run_assistant.py parse` (the real Rasa server on the model `make test` trains
first), so it checks what the CRF and the quantity reader (nlu/quantities.py) give together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nlu.numbers import is_only_numbers

ROOT = Path(__file__).resolve().parents[2]
# (text, the quantities and products expected, in order)
CASES: list[tuple[str, list[tuple[str, str]]]] = [
    ("add twelve bananas", [("quantity", "12"), ("product", "bananas")]),
    ("two kilos of apples", [("quantity", "2"), ("product", "apples")]),
    ("put eleven yoghurts and thirteen apples in my basket",
     [("quantity", "11"), ("product", "yoghurts"), ("quantity", "13"), ("product", "apples")]),
    ("i want twenty bananas", [("quantity", "20"), ("product", "bananas")]),
    ("add a couple of avocados", [("quantity", "2"), ("product", "avocados")]),
]  # fmt: skip
# Sentences where a number counts nothing or something else: no product may be a number.
OTHERS = [
    "a dozen eggs",
    "add twelve",
    "make it six instead of twelve",
    "change the eggs to twelve",
    "what ingredients do i need for lasagne for twelve",
    "book a pickup for tomorrow at twelve",
    "the twelve pack",
]


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    lines = tmp_path_factory.mktemp("parse") / "texts.jsonl"
    texts = [text for text, _ in CASES] + OTHERS
    lines.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_assistant.py"), "parse", "--jsonl", str(lines)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {r["text"]: r for r in results}


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), CASES)
def test_numbers_said_are_quantities(
    parsed: dict[str, dict[str, Any]], text: str, expected: list[tuple[str, str]]
) -> None:
    entities = parsed[text]["entities"]
    got = [(e["entity"], e["value"]) for e in entities if e["entity"] in ("quantity", "product")]
    assert got == expected, entities


@pytest.mark.slow
def test_no_product_is_a_number(parsed: dict[str, dict[str, Any]]) -> None:
    for text, result in parsed.items():
        for entity in result["entities"]:
            if entity["entity"] in ("product", "brand", "unit", "recipe", "pantry_item"):
                assert not is_only_numbers(entity["value"]), (text, entity)
    dozen = {e["entity"]: e["value"] for e in parsed["a dozen eggs"]["entities"]}
    assert dozen.get("unit") == "dozen"
    assert dozen.get("product") == "eggs"
