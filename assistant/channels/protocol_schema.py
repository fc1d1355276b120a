"""The JSON schema of the gateway protocol, made from its dataclasses (``protocol.py``).

``protocol.schema.json`` beside this module is its output, checked in for device makers and
the kiosk tests (a test keeps it up to date). Write it again after changing a message:
``.venv/bin/python -m assistant.channels.protocol_schema --write``.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path
from typing import Any

from assistant.channels import protocol, wire

SCHEMA_FILE = Path(__file__).resolve().parent / "protocol.schema.json"
DIRECTIONS = {"DeviceMessage": protocol.DeviceMessage, "GatewayMessage": protocol.GatewayMessage}


def json_schema() -> dict[str, Any]:
    """Every message of both directions under ``$defs``; ``DeviceMessage`` and
    ``GatewayMessage`` are each direction's one-of (``for_direction`` picks one)."""
    defs: dict[str, Any] = {}
    for name, union in DIRECTIONS.items():
        defs[name] = {"oneOf": [wire.schema_ref(c, defs) for c in typing.get_args(union)]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Voice gateway protocol {protocol.PROTOCOL}",
        "description": "JSON text frames of ws://HOST:PORT/v1/stream; audio is binary frames.",
        "anyOf": [{"$ref": "#/$defs/DeviceMessage"}, {"$ref": "#/$defs/GatewayMessage"}],
        "$defs": dict(sorted(defs.items())),
    }


def for_direction(schema: dict[str, Any], direction: str) -> dict[str, Any]:
    """``schema`` narrowed to ``DeviceMessage`` (what a device sends) or ``GatewayMessage``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction is one of {sorted(DIRECTIONS)}")
    narrowed = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**narrowed, "$ref": f"#/$defs/{direction}"}


def rendered() -> str:
    """The schema file's text."""
    return json.dumps(json_schema(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {SCHEMA_FILE.name}")
    args = parser.parse_args(argv)
    if args.write:
        SCHEMA_FILE.write_text(rendered())
    else:
        sys.stdout.write(rendered())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
