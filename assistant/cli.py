"""The dialogue commands of run_assistant.py: train, parse, chat, validate."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant import chat as chat_mode
from assistant.errors import ConfigError
from assistant.settings import Settings
from assistant.training import train
from assistant.validate_project import validate


def add_parsers(commands: argparse._SubParsersAction) -> None:
    trainer = commands.add_parser("train", help="train the Rasa model (skips when unchanged)")
    trainer.add_argument("--force", action="store_true", help="train even if nothing changed")

    parser = commands.add_parser("parse", help="intent and entities of a text, as JSON")
    parser.add_argument("text", nargs="?")
    parser.add_argument("--jsonl", type=Path, help='a file of {"text": ...} lines')

    chat = commands.add_parser("chat", help="a text conversation: one customer turn per line")
    chat.add_argument("--customer", required=True, help="handle, loyalty number or id")
    chat.add_argument("--store", help="store id (a kiosk's store); default: the customer's")

    commands.add_parser("validate", help="check domain, skills, nlu_data and tests agree")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "train":
        result = train(settings, force=args.force)
        print(
            json.dumps(
                {
                    "model": str(result.model),
                    "trained": result.trained,
                    "seconds": round(result.seconds, 1),
                }
            )
        )
        return 0
    if args.command == "parse":
        if args.jsonl:
            texts = [
                json.loads(line)["text"]
                for line in args.jsonl.read_text().splitlines()
                if line.strip()
            ]
        elif args.text:
            texts = [args.text]
        else:
            raise ConfigError("usage", "give TEXT or --jsonl FILE")
        train(settings)
        chat_mode.parse(settings, texts, sys.stdout)
        return 0
    if args.command == "chat":
        train(settings)
        chat_mode.chat(settings, args.customer, args.store, sys.stdin, sys.stdout)
        return 0
    if args.command == "validate":
        report = validate(settings.root)
        for problem in report.problems:
            print(problem)
        print("project is consistent" if report.ok else f"{len(report.problems)} problem(s)")
        return 0 if report.ok else 1
    return 1
