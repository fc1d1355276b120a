#!/usr/bin/env python3
"""The one entry point of the voice commerce assistant: parse the CLI, load settings, run."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from assistant import cli as dialogue_cli
from assistant import interactive
from assistant.errors import CODED_ERRORS
from assistant.settings import load_settings
from assistant.speech import speech_setup
from audio import cli as speech_cli
from commerce import cli as catalog_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_assistant.py", description="Offline voice commerce assistant"
    )
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING, ERROR")
    # Without a command: the assistant itself, by voice (or --text) for one customer.
    interactive.add_arguments(parser)
    commands = parser.add_subparsers(dest="command")
    catalog_cli.add_parser(commands)
    dialogue_cli.add_parsers(commands)
    speech_cli.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
        if args.command is None:
            return interactive.run(args, settings)
        if args.command == "catalog":
            return catalog_cli.run(args, settings.commerce, settings.root)
        if args.command in speech_cli.COMMANDS:
            return speech_cli.run(
                args, speech_setup(settings, vocabulary=args.command == "transcribe")
            )
        return dialogue_cli.run(args, settings)
    except CODED_ERRORS as err:
        print(json.dumps(err.to_dict()), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
