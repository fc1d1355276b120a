"""The project validator on the real project, and on copies broken the ways a newcomer might."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.settings import ROOT
from assistant.validate_project import validate


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for part in ("domain", "skills", "nlu_data", "tests/skills"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return tmp_path


def test_the_project_is_consistent() -> None:
    report = validate(ROOT)
    assert report.problems == []


def test_an_action_without_a_domain_entry_is_reported(project: Path) -> None:
    (project / "skills" / "weather.py").write_text(
        "class ActionWeather:\n    action_name = 'action_weather'\n"
    )
    problems = validate(project).problems
    assert any("action_weather (weather.py) is not declared" in p for p in problems)
    assert any("skill 'weather' is missing nlu_data/weather" in p for p in problems)


def test_a_response_without_words_is_reported(project: Path) -> None:
    hours = project / "domain" / "store_hours.yml"
    hours.write_text(hours.read_text().replace("utter_store_closed:", "utter_store_shut:"))
    assert "utter_store_closed is used in skills/ but has no words in domain/" in (
        validate(project).problems
    )


def test_an_intent_nothing_answers_is_reported(project: Path) -> None:
    rules = project / "nlu_data" / "store_hours" / "rules.yml"
    rules.unlink()
    assert "intent store_hours is in no rule or story: nothing would answer it" in (
        validate(project).problems
    )
