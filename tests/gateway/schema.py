"""The checked-in JSON schema of the gateway protocol, as tests check traffic against it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

import jsonschema_rs

from assistant.channels.protocol_schema import SCHEMA_FILE, for_direction


@cache
def validator(direction: str) -> Any:
    """``DeviceMessage`` (what a device sends) or ``GatewayMessage``; formats checked too."""
    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema_rs.validator_for(for_direction(schema, direction), validate_formats=True)


def off_protocol(direction: str, messages: Iterable[dict[str, Any]]) -> list[tuple[Any, str]]:
    """The messages that do not fit ``direction``'s schema, each with the first reason."""
    check = validator(direction)
    return [(m, next(check.iter_errors(m)).message) for m in messages if not check.is_valid(m)]
