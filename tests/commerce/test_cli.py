"""The catalog commands of run_assistant.py, run as a newcomer would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "run_assistant.py",
            "catalog",
            *args,
            "--database-url",
            f"sqlite:///{database}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_seed_token_basket(tmp_path: Path):
    database = tmp_path / "cli.db"
    first = run("seed", database=database)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert len(summary["customers"]) == 5
    assert len(summary["stores"]) >= 3
    assert summary["products"] >= 2000
    again = run("seed", "--customers", "7", database=database)
    bigger = json.loads(again.stdout)
    assert bigger["customers"][:5] == summary["customers"], "seeding is deterministic"
    assert len(bigger["customers"]) == 7
    assert bigger["products"] == summary["products"]

    token = run("token", summary["customers"][0], database=database)
    assert token.returncode == 0
    assert token.stdout.strip().startswith("cst_")
    basket = run("basket", summary["customers"][0], database=database)
    assert json.loads(basket.stdout)["items"] == []
    unknown = run("token", "nobody", database=database)
    assert unknown.returncode == 2
    assert json.loads(unknown.stderr)["error"]["code"] == "customer-not-found"
