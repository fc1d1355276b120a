"""The project validator: domain <-> skills <-> nlu_data <-> tests agree (like hassfest).

Run by the test suite and by ``run_assistant.py validate``. It reads files only (the skills
are parsed, not imported: they need Rasa's environment).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.settings import ROOT

# Modules of skills/ that support skills rather than being one.
SUPPORT_MODULES = {"__init__", "base", "client", "twin", "speech", "phrases"}
# Intents the front end sends as "/intent" (never spoken, so they have no examples).
TRIGGERED_INTENTS = {"provide_pin"}


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_domain(root: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "intents": [],
        "entities": [],
        "actions": [],
        "responses": {},
        "slots": {},
    }
    for path in sorted((root / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text()) or {}
        for key in ("intents", "entities", "actions"):
            merged[key] += [next(iter(i)) if isinstance(i, dict) else i for i in part.get(key, [])]
        merged["responses"].update(part.get("responses") or {})
        merged["slots"].update(part.get("slots") or {})
    return merged


def skill_actions(root: Path) -> dict[str, list[str]]:
    """action name -> the skill modules whose classes declare it."""
    found: dict[str, list[str]] = {}
    for path in sorted((root / "skills").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and any(getattr(t, "id", None) == "action_name" for t in statement.targets)
                    and isinstance(statement.value, ast.Constant)
                    and statement.value.value
                ):
                    found.setdefault(str(statement.value.value), []).append(path.stem)
    return found


def used_responses(root: Path) -> set[str]:
    pattern = re.compile(r"[\"'](utter_[a-z0-9_]+)[\"']")
    used: set[str] = set()
    for path in (root / "skills").glob("*.py"):
        used.update(pattern.findall(path.read_text()))
    return used


def nlu_intents_and_entities(root: Path) -> tuple[set[str], set[str], set[str]]:
    """(intents with examples, entities annotated, intents used in rules/stories)."""
    intents: set[str] = set()
    entities: set[str] = set()
    in_dialogue: set[str] = set()
    annotation = re.compile(r"\]\((\w+)(?:[:)])|\]\{\"entity\": \"(\w+)\"")
    for path in sorted((root / "nlu_data").rglob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        for block in data.get("nlu", []) or []:
            if "intent" in block:
                intents.add(block["intent"])
                for match in annotation.finditer(str(block.get("examples", ""))):
                    entities.add(match.group(1) or match.group(2))
        for key in ("rules", "stories"):
            for flow in data.get(key, []) or []:
                for step in flow.get("steps", []):
                    if "intent" in step:
                        in_dialogue.add(step["intent"])
    return intents, entities, in_dialogue


def validate(root: Path = ROOT) -> Report:
    report = Report()
    domain = load_domain(root)
    declared_actions = {a for a in domain["actions"] if a.startswith("action_")}
    implemented = skill_actions(root)
    for action in sorted(declared_actions - implemented.keys()):
        report.add(f"{action} is in the domain but no class in skills/ implements it")
    for action, modules in sorted(implemented.items()):
        if action not in declared_actions:
            report.add(f"{action} ({modules[0]}.py) is not declared in any domain/*.yml")
        if len(modules) > 1:
            report.add(f"{action} is implemented more than once: {', '.join(modules)}")
    for response in sorted(used_responses(root) - set(domain["responses"])):
        report.add(f"{response} is used in skills/ but has no words in domain/")
    skills = {m for ms in implemented.values() for m in ms} - SUPPORT_MODULES
    for skill in sorted(skills):
        for needed in (f"nlu_data/{skill}", f"domain/{skill}.yml", f"tests/skills/test_{skill}.py"):
            if not (root / needed).exists():
                report.add(f"skill {skill!r} is missing {needed}")
    intents, entities, in_dialogue = nlu_intents_and_entities(root)
    declared_intents = set(domain["intents"])
    for intent in sorted(intents - declared_intents):
        report.add(f"intent {intent} has examples but is not declared in domain/")
    for intent in sorted(declared_intents - intents - TRIGGERED_INTENTS):
        report.add(f"intent {intent} is declared but has no examples in nlu_data/")
    for intent in sorted(declared_intents - in_dialogue):
        report.add(f"intent {intent} is in no rule or story: nothing would answer it")
    for entity in sorted(entities - set(domain["entities"])):
        report.add(f"entity {entity} is annotated in nlu_data/ but not declared in domain/")
    return report
