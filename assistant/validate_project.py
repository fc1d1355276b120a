"""The project validator: domain <-> skills <-> nlu_data <-> tests agree (like hassfest).

The checks; the files they check are read by ``assistant/project_files.py``.

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

import json
import re
import subprocess
from pathlib import Path

from assistant.project_files import (
    UTTER_ARGUMENTS,
    ActionClass,
    Domain,
    Example,
    Project,
    Report,
    Training,
    action_classes,
    actions_run,
    load_domain,
    load_training,
    normalise,
    response_names,
    utterances,
)
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
UTTER_ARGUMENTS |= {"buttons", "elements"}
MIN_EXAMPLES = 30
TODO_MARK = "TODO(new-skill)"
# A placeholder example of a scaffold ("- todo deals example 3").
TODO_EXAMPLE = re.compile(r"\btodo\b", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\{([^\n{}]+?)\}")  # as Rasa's interpolator reads them
IMPORT_TIMEOUT_S = 60
# The interpreter of Rasa's environment (the action server's) that imports the skills.
RASA_PYTHON_BIN = ROOT / ".venv-rasa" / "bin" / "python"


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
