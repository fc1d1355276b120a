"""The project validator on the real project, and on copies broken the ways a newcomer might.

Each broken copy must be named by file and line, in one line, never with a traceback.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import cli
from assistant.project_files import normalise
from assistant.settings import ROOT, load_settings
from assistant.validate_project import RASA_PYTHON_BIN, validate
from tests.conftest import service_missing

PARTS = ("domain", "skills", "shapes", "nlu_data", "tests/skills")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for part in PARTS:
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.fixture
def rasa_env() -> None:
    if not RASA_PYTHON_BIN.exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(RASA_PYTHON_BIN))


def line_with(path: Path, needle: str) -> int:
    """The 1-based line of ``path`` where ``needle`` first occurs."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is no longer in {path.name}: choose another way to break it"
    path.write_text(text.replace(old, new))


def append(path: Path, text: str) -> int:
    """Append ``text`` to a file; the line number its first line gets."""
    before = path.read_text()
    if not before.endswith("\n"):
        before += "\n"
    path.write_text(before + text)
    return before.count("\n") + 1


def problems_of(project: Path) -> list[str]:
    problems = validate(project).problems
    assert all("\n" not in p and "Traceback" not in p for p in problems)
    return problems


@pytest.fixture
def baseline(project: Path) -> set[str]:
    """The problems of the copy before a test breaks it (others may be changing the project
    while these tests run, and the copy has what it had then)."""
    return set(validate(project).problems)


def new_problems(project: Path, baseline: set[str]) -> list[str]:
    return [p for p in problems_of(project) if p not in baseline]


def test_the_project_is_consistent() -> None:
    report = validate(ROOT)
    assert report.problems == []


def test_an_action_without_a_domain_entry_is_reported(project: Path) -> None:
    (project / "skills" / "weather.py").write_text(
        "class ActionWeather:\n    action_name = 'action_weather'\n"
    )
    problems = problems_of(project)
    assert "skills/weather.py:1: action_weather is not declared in any domain/*.yml" in problems
    assert "skills/weather.py:1: skill 'weather' is missing nlu_data/weather" in problems


def test_a_response_without_words_is_reported(project: Path) -> None:
    edit(project / "domain" / "store_hours.yml", "utter_store_closed:", "utter_store_shut:")
    line = line_with(project / "skills" / "store_hours.py", '"utter_store_closed"')
    assert (
        f"skills/store_hours.py:{line}: utter_store_closed is used in skills/ but has no words "
        "in domain/"
    ) in problems_of(project)


def test_an_intent_nothing_answers_is_reported(project: Path) -> None:
    (project / "nlu_data" / "store_hours" / "rules.yml").unlink()
    line = line_with(project / "domain" / "store_hours.yml", "- store_hours")
    assert (
        f"domain/store_hours.yml:{line}: intent store_hours is in no rule or story: "
        "nothing would answer it"
    ) in problems_of(project)


def test_a_rule_naming_an_action_that_does_not_exist(project: Path) -> None:
    rules = project / "nlu_data" / "store_hours" / "rules.yml"
    edit(rules, "action_store_hours", "action_store_hourz")
    line = line_with(rules, "action_store_hourz")
    assert (
        f"nlu_data/store_hours/rules.yml:{line}: action action_store_hourz is named in a rule or "
        "story but does not exist (no domain/*.yml declares it)"
    ) in problems_of(project)


def test_a_story_naming_a_response_that_does_not_exist(project: Path) -> None:
    stories = project / "nlu_data" / "store_hours" / "stories.yml"
    stories.write_text(
        'version: "3.1"\nstories:\n- story: hours then thanks\n  steps:\n'
        "  - intent: store_hours\n  - action: action_store_hours\n  - action: utter_youre_welcom\n"
    )
    assert (
        "nlu_data/store_hours/stories.yml:7: action utter_youre_welcom is named in a rule or story "
        "but does not exist (no domain/*.yml declares it)"
    ) in problems_of(project)


def test_a_sentence_under_two_intents_after_normalising(project: Path) -> None:
    nlu = project / "nlu_data" / "store_hours" / "nlu.yml"
    first = append(
        nlu,
        "- intent: greet\n  examples: |\n    - Hello, is [Riverside](store) open?\n"
        "- intent: store_hours\n  examples: |\n    - hello is riverside open\n",
    )
    assert (
        f"nlu_data/store_hours/nlu.yml:{first + 5}: “hello is riverside open” is under "
        f"store_hours and also under greet (nlu_data/store_hours/nlu.yml:{first + 2}): "
        "keep it under one intent"
    ) in problems_of(project)


def test_normalise_ignores_case_punctuation_and_annotations() -> None:
    assert (
        normalise("Any DEALS on [Coffee](product), right now?") == "any deals on coffee right now"
    )
    assert normalise('i\u2019m out of [eggs]{"entity": "product"}') == "im out of eggs"
    assert normalise("add [two](quantity:2) [milk](product@item)") == "add two milk"


def test_an_intent_with_too_few_examples(project: Path) -> None:
    nlu = project / "nlu_data" / "store_hours" / "nlu.yml"
    examples = "".join(f"    - is riverside open on day {n}\n" for n in range(5))
    nlu.write_text(f'version: "3.1"\nnlu:\n- intent: store_hours\n  examples: |\n{examples}')
    assert (
        "nlu_data/store_hours/nlu.yml:3: intent store_hours has 5 example(s); it needs at least 30"
    ) in problems_of(project)


def test_response_placeholders_that_the_action_does_not_pass(project: Path) -> None:
    edit(project / "domain" / "store_hours.yml", "{closes}", "{closing}")
    module = project / "skills" / "store_hours.py"
    problems = problems_of(project)
    missing = " utter_store_hours says {closing} but this call passes no closing= (the customer"
    unused = " utter_store_hours is passed closes= but none of its texts in domain/ says {closes}"
    for wanted in (missing, unused):
        found = [p for p in problems if wanted in p]
        assert found, problems
        path, line = found[0].split(":")[:2]
        assert path == "skills/store_hours.py"
        assert '"utter_store_hours"' in module.read_text().splitlines()[int(line) - 1]


def test_a_slot_fills_a_placeholder_too(project: Path) -> None:
    edit(
        project / "domain" / "store_hours.yml", "{store} is closed", "{store} ({pending}) is closed"
    )
    assert not [p for p in problems_of(project) if "{pending}" in p]


def test_syntax_rasas_python_cannot_run(project: Path, baseline: set[str]) -> None:
    first = append(
        project / "skills" / "store_hours.py",
        "\n\ndef later():\n    try:\n        pass\n    except* ValueError:\n        pass\n",
    )
    problems = new_problems(project, baseline)
    # the module's actions are unknown now: no cascade of "no class has action_store_hours"
    assert len(problems) == 1, problems
    path, line, said = problems[0].split(":", 2)
    assert path == "skills/store_hours.py"
    assert first + 5 <= int(line) <= first + 6  # CPython names the except* or the line after
    assert said == (
        " Python 3.10 (Rasa's) cannot parse it: "
        "Exception groups are only supported in Python 3.11 and greater"
    )


def test_python_that_does_not_parse_names_the_file(project: Path, baseline: set[str]) -> None:
    test = project / "tests" / "skills" / "test_store_hours.py"
    line = append(test, "def broken(:\n    pass\n")
    assert new_problems(project, baseline) == [
        f"tests/skills/test_store_hours.py:{line}: Python 3.10 (Rasa's) cannot parse it: "
        "invalid syntax"
    ]


def test_yaml_that_does_not_parse_names_the_file_and_line(
    project: Path, baseline: set[str]
) -> None:
    line = append(project / "domain" / "store_hours.yml", "  utter_x:\n    - text: [unclosed\n")
    problems = new_problems(project, baseline)
    assert problems[0].startswith(f"domain/store_hours.yml:{line + 2}: YAML does not parse: ")
    assert len(problems) == 1, problems  # nothing else is judged against a half-read domain


def test_the_validate_command_prints_one_line_per_problem(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "nlu_data" / "store_hours" / "rules.yml").write_text("rules:\n  - rule: [x\n")
    settings = replace(load_settings(), root=project)
    code = cli.run(argparse.Namespace(command="validate"), settings)
    out = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out.out + out.err
    assert out.out.splitlines()[0].startswith("nlu_data/store_hours/rules.yml:3: YAML does not")
    assert out.out.splitlines()[-1].endswith(" problem(s)")


def test_a_skill_test_that_never_runs_its_action(project: Path) -> None:
    (project / "tests" / "skills" / "test_store_hours.py").write_text(
        "from skills.store_hours import ActionStoreHours, clock\n\n\n"
        "def test_clock():\n    assert clock('07:00') == '7 am'\n    assert ActionStoreHours\n"
    )
    line = line_with(project / "skills" / "store_hours.py", "class ActionStoreHours")
    problems = problems_of(project)
    assert (
        "tests/skills/test_store_hours.py:1: never runs an action of skills/store_hours.py "
        "(ActionStoreHours): run one, e.g. run(ActionStoreHours(), tracker(text, intent))"
    ) in problems
    assert (
        f"skills/store_hours.py:{line}: ActionStoreHours (action_store_hours) is run by no test "
        "in tests/skills/"
    ) in problems


@pytest.mark.parametrize(
    "test_file",
    [
        "import asyncio\n\nfrom skills.store_hours import ActionStoreHours\n\n\n"
        "def test_hours(state, dispatcher):\n    action = ActionStoreHours()\n"
        "    asyncio.run(action.run(dispatcher, state, {}))\n",
        "from skills.store_hours import ActionStoreHours\n"
        "from tests.skills.conftest import act\n\n\n"
        "def test_hours(shop):\n    act(ActionStoreHours(), 'when do you open', 'store_hours')\n",
    ],
    ids=["through-a-name", "through-act"],
)
def test_an_action_run_another_way_counts(project: Path, test_file: str) -> None:
    (project / "tests" / "skills" / "test_store_hours.py").write_text(test_file)
    assert not [p for p in problems_of(project) if "ActionStoreHours" in p]


@pytest.mark.usefixtures("rasa_env")
def test_io_at_import_time(project: Path) -> None:
    hours = project / "skills" / "store_hours.py"
    first = append(
        hours,
        "import requests\nfrom pathlib import Path\n\ntry:  # a swallowed failure is still found\n"
        '    requests.get("http://127.0.0.1:9/deals", timeout=1)\nexcept Exception:\n    pass\n'
        'Path("deals-cache.json").write_text("{}")\n',
    )
    problems = problems_of(project)
    assert (
        f"skills/store_hours.py:{first + 4}: opens a network connection to "
        "127.0.0.1:9 at import time (skills do no I/O at import time: the action server imports "
        "them all at start)"
    ) in problems
    assert any(
        p.startswith(f"skills/store_hours.py:{first + 7}: writes deals-cache.json at import time")
        for p in problems
    ), problems
    assert not (project / "deals-cache.json").exists()


@pytest.mark.usefixtures("rasa_env")
def test_a_module_that_fails_to_import_or_reads_a_file(project: Path) -> None:
    line = append(project / "skills" / "speech.py", "import no_such_module_here\n")
    (project / "skills" / "deals.py").write_text(
        'import json\n\nDEALS = json.load(open("d.json"))\n'
    )
    problems = problems_of(project)
    assert (
        f"skills/speech.py:{line}: fails to import: ModuleNotFoundError: "
        "No module named 'no_such_module_here' (one failed import stops the whole action server)"
    ) in problems
    assert len([p for p in problems if "no_such_module_here" in p]) == 1
    assert any(p.startswith("skills/deals.py:3: reads d.json at import time") for p in problems)


def test_yaml_of_the_wrong_shape_is_a_problem_not_a_crash(
    project: Path, baseline: set[str]
) -> None:
    (project / "domain" / "zz.yml").write_text('version: "3.1"\nresponses:\n  - utter_x\n')
    (project / "nlu_data" / "zz.yml").write_text("rules:\n- rule: x\n  steps: 5\n")
    problems = new_problems(project, baseline)
    assert "domain/zz.yml:2: responses should be a mapping" in problems
    assert "nlu_data/zz.yml:3: steps should be a list" in problems
