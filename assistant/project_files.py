"""The project's files as the validator reads them: the domain, the skills' action classes and
replies, the training data and the tests, parsed once (YAML and Python, never executed) with
the line each thing is on; what does not parse becomes one line of the report."""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# utter_message's own arguments: the rest are values for the response's placeholders.
UTTER_ARGUMENTS = {"text", "image", "json_message", "template", "response", "attachment"}
# Rasa's syntax: the action server's supported Python.
RASA_PYTHON = (3, 10)
# [text](entity), [text](entity:value), [text](entity@role), [text]{"entity": ...}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


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
    ``act(ActionX(), ...)`` (tests/skills/conftest.py), ``ActionX().run(...)``, or an instance
    bound to a name first (``a = ActionX()``)."""
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
        if name not in ("run", "act"):
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
