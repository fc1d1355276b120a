"""``run_assistant.py --text``: the assistant at home in text mode, through the turn engine,
against the running stack — what the customer types is answered and shown as the display
prints it; goodbye ends it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.services import Stack
from assistant.settings import ROOT
from tests.stack import Shop, command_env


@pytest.mark.slow
def test_text_mode_answers_typed_lines_until_goodbye(stack: Stack, shop: Shop) -> None:
    before = shop.lines("frank")
    done = subprocess.run(
        [sys.executable, str(ROOT / "run_assistant.py"), "--text", "--customer", "frank"],
        input="what's in my basket\ngoodbye\nwhat's in my basket\n",
        capture_output=True,
        text=True,
        env=command_env(stack),
        timeout=300,
        check=True,
    )
    lines = done.stdout.splitlines()
    said = [line for line in lines if line.startswith("you: ")]
    assert said == ["you: what's in my basket", "you: goodbye"], "nothing read after goodbye"
    assert "  [view_basket" in "\n".join(lines)
    answers = [line for line in lines if line.startswith("assistant: ")]
    assert len(answers) >= 2
    assert shop.lines("frank") == before, "reading the basket changed nothing"
