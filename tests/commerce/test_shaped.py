"""The service's response models are made from the shapes the skills share
(``shapes.commerce``): every shape has its model, with the shape's keys in its order, and a
model cannot add a field of its own or restate one."""

from __future__ import annotations

import typing

import pytest
from pydantic import Field
from typing_extensions import TypedDict, is_typeddict

import commerce.api.schemas  # noqa: F401  (makes every model)
from commerce.api.schemas.shaped import MODELS, Shaped
from shapes import commerce as shapes

SHAPES = [
    value
    for value in vars(shapes).values()
    if is_typeddict(value) and value.__module__ == shapes.__name__
]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.__name__)
def test_every_shape_is_a_response_model_with_its_keys_in_order(shape: type) -> None:
    model = MODELS[shape]
    keys = [field.alias or name for name, field in model.model_fields.items()]
    assert keys == list(typing.get_type_hints(shape))


def test_a_model_has_no_field_its_shape_lacks() -> None:
    with pytest.raises(TypeError, match="has no field"):

        class Extra(Shaped, shape=shapes.ClosedDate):
            weekday = Field(default="")


def test_a_model_does_not_restate_its_fields() -> None:
    with pytest.raises(TypeError, match="give values, not types"):

        class Restated(Shaped, shape=shapes.ClosedDate):
            date: str


class Lonely(TypedDict):
    name: str


class Holder(TypedDict):
    lonely: Lonely


def test_a_nested_shape_needs_its_model_first() -> None:
    with pytest.raises(TypeError, match="no model is made from Lonely"):

        class Holds(Shaped, shape=Holder):
            pass
