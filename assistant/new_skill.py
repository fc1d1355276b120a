"""``run_assistant.py new-skill`` and ``test-skill``: a skill from templates, its tests alone.

The templates are data files in ``assistant/templates/skill/`` (their README says how they are
filled in). A new skill is refused when any of its files, intents, actions or responses
exists already; nothing is written then.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
import time
from pathlib import Path
from string import Template
from typing import TextIO

from assistant.errors import ConfigError, DialogueError
from assistant.project_files import Project, Report, load_domain, load_training
from assistant.settings import Settings
from assistant.validate_project import RASA_INTENTS, SUPPORT_MODULES, validate

TEMPLATES = Path(__file__).resolve().parent / "templates" / "skill"
# template -> where it is written ({name}: the skill)
OUTPUTS = {
    "nlu.yml.tmpl": "nlu_data/{name}/nlu.yml",
    "rules.yml.tmpl": "nlu_data/{name}/rules.yml",
    "domain.yml.tmpl": "domain/{name}.yml",
    "skill.py.tmpl": "skills/{name}.py",
    "test_skill.py.tmpl": "tests/skills/test_{name}.py",
}
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
BLOCK = re.compile(r"^#\{for intent\}\n(.*?)^#\{end\}\n", re.MULTILINE | re.DOTALL)


def render(template: str, values: dict[str, str], intents: list[dict[str, str]]) -> str:
    """Substitute ``values``; a ``#{for intent}`` … ``#{end}`` block once per intent."""
    parts = []
    for number, piece in enumerate(BLOCK.split(template)):
        if number % 2:  # a block's body
            parts += [Template(piece).substitute(values, **intent) for intent in intents]
        else:
            parts.append(Template(piece).substitute(values))
    return "".join(parts)


def _intent(name: str) -> dict[str, str]:
    return {
        "intent": name,
        "intent_words": name.replace("_", " "),
        "action": f"action_{name}",
        "Action": "Action" + "".join(word.title() for word in name.split("_")),
        "response": f"utter_{name}",
    }


def refusals(root: Path, name: str, intents: list[str]) -> list[str]:
    """Why the skill cannot be written (nothing when it can)."""
    bad = [n for n in [name, *intents] if not IDENTIFIER.fullmatch(n) or keyword.iskeyword(n)]
    if bad:
        return [f"{n!r} is not a lowercase Python name (a-z, 0-9, _)" for n in bad]
    why = [f"{n!r} is named twice" for n in sorted(set(intents)) if intents.count(n) > 1]
    if name in SUPPORT_MODULES:
        why.append(f"{name!r} is a support module of skills/")
    mirrored = ("skills/{}.py", "nlu_data/{}", "domain/{}.yml", "tests/skills/test_{}.py")
    why += [f"{p} exists" for p in (m.format(name) for m in mirrored) if (root / p).exists()]
    project = Project(root)
    domain = load_domain(project)
    known_intents = domain.intents.keys() | load_training(project).intents.keys() | RASA_INTENTS
    for intent in map(_intent, intents):
        if intent["intent"] in known_intents:
            why.append(f"intent {intent['intent']} exists")
        if intent["action"] in domain.actions:
            why.append(f"action {intent['action']} exists")
        if intent["response"] in domain.responses:
            why.append(f"response {intent['response']} exists")
    return why


def scaffold(root: Path, name: str, intents: list[str] | None = None) -> list[Path]:
    """Write the skill's files under ``root``; raise ConfigError (writing nothing) if refused."""
    intents = intents or [name]
    why = refusals(root, name, intents)
    if why:
        raise ConfigError("skill-exists", f"new-skill {name} refused: " + "; ".join(why))
    values = {
        "skill": name,
        "skill_words": name.replace("_", " ").capitalize(),
        "imports": ", ".join(sorted(_intent(i)["Action"] for i in intents)),
    }
    written = []
    for template, target in OUTPUTS.items():
        text = render((TEMPLATES / template).read_text(), values, [_intent(i) for i in intents])
        path = root / target.format(name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    # Long names can make a line too long for the project's style: let ruff wrap it, if here.
    python_files = [str(p) for p in written if p.suffix == ".py"]
    subprocess.run(  # noqa: S603 - our own interpreter, no shell
        [sys.executable, "-m", "ruff", "format", "-q", *python_files],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return written


def next_steps(root: Path, name: str, written: list[Path]) -> str:
    template = Template((TEMPLATES / "next_steps.txt.tmpl").read_text())
    return template.substitute(
        skill=name,
        skill_words=name.replace("_", " "),
        count=len(written),
        files="\n".join(f"  {p.relative_to(root)}" for p in written),
    )


def report_lines(report: Report) -> list[str]:
    """What ``validate`` prints: the problems, the notes, then a summary."""
    lines = [*report.problems, *(f"note: {n}" for n in report.notes)]
    if not report.ok:
        return [*lines, f"{len(report.problems)} problem(s)"]
    left = f" ({len(report.notes)} note(s): scaffold work left)" if report.notes else ""
    return [*lines, f"project is consistent{left}"]


def rasa_python(settings: Settings) -> Path:
    return settings.path(settings.dialogue.venv) / "bin" / "python"


def test_skill(settings: Settings, name: str, out: TextIO) -> int:
    """The skill's tests in Rasa's environment, then the validator; 0 when both pass."""
    root = settings.root
    test = Path("tests") / "skills" / f"test_{name}.py"
    if not (root / test).exists():
        raise ConfigError("skill-unknown", f"{test} does not exist: is {name!r} a skill?")
    python = rasa_python(settings)
    if not python.exists():
        raise DialogueError("rasa-missing", f"{python} is missing: run `make setup-all`.")
    started = time.monotonic()
    tests = subprocess.run(  # noqa: S603 - our own interpreter, no shell
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "--confcutdir=tests/skills",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::pytest.PytestConfigWarning",
            str(test),
        ],
        cwd=root,
        check=False,
    )
    out.flush()
    report = validate(root, python)
    for line in report_lines(report):
        print(line, file=out)
    passed = tests.returncode == 0 and report.ok
    verdict = "passed" if passed else "tests failed" if tests.returncode else "validate failed"
    print(f"test-skill {name}: {verdict} in {time.monotonic() - started:.1f} s", file=out)
    return 0 if passed else 1
