"""The conversation corpus's figures: runs tests/dialogue/test_corpus.py and keeps its summary.

    .venv/bin/python bench/bench_corpus.py [pytest options]

The test plays every script of ``tests/conversations/corpus/`` through Rasa, the action server
and the commerce service (on a stack and database of its own) and checks the database after
each; a plain ``pytest`` run of it writes nothing. Here ``CONVERSATION_CORPUS_FIGURES`` tells
it to write its summary — scripts, turns, seconds, wrong actions, dead ends, known bugs, each
failure with its turns and response keys — to ``bench/results/conversation_corpus.json``.
Exits with pytest's status (non-zero when a figure is not 0 or a script fails).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULT = REPO / "bench" / "results" / "conversation_corpus.json"


def main(argv: list[str]) -> int:
    env = {**os.environ, "CONVERSATION_CORPUS_FIGURES": str(RESULT)}
    command = [sys.executable, "-m", "pytest", "-q", "tests/dialogue/test_corpus.py", *argv]
    status = subprocess.call(command, cwd=REPO, env=env)  # noqa: S603 - our own test run
    if RESULT.exists():
        print(f"figures: {RESULT.relative_to(REPO)}")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
