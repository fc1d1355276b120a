"""``python -m commerce serve|seed|token|...``: the service on its own, configured by the
environment (``DATABASE_URL``, ``COMMERCE_HOST``, ``COMMERCE_PORT``, …)."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from commerce import cli
from commerce.errors import CommerceError
from commerce.settings import from_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m commerce")
    commands = parser.add_subparsers(dest="command", required=True)
    cli.add_parser(commands)
    args = parser.parse_args(["catalog", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.WARNING)
    try:
        return cli.run(args, from_environment())
    except CommerceError as err:
        print(json.dumps(err.to_dict()), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
