"""The project validator: domain <-> skills <-> nlu_data <-> tests agree (like hassfest).

Run by ``run_assistant.py validate`` (and ``test-skill``) and by the tests. Every problem is one
line that starts with the file and line it is about ("skills/deals.py:12: ..."); a file that
does not parse is such a line too (never a traceback), and the checks that need it skip it.

The YAML and Python files are parsed, never executed, with one exception: the skill modules
are imported in Rasa's environment, in a subprocess with the network, file writes and
commands blocked (``assistant/import_guard.py``), to catch I/O at import time.

``Report.notes`` is the work a scaffold (``run_assistant.py new-skill``) leaves: lines marked
``TODO(new-skill)`` and intents whose only examples are TODO placeholders. Notes do not fail.
"""

from __future__ import annotations

import ast
import json
import re
import string
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.settings import ROOT

# Modules of skills/ that support skills rather than being one.
SUPPORT_MODULES = {"__init__", "base", "client", "twin", "speech", "phrases", "handover"}
# Intents the front end sends as "/intent" (never spoken, so they have no examples).
TRIGGERED_INTENTS = {"provide_pin"}
# Intents and actions Rasa 3.6 defines itself (rasa.shared.core.constants).
RASA_INTENTS = {"nlu_fallback", "restart", "back", "session_start", "out_of_scope"}
RASA_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_default_ask_affirmation",
    "action_default_ask_rephrase",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "action_send_text",
    "action_extract_slots",
    "action_validate_slot_mappings",
}
# utter_message's own arguments: the rest are values for the response's placeholders.
UTTER_ARGUMENTS = {"text", "image", "json_message", "template", "response", "attachment"}
UTTER_ARGUMENTS |= {"buttons", "elements"}
MIN_EXAMPLES = 30
# Rasa's syntax: the action server's supported Python.
RASA_PYTHON = (3, 10)
TODO_MARK = "TODO(new-skill)"
# A placeholder example of a scaffold ("- todo deals example 3").
TODO_EXAMPLE = re.compile(r"\btodo\b", re.IGNORECASE)
# [text](entity), [text](entity:value), [text](entity@role), [text]{"entity": ...}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")
PLACEHOLDER = re.compile(r"\{([^\n{}]+?)\}")  # as Rasa's interpolator reads them
IMPORT_TIMEOUT_S = 60
# The interpreter of Rasa's environment (the action server's) that imports the skills.
RASA_PYTHON_BIN = ROOT / ".venv-rasa" / "bin" / "python"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Text(str):
    """A YAML string that knows the line it starts on."""

    line = 1


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml's safe loader (libyaml's when there) whose strings carry their line (1-based)."""


def _located_string(loader: _Loader, node: yaml.ScalarNode) -> _Text:
    text = _Text(loader.construct_scalar(node))
    # a block scalar ("examples: |") starts on the line after its indicator
    text.line = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
    return text


_Loader.add_constructor("tag:yaml.org,2002:str", _located_string)


def line_of(value: Any) -> int:
    return getattr(value, "line", 1)


@dataclass
class Example:
    text: str
    intent: str
    where: str


@dataclass
class ActionClass:
    action: str
    name: str
    module: str
    where: str


@dataclass
class Utterance:
    """A ``say("utter_x", a=..)`` / ``utter_message(response="utter_x", a=..)`` in a skill."""

    response: str
    arguments: set[str]
    open_ended: bool  # **values: the arguments are not known
    where: str


@dataclass
class Project:
    """The files of one project copy, parsed once; parse errors go to ``report``."""

    root: Path
    report: Report = field(default_factory=Report)
    _yaml: dict[Path, Any] = field(default_factory=dict)
    _python: dict[Path, ast.Module | None] = field(default_factory=dict)
    unparsed: set[str] = field(default_factory=set)  # files that did not parse

    def complete(self, folder: str) -> bool:
        """Whether every file under ``folder`` parsed (checks that compare against a folder
        skip it otherwise: its parse error is the problem to fix first)."""
        return not any(f.startswith(folder + "/") for f in self.unparsed)

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def at(self, path: Path, line: int = 1) -> str:
        return f"{self.rel(path)}:{line}"

    def files(self, folder: str, pattern: str) -> list[Path]:
        return sorted((self.root / folder).glob(pattern))

    def text(self, path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            self.unparseable(path, 1, f"cannot be read: {err}")
            return None

    def yaml(self, path: Path) -> Any:
        """The file's YAML (strings as ``_Text``), or None when it does not parse."""
        if path not in self._yaml:
            self._yaml[path] = self._load_yaml(path)
        return self._yaml[path]

    def unparseable(self, path: Path, line: int, problem: str) -> None:
        self.unparsed.add(self.rel(path))
        self.report.add(f"{self.at(path, line)}: {problem}")

    def _load_yaml(self, path: Path) -> Any:
        source = self.text(path)
        if source is None:
            return None
        try:
            data = yaml.load(source, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            self.unparseable(path, line, f"YAML does not parse: {problem}")
            return None
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.unparseable(path, 1, "expected a YAML mapping at the top")
            return None
        return data

    def python(self, path: Path) -> ast.Module | None:
        """The module's syntax tree in Rasa's Python, or None when it does not parse."""
        if path not in self._python:
            self._python[path] = self._parse_python(path)
        return self._python[path]

    def _parse_python(self, path: Path) -> ast.Module | None:
        source = self.text(path)
        if source is None:
            return None
        try:
            return ast.parse(source, filename=self.rel(path), feature_version=RASA_PYTHON)
        except SyntaxError as err:
            version = ".".join(map(str, RASA_PYTHON))
            problem = f"Python {version} (Rasa's) cannot parse it: {err.msg}"
            self.unparseable(path, err.lineno or 1, problem)
            return None

    def entries(self, path: Path, key: str) -> list[Any]:
        """The list under ``key`` in a YAML file (a wrong shape is a problem, and [])."""
        value = self.section(path, self.yaml(path) or {}, key, list)
        return [v for v in value if v is not None]

    def section(self, path: Path, data: dict[Any, Any], key: str, kind: type) -> Any:
        """``data[key]`` when it is a ``kind`` (list or dict); else a problem, and empty."""
        value = data.get(key) or kind()
        if isinstance(value, kind):
            return value
        where = line_of(next((k for k in data if k == key), key))
        shape = "a list" if kind is list else "a mapping"
        self.report.add(f"{self.at(path, where)}: {key} should be {shape}")
        return kind()


@dataclass
class Domain:
    intents: dict[str, str] = field(default_factory=dict)  # name -> where declared
    entities: dict[str, str] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    forms: set[str] = field(default_factory=set)
    responses: dict[str, list[str]] = field(default_factory=dict)  # name -> its texts
    slots: set[str] = field(default_factory=set)


def _name(entry: Any) -> Any:
    """``- name`` or ``- name: {options}`` (and the key of a mapping)."""
    if isinstance(entry, dict):
        return next(iter(entry), "")
    return entry


def load_domain(project: Project) -> Domain:
    domain = Domain()
    for path in project.files("domain", "*.yml"):
        data = project.yaml(path)
        if data is None:
            continue
        for key, found in (
            ("intents", domain.intents),
            ("entities", domain.entities),
            ("actions", domain.actions),
        ):
            for entry in project.entries(path, key):
                name = _name(entry)
                found.setdefault(str(name), project.at(path, line_of(name)))
        domain.forms.update(str(name) for name in project.section(path, data, "forms", dict))
        domain.slots.update(str(name) for name in project.section(path, data, "slots", dict))
        for name, variations in project.section(path, data, "responses", dict).items():
            texts = domain.responses.setdefault(str(name), [])
            for variation in variations if isinstance(variations, list) else []:
                if isinstance(variation, dict) and isinstance(variation.get("text"), str):
                    texts.append(variation["text"])
    return domain


def _calls(tree: ast.AST) -> Iterator[tuple[ast.Call, str]]:
    """Every call with the name it calls (``f(...)`` -> f, ``x.f(...)`` -> f)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                yield node, func.id
            elif isinstance(func, ast.Attribute):
                yield node, func.attr


def action_classes(project: Project, path: Path) -> list[ActionClass]:
    tree = project.python(path)
    found = []
    for node in ast.walk(tree) if tree else ():
        if not isinstance(node, ast.ClassDef):
            continue
        for statement in node.body:
            if (
                isinstance(statement, ast.Assign)
                and any(getattr(t, "id", None) == "action_name" for t in statement.targets)
                and isinstance(statement.value, ast.Constant)
                and statement.value.value
            ):
                where = project.at(path, node.lineno)
                found.append(ActionClass(str(statement.value.value), node.name, path.stem, where))
    return found


def utterances(project: Project, path: Path) -> list[Utterance]:
    tree = project.python(path)
    found = []
    for call, name in _calls(tree) if tree else ():
        response: ast.expr | None = None
        if name == "say" and call.args:
            response = call.args[0]
        elif name == "utter_message":
            response = next((k.value for k in call.keywords if k.arg == "response"), None)
        if not (isinstance(response, ast.Constant) and str(response.value).startswith("utter_")):
            continue
        arguments = {k.arg for k in call.keywords if k.arg} - UTTER_ARGUMENTS
        open_ended = any(k.arg is None for k in call.keywords)
        where = project.at(path, response.lineno)
        found.append(Utterance(str(response.value), arguments, open_ended, where))
    return found


def response_names(project: Project, path: Path) -> dict[str, str]:
    """The ``"utter_*"`` strings of a module -> where the first one is."""
    tree = project.python(path)
    found: dict[str, str] = {}
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Constant) and re.fullmatch(r"utter_[a-z0-9_]+", str(node.value)):
            found.setdefault(str(node.value), project.at(path, node.lineno))
    return found


def actions_run(tree: ast.Module) -> set[str]:
    """Names of the classes whose instances a test runs: ``run(ActionX(), ...)``,
    ``ActionX().run(...)``, or an instance bound to a name first (``a = ActionX()``)."""
    instances: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            made = node.value.func
            made_name = getattr(made, "id", None) or getattr(made, "attr", None)
            for target in node.targets:
                if isinstance(target, ast.Name) and made_name:
                    instances[target.id] = made_name
    run: set[str] = set()
    for call, name in _calls(tree):
        if name != "run":
            continue
        for part in [*call.args, *(k.value for k in call.keywords), call.func]:
            for inner in ast.walk(part):
                if isinstance(inner, ast.Call) and inner is not call:
                    func = inner.func
                    run.add(str(getattr(func, "id", None) or getattr(func, "attr", "")))
                elif isinstance(inner, ast.Name):
                    run.add(instances.get(inner.id, inner.id))
    return run


def normalise(text: str) -> str:
    """A sentence as the duplicate check compares it: annotations stripped, lowercase,
    punctuation as spaces (apostrophes dropped), whitespace collapsed."""
    text = ANNOTATION.sub(lambda m: m["text"], text).lower().replace("\u2019", "'")
    text = text.replace("'", "").translate({ord(c): " " for c in string.punctuation})
    return " ".join(text.split())


def _annotated(example: str) -> Iterator[str]:
    for match in ANNOTATION.finditer(example):
        if match["json"]:
            try:
                yield str(json.loads(match["json"])["entity"])
            except (ValueError, KeyError, TypeError):
                continue
        else:
            yield re.split(r"[:@]", match["short"])[0]


@dataclass
class Training:
    examples: list[Example] = field(default_factory=list)
    intents: dict[str, str] = field(default_factory=dict)  # intent -> first block
    entities: dict[str, str] = field(default_factory=dict)  # entity -> first annotation
    dialogue_intents: set[str] = field(default_factory=set)
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, name, where)


def load_training(project: Project) -> Training:
    data = Training()
    for path in project.files("nlu_data", "**/*.yml"):
        if project.yaml(path) is None:
            continue
        for block in project.entries(path, "nlu"):
            if not isinstance(block, dict) or "intent" not in block:
                continue
            intent = str(block["intent"])
            data.intents.setdefault(intent, project.at(path, line_of(block["intent"])))
            examples = block.get("examples") or ""
            first = line_of(examples)
            for offset, raw in enumerate(str(examples).splitlines()):
                if not raw.strip().startswith("-"):
                    continue
                example = raw.strip()[1:].strip()
                where = project.at(path, first + offset)
                data.examples.append(Example(example, intent, where))
                for entity in _annotated(example):
                    data.entities.setdefault(entity, where)
        for key in ("rules", "stories"):
            for flow in project.entries(path, key):
                steps = project.section(path, flow, "steps", list) if isinstance(flow, dict) else []
                for step in steps:
                    for kind in ("intent", "action"):
                        if isinstance(step, dict) and kind in step:
                            name = step[kind]
                            where = project.at(path, line_of(name))
                            data.steps.append((kind, str(name), where))
                            if kind == "intent":
                                data.dialogue_intents.add(str(name))
    return data


def check_registration(project: Project, domain: Domain, classes: list[ActionClass]) -> None:
    """domain actions <-> action classes; each skill's mirrored files."""
    report = project.report
    implemented: dict[str, list[ActionClass]] = {}
    for one in classes:
        implemented.setdefault(one.action, []).append(one)
    declared = {a: w for a, w in domain.actions.items() if a.startswith("action_")}
    for action in (
        sorted(declared.keys() - implemented.keys()) if project.complete("skills") else ()
    ):
        report.add(f"{declared[action]}: {action} is in the domain but no class in skills/ has it")
    for action, found in sorted(implemented.items()):
        if action not in declared and project.complete("domain"):
            report.add(f"{found[0].where}: {action} is not declared in any domain/*.yml")
        if len(found) > 1:
            modules = ", ".join(f"{f.module}.py" for f in found)
            report.add(f"{found[1].where}: {action} is implemented more than once: {modules}")
    for skill in sorted({f.module for f in classes} - SUPPORT_MODULES):
        for needed in (f"nlu_data/{skill}", f"domain/{skill}.yml", f"tests/skills/test_{skill}.py"):
            if not (project.root / needed).exists():
                report.add(f"skills/{skill}.py:1: skill {skill!r} is missing {needed}")


def check_responses(
    project: Project, domain: Domain, skill_files: list[Path], training: Training
) -> None:
    """Every response a skill or rule names has words, and its placeholders get values."""
    report = project.report
    if not project.complete("domain"):
        return
    for path in skill_files:
        for response, where in sorted(response_names(project, path).items()):
            if response not in domain.responses:
                report.add(f"{where}: {response} is used in skills/ but has no words in domain/")
        for said in utterances(project, path):
            texts = domain.responses.get(said.response, [])
            wanted = {p for text in texts for p in PLACEHOLDER.findall(text)}
            if not said.open_ended:
                for missing in sorted(wanted - said.arguments - domain.slots):
                    report.add(
                        f"{said.where}: {said.response} says {{{missing}}} but this call passes "
                        f"no {missing}= (the customer would hear “{{{missing}}}”); it passes "
                        f"{', '.join(sorted(said.arguments)) or 'nothing'}"
                    )
            for unused in sorted(said.arguments - wanted) if texts else ():
                report.add(
                    f"{said.where}: {said.response} is passed {unused}= but none of its texts "
                    f"in domain/ says {{{unused}}}"
                )
    for kind, name, where in training.steps:
        if kind == "action" and name.startswith("utter_"):
            for text in domain.responses.get(name, []):
                for missing in sorted(set(PLACEHOLDER.findall(text)) - domain.slots):
                    report.add(f"{where}: {name} says {{{missing}}}, which no slot fills")


def check_training(project: Project, domain: Domain, training: Training) -> None:
    """Intents, entities, rules and stories against the domain; examples: enough, no clash."""
    report = project.report
    check_examples(project, training)
    if not (project.complete("domain") and project.complete("nlu_data")):
        return
    for intent in sorted(training.intents.keys() - domain.intents.keys()):
        where = training.intents[intent]
        report.add(f"{where}: intent {intent} has examples but is not declared in domain/")
    for intent in sorted(domain.intents.keys() - training.intents.keys() - TRIGGERED_INTENTS):
        where = domain.intents[intent]
        report.add(f"{where}: intent {intent} is declared but has no examples in nlu_data/")
    for intent in sorted(domain.intents.keys() - training.dialogue_intents):
        where = domain.intents[intent]
        report.add(f"{where}: intent {intent} is in no rule or story: nothing would answer it")
    for entity in sorted(training.entities.keys() - domain.entities.keys()):
        where = training.entities[entity]
        report.add(
            f"{where}: entity {entity} is annotated in nlu_data/ but not declared in domain/"
        )
    actions = domain.actions.keys() | domain.responses.keys() | domain.forms | RASA_ACTIONS
    for kind, name, where in training.steps:
        if kind == "action" and name not in actions:
            report.add(
                f"{where}: action {name} is named in a rule or story but does not exist "
                "(no domain/*.yml declares it)"
            )
        if kind == "intent" and name not in domain.intents.keys() | RASA_INTENTS:
            report.add(f"{where}: intent {name} is named in a rule or story but not declared")


def check_examples(project: Project, training: Training) -> None:
    report = project.report
    by_intent: dict[str, list[Example]] = {}
    first_seen: dict[str, Example] = {}
    for example in training.examples:
        by_intent.setdefault(example.intent, []).append(example)
        key = normalise(example.text)
        earlier = first_seen.setdefault(key, example)
        if earlier.intent != example.intent:
            report.add(
                f"{example.where}: “{example.text}” is under {example.intent} and also under "
                f"{earlier.intent} ({earlier.where}): keep it under one intent"
            )
    for intent, where in sorted(training.intents.items()):
        examples = by_intent.get(intent, [])
        real = [e for e in examples if not TODO_EXAMPLE.search(e.text)]
        if len(real) >= MIN_EXAMPLES:
            continue
        if len(real) < len(examples):
            report.notes.append(
                f"{where}: intent {intent} has {len(examples) - len(real)} TODO placeholder "
                f"example(s) and {len(real)} real one(s): write {MIN_EXAMPLES}+ the way "
                "customers say it"
            )
        elif intent not in TRIGGERED_INTENTS:
            report.add(
                f"{where}: intent {intent} has {len(examples)} example(s); it needs at least "
                f"{MIN_EXAMPLES}"
            )


def check_tests(project: Project, classes: list[ActionClass]) -> None:
    """Every action is run by some skill test, and each skill's own test runs one of its."""
    run_by: dict[str, set[str]] = {}
    for path in project.files("tests/skills", "*.py"):
        tree = project.python(path)
        if tree is not None:
            run_by[path.stem] = actions_run(tree)
    everything = set().union(*run_by.values())
    complete = project.complete("tests/skills")
    by_skill: dict[str, list[ActionClass]] = {}
    for one in classes:
        by_skill.setdefault(one.module, []).append(one)
        if complete and one.name not in everything and one.module not in SUPPORT_MODULES:
            project.report.add(
                f"{one.where}: {one.name} ({one.action}) is run by no test in tests/skills/"
            )
    for skill, found in sorted(by_skill.items()):
        own = run_by.get(f"test_{skill}")
        if own is not None and not own & {f.name for f in found}:
            names = ", ".join(f.name for f in found)
            project.report.add(
                f"tests/skills/test_{skill}.py:1: never runs an action of skills/{skill}.py "
                f"({names}): run one, e.g. run({found[0].name}(), tracker(text, intent))"
            )


def check_imports(project: Project, modules: list[str], python: Path | None) -> None:
    """Import the skill modules in Rasa's environment with I/O blocked (import_guard.py)."""
    if python is None or not python.exists():
        project.report.notes.append(
            f"skills/ were not imported: no Rasa environment ({python}); run `make setup-all`"
        )
        return
    guard = Path(__file__).with_name("import_guard.py")
    try:
        done = subprocess.run(  # noqa: S603 - our own script, no shell
            [str(python), str(guard), str(project.root), *modules],
            cwd=project.root,
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        project.report.add(
            f"skills/__init__.py:1: importing skills/ took over {IMPORT_TIMEOUT_S} s: "
            "a module waits for something at import time"
        )
        return
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        project.report.add(f"skills/__init__.py:1: the import check failed: {last}")
        return
    seen = set()
    for line in done.stdout.splitlines():
        found = json.loads(line)
        where, what = f"{found['file']}:{found['line']}", found["what"]
        if (where, what) in seen:
            continue  # a module every skill imports fails for each of them
        seen.add((where, what))
        why = (
            "one failed import stops the whole action server"
            if what.startswith("fails to import")
            else "skills do no I/O at import time: the action server imports them all at start"
        )
        when = "" if what.startswith("fails to import") else " at import time"
        project.report.add(f"{where}: {what}{when} ({why})")


def check_todos(project: Project, paths: list[Path]) -> None:
    for path in paths:
        text = project.text(path) if path.is_file() else None
        for number, line in enumerate((text or "").splitlines(), 1):
            if TODO_MARK in line:
                said = line.split(TODO_MARK, 1)[1].strip(" :-\"'#")
                project.report.notes.append(f"{project.at(path, number)}: {TODO_MARK} {said}")


def validate(root: Path = ROOT, python: Path | None = None) -> Report:
    """Check the project at ``root``; ``python`` runs the import check (default: this
    project's Rasa environment)."""
    project = Project(root)
    domain = load_domain(project)
    skill_files = project.files("skills", "*.py")
    test_files = project.files("tests/skills", "*.py")
    classes = [found for path in skill_files for found in action_classes(project, path)]
    for path in test_files:
        project.python(path)
    check_registration(project, domain, classes)
    training = load_training(project)
    check_responses(project, domain, skill_files, training)
    check_training(project, domain, training)
    check_tests(project, classes)
    importable = [f"skills.{p.stem}" for p in skill_files if project.python(p) is not None]
    modules = ["skills", *(m for m in importable if m != "skills.__init__")]
    check_imports(project, modules, python or RASA_PYTHON_BIN)
    check_todos(
        project,
        [
            *skill_files,
            *test_files,
            *project.files("domain", "*.yml"),
            *project.files("nlu_data", "**/*.yml"),
        ],
    )
    return project.report
