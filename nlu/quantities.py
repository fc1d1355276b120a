"""Quantities from meaning: a Rasa 3.6 entity component that reads numbers as numbers.

``QuantityReader`` runs after the CRF entity extractor and corrects its entities by what the
words mean (``nlu/numbers.py``: digits and English number words):

- a product, brand, recipe, pantry item or unit is never a number: an entity made only of
  number words ("twelve" tagged as a product in "add twelve bananas") is dropped, and one that
  begins with them ("twelve bananas" as one product) loses them;
- a number right before a product, brand or unit ("twelve bananas", "two kilos of apples",
  "a couple of avocados") is a ``quantity``, whether or not the CRF tagged it;
- a quantity's value is its number in digits ("twelve" -> "12", "a couple of" -> "2", "a" ->
  "1"); a quantity that is no whole number ("half", "some", "another") keeps its words.

Catalogue names that begin with a number ("four cheese pizza", "2 in 1 shampoo") are not
numbers: the component keeps them from the training data's lookup tables when it is trained.
Numbers inside other entities ("for [four](servings)", "[tomorrow at five](when)",
"[number two](option)") are left to them.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import ENTITY_ATTRIBUTE_CONFIDENCE_TYPE
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import dump_obj_as_json_to_file, read_json_file

from nlu.numbers import Number, is_only_numbers, name_spans, numbered_names, read_numbers
from nlu.stored import StoredComponent

logger = logging.getLogger(__name__)

NAMES_FILE = "numbered_names.json"
ARTICLES = {"a": "1", "an": "1"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class QuantityReader(StoredComponent, EntityExtractorMixin):
    """Numbers said are quantities, never products (see the module's docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # the entity a number before an item becomes
            "quantity_entity": "quantity",
            # entities that are never only a number, nor begin with one
            "never_numbers": ["product", "brand", "recipe", "pantry_item", "unit"],
            # a number right before one of these is its quantity
            "counted": ["product", "brand", "unit"],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        names: tuple[tuple[str, ...], ...] = (),
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.quantity = str(self._config["quantity_entity"])
        self.never_numbers = frozenset(self._config["never_numbers"])
        self.counted = frozenset(self._config["counted"])
        self.names = names

    @classmethod
    def read_learned(cls, model_storage: ModelStorage, resource: Resource) -> tuple[Any, ...]:
        with model_storage.read_from(resource) as path:
            names = read_json_file(path / NAMES_FILE)
        return (tuple(tuple(n) for n in names),)

    def train(self, training_data: TrainingData) -> Resource:
        """Keep the lookup tables' names that begin with a number ("four cheese pizza")."""
        names: list[str] = []
        for table in training_data.lookup_tables:
            if table.get("name") in self.never_numbers and isinstance(table.get("elements"), list):
                names.extend(str(element) for element in table["elements"])
        self.names = numbered_names(names)
        with self._model_storage.write_to(self._resource) as path:
            dump_obj_as_json_to_file(path / NAMES_FILE, [list(n) for n in self.names])
        logger.debug("%d catalogue names begin with a number", len(self.names))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text:
                message.set(
                    ENTITIES, self.read(text, message.get(ENTITIES, [])), add_to_output=True
                )
        return messages

    def read(self, text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``entities`` corrected by the numbers said in ``text``."""
        numbers = read_numbers(text, self.names)
        named = name_spans(text, self.names)
        kept: list[dict[str, Any]] = []
        dropped: set[tuple[int, int]] = set()  # where an item was only a number
        for entity in entities:
            kind = entity.get(ENTITY_ATTRIBUTE_TYPE)
            if kind == self.quantity and any(_within(entity, span) for span in named):
                continue  # the "four" of "four cheese pizza" is the name's
            if kind in self.never_numbers:
                corrected = self._without_numbers(text, entity, numbers)
                if corrected is None:
                    dropped.add((entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]))
                    continue
                entity = self._whole_name(text, corrected, named)
            if kind == self.quantity:
                entity = self._valued(text, entity, numbers)
            kept.append(entity)
        for number in numbers:
            if any(_overlaps(number.start, number.end, e) for e in kept):
                continue
            was_item = any(start <= number.start and number.end <= end for start, end in dropped)
            if was_item or self._counts(text, number, kept):
                kept.append(self._quantity(number))
        return sorted(kept, key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0))

    def _whole_name(
        self, text: str, entity: dict[str, Any], named: list[tuple[int, int]]
    ) -> dict[str, Any]:
        """An item that ends a name beginning with a number begins with the name: "cheese
        pizza" of "four cheese pizza" is "four cheese pizza"."""
        start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
        if start is None or end is None:
            return entity
        for name_start, name_end in named:
            if name_start < start < name_end:
                widened = {**entity, ENTITY_ATTRIBUTE_START: name_start}
                if entity.get(ENTITY_ATTRIBUTE_VALUE) == text[start:end]:
                    widened[ENTITY_ATTRIBUTE_VALUE] = text[name_start:end]
                return self.add_processor_name(widened)
        return entity

    def _without_numbers(
        self, text: str, entity: dict[str, Any], numbers: list[Number]
    ) -> dict[str, Any] | None:
        """The entity less the number words it begins with; None when it is only those."""
        start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
        if start is None or end is None:
            return entity
        said = text[start:end]
        if is_only_numbers(said):
            return None
        leading = next((n for n in numbers if n.start == start and n.end < end), None)
        if leading is None:
            return entity
        rest = leading.end + len(text[leading.end : end]) - len(text[leading.end : end].lstrip())
        trimmed = {**entity, ENTITY_ATTRIBUTE_START: rest}
        if entity.get(ENTITY_ATTRIBUTE_VALUE) == said:
            trimmed[ENTITY_ATTRIBUTE_VALUE] = text[rest:end]
        return self.add_processor_name(trimmed)

    def _valued(self, text: str, entity: dict[str, Any], numbers: list[Number]) -> dict[str, Any]:
        """A quantity with its number as its value, where it is one whole number."""
        start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
        if start is None or end is None:
            return entity
        # the whole number the quantity begins with: "a" of "a couple of" is 2, not 1
        whole = next((n for n in numbers if n.start == start and n.end >= end), None)
        if whole is not None:
            start, end, value = whole.start, whole.end, str(whole.value)
        else:
            value = ARTICLES.get(text[start:end].strip().lower(), "")
        if not value or (
            entity.get(ENTITY_ATTRIBUTE_VALUE) == value
            and (start, end) == (entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END])
        ):
            return entity
        valued = {
            **entity,
            ENTITY_ATTRIBUTE_START: start,
            ENTITY_ATTRIBUTE_END: end,
            ENTITY_ATTRIBUTE_VALUE: value,
        }
        return self.add_processor_name(valued)

    def _counts(self, text: str, number: Number, entities: list[dict[str, Any]]) -> bool:
        """Whether a counted entity (a product, a unit) follows the number ("of" may come
        between: "a couple of avocados" keeps its "of", "two kilos of apples" has none)."""
        for entity in entities:
            if entity.get(ENTITY_ATTRIBUTE_TYPE) not in self.counted:
                continue
            start = entity.get(ENTITY_ATTRIBUTE_START)
            if start is None or start < number.end:
                continue
            between = text[number.end : start].strip().lower()
            if between in ("", "of"):
                return True
        return False

    def _quantity(self, number: Number) -> dict[str, Any]:
        entity = {
            ENTITY_ATTRIBUTE_TYPE: self.quantity,
            ENTITY_ATTRIBUTE_START: number.start,
            ENTITY_ATTRIBUTE_END: number.end,
            ENTITY_ATTRIBUTE_VALUE: str(number.value),
            ENTITY_ATTRIBUTE_CONFIDENCE_TYPE: 1.0,
        }
        return self.add_extractor_name([entity])[0]


def _overlaps(start: int, end: int, entity: dict[str, Any]) -> bool:
    first, last = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    return first is not None and last is not None and first < end and start < last


def _within(entity: dict[str, Any], span: tuple[int, int]) -> bool:
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    return start is not None and end is not None and span[0] <= start and end <= span[1]
