"""Response models made from the shapes the skills type their answers with (``shapes.commerce``),
so that each answer's fields are written once.

A model names its ``TypedDict`` as its ``shape`` and gets the shape's fields, in its order and
with its types (a nested shape becomes the model made from it); its body adds only the service's
defaults and documentation, unannotated: ``in_stock = None``,
``per_unit = Field(default=None, description=...)``. A field the shape lacks, or an annotated one
in the body, is an error: the model is the shape. A key that is a Python keyword ("for") is the
field ``for_`` with that alias.
"""

from __future__ import annotations

import keyword
import operator
import types
import typing
from functools import reduce
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel, Field
from pydantic._internal._model_construction import ModelMetaclass  # where pydantic reads fields
from typing_extensions import get_type_hints, is_typeddict

MODELS: dict[Any, type[BaseModel]] = {}  # a shape -> the model made from it


class ShapedMeta(ModelMetaclass):
    """Gives a model with a ``__shape__`` the shape's fields before pydantic reads them."""

    def __new__(
        mcs,
        cls_name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        shape: Any = None,
        **kwargs: Any,
    ) -> type:
        if shape is not None:
            namespace["__annotations__"] = _fields(cls_name, shape, bases, namespace)
        cls = super().__new__(mcs, cls_name, bases, namespace, **kwargs)
        if shape is not None:
            MODELS[shape] = cls
        return cls


class Shaped(BaseModel, metaclass=ShapedMeta):
    """A response model whose fields are its ``shape``'s: ``class SlotOut(Shaped, shape=Slot)``."""

    if TYPE_CHECKING:  # the class keyword, as type checkers see it

        def __init_subclass__(cls, *, shape: Any = None, **kwargs: Any) -> None: ...


def _fields(
    name: str, shape: Any, bases: tuple[type[Any], ...], namespace: dict[str, Any]
) -> dict[str, Any]:
    """The annotations of the fields ``shape`` has and the bases do not (``namespace`` gets
    the alias of a keyword's field)."""
    if namespace.get("__annotations__"):
        raise TypeError(f"{name}: its fields are {shape.__name__}'s; give values, not types")
    inherited = {
        field.alias or field_name
        for base in bases
        for field_name, field in getattr(base, "model_fields", {}).items()
    }
    hints = get_type_hints(shape)
    if not inherited <= hints.keys():
        raise TypeError(f"{name}: {shape.__name__} lacks {sorted(inherited - hints.keys())}")
    annotations: dict[str, Any] = {}
    for key, hint in hints.items():
        if key in inherited:
            continue
        if keyword.iskeyword(key):
            namespace.setdefault(key + "_", Field(alias=key))
            key += "_"
        annotations[key] = _model_type(hint)
    strays = {k for k in namespace if not k.startswith("_")} - annotations.keys()
    if strays:
        raise TypeError(f"{name}: {shape.__name__} has no field {sorted(strays)}")
    return annotations


def _model_type(hint: Any) -> Any:
    """``hint`` with each shape in it replaced by the model made from that shape."""
    if is_typeddict(hint):
        if hint not in MODELS:
            raise TypeError(f"no model is made from {hint.__name__} yet: define that first")
        return MODELS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return reduce(operator.or_, [_model_type(arg) for arg in args])
    if origin is list:
        return list.__class_getitem__(_model_type(args[0]))
    if origin is dict:
        return dict.__class_getitem__((args[0], _model_type(args[1])))
    if origin is Literal or origin is None:
        return hint
    raise TypeError(f"a shape's field of type {hint} is not handled here")
