"""`rasa test core --e2e` on the conversation stories in tests/conversations/: the trained model
must predict every intent, entity and next action of every story from the customer's words."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from assistant.services import Stack
from assistant.settings import ROOT

STORIES = ROOT / "tests" / "conversations"


def rasa_test(stack: Stack, stories: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(stack.rasa_bin),
            "test",
            "core",
            "--e2e",
            "--fail-on-prediction-errors",
            "--model",
            str(stack.model_path()),
            "--stories",
            str(stories),
            "--out",
            str(out),
            "--no-plot",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_conversation_stories_pass_rasa_test(stack: Stack, tmp_path: Path) -> None:
    done = rasa_test(stack, STORIES, tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    log = done.stdout + done.stderr
    stories = yaml.safe_load((STORIES / "test_stories.yml").read_text())["stories"]
    assert f"Evaluating {len(stories)} stories" in log
    assert len(stories) >= 9


@pytest.mark.slow
def test_a_wrong_story_fails(stack: Stack, tmp_path: Path) -> None:
    """The check bites: a story whose 'yes' is labelled deny must fail."""
    wrong = tmp_path / "stories"
    wrong.mkdir()
    text = (STORIES / "test_stories.yml").read_text()
    mislabelled = text.replace("yes please\n    intent: affirm", "yes please\n    intent: deny", 1)
    assert mislabelled != text
    (wrong / "test_wrong.yml").write_text(mislabelled)
    done = rasa_test(stack, wrong, tmp_path / "out")
    assert done.returncode != 0
    assert "predicted" in (done.stdout + done.stderr)
