"""The NLU's quantity reader (nlu/quantities.py): the CRF's entities corrected by what numbers mean.

Each case gives the reader what the CRF said (including the mistakes it made: "twelve" tagged as
a product) and checks what comes out. This needs Rasa's environment: `make test` runs this file
with .venv-rasa; in the app's environment it is skipped (tests/nlu/test_parsed_quantities.py
checks the trained model's answers there).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.numbers import is_only_numbers
from nlu.quantities import QuantityReader

CATALOGUE = ["bananas", "four cheese pizza", "2 in 1 shampoo and conditioner", "eggs"]


def crf(text: str, *tagged: tuple[str, str]) -> list[dict[str, Any]]:
    """Entities as the CRF gives them: (words, entity) in the order said."""
    entities, at = [], 0
    for words, entity in tagged:
        found = re.compile(rf"\b{re.escape(words)}\b").search(text, at)
        assert found, words
        start, at = found.span()
        entities.append(
            {"entity": entity, "start": start, "end": at, "value": words, "extractor": "CRF"}
        )
    return entities


def said(text: str, entities: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(entity, words, value) of each entity, in order."""
    return [(e["entity"], text[e["start"] : e["end"]], e["value"]) for e in entities]


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> QuantityReader:
    """Trained on a lookup table, persisted and loaded as Rasa does."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("quantities")
    context = ExecutionContext(GraphSchema({}), node_name="quantities")
    trained = QuantityReader.create({}, storage, resource, context)
    trained.train(TrainingData(lookup_tables=[{"name": "product", "elements": CATALOGUE}]))
    return QuantityReader.load({}, storage, resource, context)


def test_the_catalogue_names_that_begin_with_a_number_are_kept(reader: QuantityReader) -> None:
    assert reader.names == (
        ("2", "in", "1", "shampoo", "and", "conditioner"),
        ("four", "cheese", "pizza"),
    )


@pytest.mark.parametrize(
    "tagged",
    [
        # the CRF's mistake after the varied phrasings: "twelve" read as a product
        [("twelve", "product"), ("bananas", "product")],
        [("twelve bananas", "product")],
        [("bananas", "product")],
        [("twelve", "quantity"), ("bananas", "product")],
    ],
)
def test_add_twelve_bananas_is_twelve_bananas(
    reader: QuantityReader, tagged: list[tuple[str, str]]
) -> None:
    text = "add twelve bananas"
    assert said(text, reader.read(text, crf(text, *tagged))) == [
        ("quantity", "twelve", "12"),
        ("product", "bananas", "bananas"),
    ]


def test_a_dozen_eggs_is_one_dozen(reader: QuantityReader) -> None:
    text = "a dozen eggs"
    tagged = crf(text, ("a", "quantity"), ("dozen", "unit"), ("eggs", "product"))
    assert said(text, reader.read(text, tagged)) == [
        ("quantity", "a", "1"),
        ("unit", "dozen", "dozen"),
        ("product", "eggs", "eggs"),
    ]
    # without the article tagged, nothing is made up: the unit and the product stay
    untagged = crf(text, ("dozen", "unit"), ("eggs", "product"))
    assert said(text, reader.read(text, untagged)) == [
        ("unit", "dozen", "dozen"),
        ("product", "eggs", "eggs"),
    ]


def test_two_kilos_of_apples(reader: QuantityReader) -> None:
    text = "two kilos of apples"
    tagged = crf(text, ("kilos", "unit"), ("apples", "product"))
    assert said(text, reader.read(text, tagged)) == [
        ("quantity", "two", "2"),
        ("unit", "kilos", "kilos"),
        ("product", "apples", "apples"),
    ]


def test_a_couple_of_is_two(reader: QuantityReader) -> None:
    text = "add a couple of avocados"
    for tagged in (
        crf(text, ("avocados", "product")),
        crf(text, ("a", "quantity"), ("avocados", "product")),
        crf(text, ("a couple of", "quantity"), ("avocados", "product")),
    ):
        assert said(text, reader.read(text, tagged)) == [
            ("quantity", "a couple of", "2"),
            ("product", "avocados", "avocados"),
        ]


def test_several_items_each_with_its_number(reader: QuantityReader) -> None:
    text = "add twenty four eggs and 3 lemons"
    tagged = crf(text, ("twenty", "product"), ("eggs", "product"), ("lemons", "product"))
    assert said(text, reader.read(text, tagged)) == [
        ("quantity", "twenty four", "24"),
        ("product", "eggs", "eggs"),
        ("quantity", "3", "3"),
        ("product", "lemons", "lemons"),
    ]


def test_a_number_only_item_is_a_quantity(reader: QuantityReader) -> None:
    text = "add twelve"
    assert said(text, reader.read(text, crf(text, ("twelve", "product")))) == [
        ("quantity", "twelve", "12")
    ]


def test_names_that_begin_with_a_number_stay_whole(reader: QuantityReader) -> None:
    text = "add four cheese pizza"
    for tagged in (
        crf(text, ("four cheese pizza", "product")),
        crf(text, ("four", "quantity"), ("cheese pizza", "product")),
    ):
        assert said(text, reader.read(text, tagged)) == [
            ("product", "four cheese pizza", "four cheese pizza")
        ]
    text = "add two four cheese pizzas"
    tagged = crf(text, ("two", "quantity"), ("four", "quantity"), ("cheese pizzas", "product"))
    assert said(text, reader.read(text, tagged)) == [
        ("quantity", "two", "2"),
        ("product", "four cheese pizzas", "four cheese pizzas"),
    ]
    text = "add 2 in 1 shampoo"
    tagged = crf(text, ("2", "quantity"), ("1", "quantity"), ("shampoo", "product"))
    assert said(text, reader.read(text, tagged)) == [
        ("product", "2 in 1 shampoo", "2 in 1 shampoo")
    ]


@pytest.mark.parametrize(
    ("text", "tagged"),
    [
        ("lasagne for four people", [("lasagne", "recipe"), ("four", "servings")]),
        ("book a pickup tomorrow at five", [("tomorrow at five", "when")]),
        ("the number two", [("number two", "option")]),
        ("make it six instead of twelve", [("six", "quantity")]),
        ("that one please", []),
        ("what is twelve times nine", []),
    ],
)
def test_numbers_that_count_no_item_are_left_alone(
    reader: QuantityReader, text: str, tagged: list[tuple[str, str]]
) -> None:
    out = said(text, reader.read(text, crf(text, *tagged)))
    assert [(entity, words) for entity, words, _ in out] == [(e, w) for w, e in tagged]


def test_no_product_is_ever_a_number_word(reader: QuantityReader) -> None:
    text = "put eleven and fifteen and twenty"
    tagged = crf(text, ("eleven", "product"), ("fifteen", "brand"), ("twenty", "unit"))
    entities = reader.read(text, tagged)
    items = [e for e in entities if e["entity"] in ("product", "brand", "unit")]
    assert items == []
    assert {e["value"] for e in entities} == {"11", "15", "20"}


def test_process_sets_the_messages_entities(reader: QuantityReader) -> None:
    text = "add twelve bananas"
    message = Message(data={"text": text, "entities": crf(text, ("twelve", "product"))})
    message.set("entities", [*message.get("entities"), *crf(text, ("bananas", "product"))])
    reader.process([message])
    entities = message.get("entities")
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("quantity", "12"),
        ("product", "bananas"),
    ]
    assert not any(is_only_numbers(e["value"]) for e in entities if e["entity"] == "product")
    assert entities[0]["extractor"] == "QuantityReader"
