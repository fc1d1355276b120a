"""Dataclasses to JSON objects and back, and their JSON schema, read from their type hints.

The types a field may have: ``str``, ``int``, ``float``, ``bool``, ``None``, ``date`` (ISO
text), ``Literal``, unions, ``list[T]``, ``dict[str, T]``, other dataclasses and ``TypedDict``s
(shapes shared with another service: ``shapes/``; their ``NotRequired`` keys are not required).
A field made with ``metadata=OMIT`` is left out of the JSON while it is None (and is not
required). A class with a ``TYPE`` class variable is a message: its JSON carries
``"type": TYPE``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from datetime import date
from typing import Any, Literal, Union

from typing_extensions import is_typeddict

OMIT = {"omit": True}
JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


class WireError(ValueError):
    """A JSON value is not what the dataclass field says (the message names which)."""


# -- to JSON ------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """``value`` as JSON data (dataclasses as objects, dates as ISO text)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in fields(value)
            if not (f.metadata.get("omit") and getattr(value, f.name) is None)
        }
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def keys(cls: type[Any]) -> list[tuple[str, bool]]:
    """(name, whether JSON must carry it) of each field of ``cls``, a dataclass or a
    ``TypedDict``, in order."""
    if is_typeddict(cls):
        return [(key, key in cls.__required_keys__) for key in typing.get_type_hints(cls)]
    return [(f.name, f.default is MISSING and not f.metadata.get("omit")) for f in fields(cls)]


# -- from JSON ----------------------------------------------------------------------------
def build(cls: type[Any], data: Any, where: str) -> Any:
    """``cls`` (a dataclass or a ``TypedDict``) from a JSON object, each field converted to
    its declared type; keys it does not have are ignored. ``where`` names it in errors."""
    if not isinstance(data, dict):
        raise WireError(f"{where} needs an object")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, required in keys(cls):
        if name in data:
            values[name] = convert(data[name], hints[name], f"{where}: {name}")
        elif required:
            raise WireError(f"{where} needs {name!r}")
    return cls(**values)


def convert(value: Any, hint: Any, where: str) -> Any:
    """A JSON value as the type ``hint`` says (``WireError`` if it is not one)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        for arg in args:
            try:
                return convert(value, arg, where)
            except WireError:
                continue
        raise _invalid(where, " or ".join(_name(a) for a in args))
    if origin is Literal:
        if value in args:
            return value
        raise _invalid(where, " or ".join(repr(a) for a in args))
    if origin is list:
        if not isinstance(value, list):
            raise _invalid(where, "a list")
        return [convert(v, args[0], where) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise _invalid(where, "an object")
        return {str(k): convert(v, args[1], where) for k, v in value.items()}
    if (is_dataclass(hint) and isinstance(hint, type)) or is_typeddict(hint):
        return build(hint, value, where)
    if hint is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError) as err:
            raise _invalid(where, "a date (YYYY-MM-DD)") from err
    if isinstance(value, bool) and hint is not bool:  # True is an int to Python, not to JSON
        raise _invalid(where, _name(hint))
    if hint is float and isinstance(value, int | float):
        return value
    if hint in JSON_TYPES and isinstance(value, hint):
        return value
    raise _invalid(where, _name(hint))


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


def _invalid(where: str, expected: str) -> WireError:
    return WireError(f"{where} needs {expected}")


# -- JSON schema --------------------------------------------------------------------------
def schema_ref(cls: type[Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref`` to ``cls``'s schema, put in ``defs`` (with the dataclasses it uses)."""
    name = cls.__name__
    if name not in defs:
        defs[name] = {}  # taken, while its fields are made
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        message_type = getattr(cls, "TYPE", None)
        if message_type is not None:
            properties["type"] = {"const": message_type}
            required.append("type")
        for key, needed in keys(cls):
            properties[key] = schema_of(hints[key], defs)
            if needed:
                required.append(key)
        described: dict[str, Any] = {"type": "object"}
        if cls.__doc__ and not cls.__doc__.startswith(f"{name}("):  # not dataclass's own
            described["description"] = " ".join(cls.__doc__.split())
        defs[name] = {
            **described,
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        }
    return {"$ref": f"#/$defs/{name}"}


def schema_of(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of a field's type; dataclasses go in ``defs``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return {"anyOf": [schema_of(a, defs) for a in args]}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is list:
        return {"type": "array", "items": schema_of(args[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": schema_of(args[1], defs)}
    if (is_dataclass(hint) and isinstance(hint, type)) or is_typeddict(hint):
        return schema_ref(hint, defs)
    if hint in JSON_TYPES:
        return {"type": JSON_TYPES[hint]}
    if hint is date:
        return {"type": "string", "format": "date"}
    raise TypeError(f"no JSON schema for {hint!r}")
