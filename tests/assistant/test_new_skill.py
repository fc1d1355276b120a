"""`new-skill` writes a skill that passes `validate` and its own test before anything is filled
in; `test-skill` runs one skill's tests in Rasa's environment, then the validator."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import new_skill
from assistant.errors import ConfigError
from assistant.new_skill import next_steps, render, scaffold
from assistant.settings import ROOT, load_settings
from assistant.validate_project import RASA_PYTHON_BIN, validate
from tests.conftest import service_missing

# What a skill needs of the project: its data, the skills (and the shapes of the commerce
# service's answers they import) and their tests (and the local HTTP server one of them uses),
# the tooling config.
NEEDED: tuple[str, ...] = ("domain", "nlu_data", "skills", "shapes", "tests/skills")
NEEDED += ("tests/__init__.py", "tests/local_http.py")
NEEDED_FILES = ("config.yml", "pyproject.toml")
FILES = (
    "nlu_data/deals/nlu.yml",
    "nlu_data/deals/rules.yml",
    "domain/deals.yml",
    "skills/deals.py",
    "tests/skills/test_deals.py",
)

# How `make test` runs tests/skills (Rasa's environment)
SKILL_TESTS = [str(RASA_PYTHON_BIN), "-m", "pytest", "-q", "--confcutdir=tests/skills"]
SKILL_TESTS += ["-p", "no:cacheprovider", "-W", "ignore::pytest.PytestConfigWarning"]
RASA_DATA_VALIDATE = [str(RASA_PYTHON_BIN.with_name("rasa")), "data", "validate"]
RASA_DATA_VALIDATE += ["--domain", "domain", "--data", "nlu_data"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if not RASA_PYTHON_BIN.exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(RASA_PYTHON_BIN))
    for part in NEEDED:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, tmp_path / part)
    for name in NEEDED_FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / ".venv-rasa").symlink_to(ROOT / ".venv-rasa")
    return tmp_path


def run_skill_tests(project: Path, *tests: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SKILL_TESTS, *tests],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_scaffold_passes_validate_and_its_own_test_as_written(project: Path) -> None:
    before = set(validate(project).problems)  # others may be changing the project meanwhile
    written = scaffold(project, "deals")
    assert [p.relative_to(project).as_posix() for p in written] == list(FILES)
    report = validate(project)
    assert [p for p in report.problems if p not in before] == []
    # what is left to do is listed, each with its file and line
    assert any(
        n.startswith("nlu_data/deals/nlu.yml:9: intent deals has 3 TODO") for n in report.notes
    )
    assert any(n.startswith("domain/deals.yml:") and "TODO(new-skill)" in n for n in report.notes)
    done = run_skill_tests(project, "tests/skills/test_deals.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_scaffold_follows_the_project_style(project: Path) -> None:
    written = [
        str(p) for p in scaffold(project, "deal_alerts", ["deal_alert_on", "deal_alert_off"])
    ]
    python = [p for p in written if p.endswith(".py")]
    for check in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *check, *python],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_skill_of_several_intents(project: Path) -> None:
    before = set(validate(project).problems)
    scaffold(project, "deal_alerts", ["deal_alert_on", "deal_alert_off"])
    domain = (project / "domain" / "deal_alerts.yml").read_text()
    for name in ("deal_alert_on", "action_deal_alert_off", "utter_deal_alert_on:"):
        assert name in domain
    skill = (project / "skills" / "deal_alerts.py").read_text()
    assert "class ActionDealAlertOn(SkillAction)" in skill
    assert "class ActionDealAlertOff(SkillAction)" in skill
    assert [p for p in validate(project).problems if p not in before] == []
    done = run_skill_tests(project, "tests/skills/test_deal_alerts.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_test_skill_command(project: Path) -> None:
    consistent = validate(project).ok  # others may be changing the project meanwhile
    scaffold(project, "deals")
    out = io.StringIO()
    code = new_skill.test_skill(replace(load_settings(), root=project), "deals", out)
    lines = out.getvalue().splitlines()
    if consistent:
        assert code == 0
        assert lines[-2].startswith("project is consistent (")
        assert lines[-1].startswith("test-skill deals: passed in ")
    else:
        assert lines[-1].startswith("test-skill deals: validate failed in "), lines
    # a failing test fails the command
    test = project / "tests" / "skills" / "test_deals.py"
    test.write_text(test.read_text().replace('== ["utter_deals"]', '== ["utter_nothing"]'))
    assert new_skill.test_skill(replace(load_settings(), root=project), "deals", io.StringIO()) == 1


def test_an_existing_name_is_refused_and_nothing_is_written(project: Path) -> None:
    before = sorted(project.rglob("*"))
    with pytest.raises(ConfigError, match=r"skills/store_hours\.py exists"):
        scaffold(project, "store_hours")
    with pytest.raises(ConfigError, match="intent search_product exists"):
        scaffold(project, "deals", ["search_product"])
    with pytest.raises(ConfigError, match="'twin' is a support module"):
        scaffold(project, "twin")
    with pytest.raises(ConfigError, match="not a lowercase Python name"):
        scaffold(project, "Deals")
    assert sorted(project.rglob("*")) == before


def test_next_steps_name_the_files_and_commands(project: Path) -> None:
    written = scaffold(project, "deals")
    said = next_steps(project, "deals", written)
    for text in (*FILES, "run_assistant.py test-skill deals", "run_assistant.py train", "chat"):
        assert text in said


def test_render_repeats_a_block_per_intent() -> None:
    template = "a ${skill}\n#{for intent}\n- ${intent}\n#{end}\nz\n"
    intents = [{"intent": "x"}, {"intent": "y"}]
    assert render(template, {"skill": "s"}, intents) == "a s\n- x\n- y\nz\n"


@pytest.mark.slow
def test_rasa_accepts_the_scaffold(project: Path) -> None:
    scaffold(project, "deals")
    done = subprocess.run(
        RASA_DATA_VALIDATE,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
