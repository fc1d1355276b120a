"""`rasa data validate` passes on the project's domain and training data (and bites when not)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.settings import ROOT
from tests.conftest import service_missing

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def validate(root: Path) -> subprocess.CompletedProcess[str]:
    if not RASA.exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(str(RASA)))
    return subprocess.run(
        [str(RASA), "data", "validate", "--domain", "domain", "--data", "nlu_data"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_rasa_data_validate_passes() -> None:
    done = validate(ROOT)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]


@pytest.mark.slow
def test_rasa_data_validate_fails_on_an_undeclared_action(tmp_path: Path) -> None:
    for part in ("domain", "nlu_data"):
        shutil.copytree(ROOT / part, tmp_path / part)
    shutil.copy(ROOT / "config.yml", tmp_path / "config.yml")
    rules = tmp_path / "nlu_data" / "store_hours" / "rules.yml"
    rules.write_text(rules.read_text().replace("action_store_hours", "action_store_hourz"))
    done = validate(tmp_path)
    assert done.returncode != 0
    assert "action_store_hourz" in done.stdout + done.stderr
