"""Checks on the Rasa training data (nlu_data/) and domain fragments (domain/).

Plain YAML reading, so these run in the main environment without Rasa installed.
"""

from __future__ import annotations

import json
import os
import re
import string
from pathlib import Path

import pytest
import yaml

from assistant.validate_project import TRIGGERED_INTENTS

REPO = Path(__file__).resolve().parents[2]
NLU_DIR = REPO / "nlu_data"
DOMAIN_DIR = REPO / "domain"
EVAL_DIR = Path(os.environ.get("EVAL_DIR", REPO.parent / "shared" / "eval"))
DEV_SET = REPO / "bench" / "dev" / "nlu_dev.yml"

CANONICAL_INTENTS = (
    "greet",
    "goodbye",
    "affirm",
    "deny",
    "cancel",
    "repeat",
    "help",
    "search_product",
    "add_to_basket",
    "remove_from_basket",
    "view_basket",
    "reorder",
    "suggest_recipe",
    "recipe_to_basket",
    "book_pickup",
    "reschedule_pickup",
    "cancel_pickup",
    "checkout",
    "order_status",
    "choose_option",
    "out_of_scope",
)
MIN_EXAMPLES = 30
# Intents Rasa defines itself; rules may use them without declaring them.
RASA_DEFAULT_INTENTS = {"nlu_fallback", "restart", "back", "session_start", "out_of_scope"}

# [text](entity), [text](entity:value), [text](entity@role), [text]{"entity": ...}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")
_PUNCT = str.maketrans({c: " " for c in string.punctuation if c != "'"})


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yml", ".yaml"})


def _nlu_items() -> list[dict]:
    items = []
    for path in _yaml_files(NLU_DIR):
        doc = yaml.safe_load(path.read_text()) or {}
        for item in doc.get("nlu") or []:
            items.append({**item, "_file": str(path.relative_to(REPO))})
    return items


def _examples(item: dict) -> list[str]:
    block = item.get("examples") or ""
    lines = (line.strip() for line in block.splitlines())
    return [line[2:].strip() for line in lines if line.startswith("- ")]


def _intent_examples() -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = {}
    for item in _nlu_items():
        if "intent" in item:
            by_intent.setdefault(item["intent"], []).extend(_examples(item))
    return by_intent


def _entities_in(example: str) -> list[str]:
    names = []
    for match in ANNOTATION.finditer(example):
        if match["json"]:
            names.append(json.loads(match["json"])["entity"])
        else:
            names.append(re.split(r"[:@]", match["short"])[0])
    return names


def _plain(example: str) -> str:
    return ANNOTATION.sub(lambda m: m["text"], example)


def normalise(text: str) -> str:
    """Lowercase, punctuation (but apostrophes) as spaces, whitespace collapsed."""
    text = text.lower().replace("\u2019", "'").translate(_PUNCT).replace("'", "")
    return " ".join(text.split())


def _domain() -> dict[str, set[str]]:
    declared: dict[str, set[str]] = {"intents": set(), "entities": set(), "responses": set()}
    for path in _yaml_files(DOMAIN_DIR):
        doc = yaml.safe_load(path.read_text()) or {}
        for key in ("intents", "entities"):
            for entry in doc.get(key) or []:
                declared[key].add(next(iter(entry)) if isinstance(entry, dict) else entry)
        declared["responses"].update((doc.get("responses") or {}).keys())
    return declared


def test_every_canonical_intent_has_enough_examples() -> None:
    counts = {intent: len(examples) for intent, examples in _intent_examples().items()}
    short = {i: counts.get(i, 0) for i in CANONICAL_INTENTS if counts.get(i, 0) < MIN_EXAMPLES}
    assert not short, f"intents with fewer than {MIN_EXAMPLES} examples: {short}"


def test_out_of_scope_is_broad() -> None:
    assert len(_intent_examples()["out_of_scope"]) >= 150


def test_no_example_is_labelled_with_two_intents() -> None:
    seen: dict[str, set[str]] = {}
    for intent, examples in _intent_examples().items():
        for example in examples:
            seen.setdefault(normalise(_plain(example)), set()).add(intent)
    clashes = {text: sorted(intents) for text, intents in seen.items() if len(intents) > 1}
    assert not clashes


def _eval_texts() -> set[str]:
    eval_files = sorted(EVAL_DIR.glob("*.jsonl"))
    if not eval_files:
        pytest.skip(f"the public eval sentences are not here ({EVAL_DIR}): nothing to compare")
    return {
        normalise(json.loads(line)["text"])
        for path in eval_files
        for line in path.read_text().splitlines()
        if line.strip()
    }


def _training_texts() -> set[str]:
    return {
        normalise(_plain(example))
        for examples in _intent_examples().values()
        for example in examples
    }


def _dev_examples() -> dict[str, list[str]]:
    doc = yaml.safe_load(DEV_SET.read_text()) or {}
    return {item["intent"]: _examples(item) for item in doc.get("nlu") or []}


def test_no_eval_sentence_is_in_training_data() -> None:
    leaked = sorted(_training_texts() & _eval_texts())
    assert not leaked, f"eval sentences copied into nlu_data: {leaked[:10]}"


def test_dev_set_is_its_own() -> None:
    """The development set (bench/dev/nlu_dev.yml) measures phrasings the model has not seen:
    none of its sentences is training data or a public eval sentence, and its intents exist."""
    dev = _dev_examples()
    assert set(dev) == set(_intent_examples()), "the dev set's intents are not the training data's"
    texts = {normalise(_plain(example)) for examples in dev.values() for example in examples}
    assert len(texts) >= 250
    in_training = sorted(texts & _training_texts())
    assert not in_training, f"dev sentences that are also training data: {in_training[:10]}"
    leaked = sorted(texts & _eval_texts())
    assert not leaked, f"eval sentences copied into the dev set: {len(leaked)}"


def test_intents_in_data_and_domain_match() -> None:
    in_data = set(_intent_examples())
    declared = _domain()["intents"]
    assert in_data - declared == set(), "intents with examples but not declared in domain/"
    # Intents the front end sends as "/intent" are never spoken, so they have no examples.
    assert declared - in_data - TRIGGERED_INTENTS == set(), "declared intents without examples"
    assert set(CANONICAL_INTENTS) <= declared


def test_every_annotated_entity_is_declared() -> None:
    declared = _domain()["entities"]
    used: dict[str, int] = {}
    for item in _nlu_items():
        for example in _examples(item):
            for name in _entities_in(example):
                used.setdefault(name, item["_file"])
    missing = {name: where for name, where in used.items() if name not in declared}
    assert not missing, f"entities annotated but not declared in domain/: {missing}"


def test_rules_use_declared_intents_and_responses() -> None:
    declared = _domain()
    for path in _yaml_files(NLU_DIR):
        doc = yaml.safe_load(path.read_text()) or {}
        for rule in (doc.get("rules") or []) + (doc.get("stories") or []):
            for step in rule.get("steps") or []:
                if "intent" in step:
                    assert step["intent"] in declared["intents"] | RASA_DEFAULT_INTENTS, (
                        path,
                        step,
                    )
                action = step.get("action", "")
                if action.startswith("utter_"):
                    assert action in declared["responses"], (path, action)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Um, can you add [two](quantity) litres?", "um can you add two litres"),
        ('i\'m out of [eggs]{"entity": "product"}', "im out of eggs"),
        ("What’s   on MY list!", "whats on my list"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(_plain(text)) == expected
