"""The NLU benchmark's runs (``bench_nlu.py``): ``rasa train`` timed, the held-out split, the
public eval and the model's load time. Runs in Rasa's environment (Python 3.10)."""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import json
import logging
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import percentile

REPO = Path(__file__).resolve().parent.parent
FALLBACK_INTENTS = ("out_of_scope", "nlu_fallback")

log = logging.getLogger("bench_nlu")


def _rasa_bin() -> str:
    """The ``rasa`` CLI of the interpreter running this script (.venv-rasa)."""
    candidate = Path(sys.executable).parent / "rasa"
    if not candidate.exists():
        raise SystemExit(
            f"no rasa CLI beside {sys.executable}: run this with .venv-rasa/bin/python "
            "(scripts/setup_rasa_env.sh creates it)"
        )
    return str(candidate)


# CPU seconds (user + system) of the last ``rasa train`` run. The machine is shared: wall time
# grows with whatever else runs, CPU time much less, so the results record both.
_last_train_cpu_seconds = 0.0


def last_train_cpu_seconds() -> float:
    """CPU seconds (user + system) of the last ``rasa train`` run."""
    return _last_train_cpu_seconds


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_rasa_train(args: list[str], log_path: Path, cache_dir: Path) -> float:
    """Run ``rasa train ...`` in the repo root; return its wall time in seconds."""
    global _last_train_cpu_seconds
    env = dict(os.environ, RASA_CACHE_DIRECTORY=str(cache_dir))
    log.info("rasa train %s (load average before: %.2f)", args[0], os.getloadavg()[0])
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    with log_path.open("w") as out:
        proc = subprocess.run(  # noqa: S603 - the project's own rasa CLI, fixed arguments
            [_rasa_bin(), "train", *args],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
        )
    elapsed = time.perf_counter() - started
    _last_train_cpu_seconds = _children_cpu_seconds() - cpu_before
    if proc.returncode != 0:
        raise SystemExit(f"rasa train failed (exit {proc.returncode}); see {log_path}")
    return elapsed


_HOOK = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) .*(Starting to train|Finished training) component '(\w+)'"
)


def component_seconds(log_path: Path) -> dict[str, int]:
    """Seconds each component took to train, from the timestamps of Rasa's training hooks."""
    started: dict[str, datetime.datetime] = {}
    seconds: dict[str, int] = collections.defaultdict(int)
    for line in log_path.read_text(errors="replace").splitlines():
        match = _HOOK.search(line)
        if not match:
            continue
        stamp = datetime.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S")
        if match[2].startswith("Starting"):
            started[match[3]] = stamp
        elif match[3] in started:
            seconds[match[3]] += int((stamp - started.pop(match[3])).total_seconds())
    return dict(seconds)


def load_agent(model_path: Path) -> Any:
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(str(model_path))
    log.info("loaded %s in %.1f s", model_path.name, time.perf_counter() - started)
    return agent


def _parse_all(agent: Any, texts: list[str]) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


def _classifier_top(parse: dict[str, Any]) -> tuple[str, float]:
    """The classifier's own top intent, looking past FallbackClassifier's nlu_fallback."""
    for ranked in parse.get("intent_ranking") or []:
        if ranked["name"] != "nlu_fallback":
            return ranked["name"], float(ranked["confidence"])
    intent = parse["intent"]
    return intent["name"], float(intent["confidence"])


def _is_right(predicted: str, accept: list[str]) -> bool:
    return predicted in accept


# --------------------------------------------------------------------------- held-out split


def _entity_spans(entities: list[dict[str, Any]]) -> set[tuple[str, int, int]]:
    return {(e["entity"], int(e["start"]), int(e["end"])) for e in entities}


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def load_nlu(data_dir: Path) -> Any:
    """All NLU training data under ``data_dir`` (rules, stories and READMEs are skipped)."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(data_dir)], is_nlu_file))
    return TrainingData().merge(*(load_data(f) for f in files))


def _intent_scores(examples: list[Any], parses: list[dict[str, Any]]) -> dict[str, Any]:
    """Intent accuracy of ``parses`` against the examples' labelled intents (our own sentences,
    never the public eval's): overall, in scope, out of scope rejected (``out_of_scope`` or
    ``nlu_fallback``), per intent, confusions and the sentences that went wrong."""
    per_intent: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    right_without_fallback = 0
    confusions: collections.Counter[tuple[str, str]] = collections.Counter()
    wrong = []
    for ex, parse in zip(examples, parses, strict=True):
        gold = ex.get("intent")
        predicted = parse["intent"]["name"]
        right = predicted == gold or (gold == "out_of_scope" and predicted in FALLBACK_INTENTS)
        per_intent[gold][0] += int(right)
        per_intent[gold][1] += 1
        right_without_fallback += int(_classifier_top(parse)[0] == gold)
        if not right:
            confusions[(gold, predicted)] += 1
            wrong.append({"text": ex.get("text"), "gold": gold, "predicted": predicted})
    right = sum(r for r, _ in per_intent.values())
    total = sum(n for _, n in per_intent.values())
    in_right = sum(r for k, (r, _) in per_intent.items() if k != "out_of_scope")
    in_total = sum(n for k, (_, n) in per_intent.items() if k != "out_of_scope")
    oos_right, oos_total = per_intent.get("out_of_scope", [0, 0])
    return {
        "test_examples": total,
        "intent_accuracy": round(right / total, 4),
        "in_scope_accuracy": round(in_right / in_total, 4) if in_total else None,
        "oos_recall": round(oos_right / oos_total, 4) if oos_total else None,
        "intent_accuracy_without_fallback": round(right_without_fallback / total, 4),
        "per_intent_accuracy": {k: round(r / n, 4) for k, (r, n) in sorted(per_intent.items())},
        "confusions": [
            {"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(25)
        ],
        "wrong": wrong,
    }


def held_out(args: argparse.Namespace, config: Path, work: Path) -> dict[str, Any]:
    """Train on a stratified 80 % split and evaluate on the remaining 20 %."""
    data = load_nlu(args.data)
    train, test = data.train_test_split(train_frac=args.train_frac, random_seed=args.seed)
    split_dir = work / "split"
    split_dir.mkdir(parents=True, exist_ok=True)
    (split_dir / "nlu.yml").write_text(train.nlu_as_yaml())
    log.info(
        "held-out: training on %d examples, testing on %d",
        len(train.intent_examples),
        len(test.intent_examples),
    )
    seconds = run_rasa_train(
        [
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(split_dir / "nlu.yml"),
            "--domain",
            str(args.domain),
            "--out",
            str(work / "models"),
            "--fixed-model-name",
            "split",
        ],
        work / "train_split.log",
        work / "cache",
    )
    agent = load_agent(work / "models" / "split.tar.gz")
    examples = test.intent_examples
    parses = _parse_all(agent, [ex.get("text") for ex in examples])

    intents = _intent_scores(examples, parses)
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])  # tp fp fn
    for ex, parse in zip(examples, parses, strict=True):
        gold_spans = _entity_spans(ex.get("entities") or [])
        pred_spans = _entity_spans(parse.get("entities") or [])
        for entity, *_ in gold_spans & pred_spans:
            counts[entity][0] += 1
        for entity, *_ in pred_spans - gold_spans:
            counts[entity][1] += 1
        for entity, *_ in gold_spans - pred_spans:
            counts[entity][2] += 1
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    del agent
    return {
        "train_examples": len(train.intent_examples),
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(_last_train_cpu_seconds, 1),
        **intents,
        "entity_micro": _prf(tp, fp, fn),
        "entity_by_type": {k: _prf(*c) for k, c in sorted(counts.items())},
    }


# --------------------------------------------------------------------------- development set


def dev_eval(agent: Any, path: Path) -> dict[str, Any]:
    """Intent accuracy of the full model on the development set (``bench/dev/nlu_dev.yml``:
    sentences written for it, in no training file). Unlike the public eval's, these sentences
    are ours to read and learn from."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(path)).intent_examples
    parses = _parse_all(agent, [ex.get("text") for ex in examples])
    return _intent_scores(examples, parses)


# --------------------------------------------------------------------------- public eval


def _load_eval(eval_dir: Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted(eval_dir.glob("*.jsonl")):
        with path.open() as handle:
            for raw in handle:
                if raw.strip():
                    item = json.loads(raw)
                    item["file"] = path.stem
                    lines.append(item)
    if not lines:
        raise SystemExit(f"no eval lines under {eval_dir}")
    return lines


def _score(items: list[dict[str, Any]], predicted: list[str]) -> dict[str, Any]:
    in_right = in_total = oos_right = oos_total = 0
    for item, pred in zip(items, predicted, strict=True):
        right = _is_right(pred, item["accept"])
        if item["source_intent"] == "oos":
            oos_total += 1
            oos_right += int(right)
        else:
            in_total += 1
            in_right += int(right)
    return {
        "in_scope_accuracy": round(in_right / in_total, 4) if in_total else None,
        "in_scope_lines": in_total,
        "oos_recall": round(oos_right / oos_total, 4) if oos_total else None,
        "oos_lines": oos_total,
    }


def _with_threshold(parse: dict[str, Any], threshold: float, ambiguity: float) -> str:
    """What FallbackClassifier would answer at another threshold (same classifier ranking)."""
    ranking = [r for r in parse.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    if not ranking:
        return parse["intent"]["name"]
    top = ranking[0]
    if top["confidence"] < threshold:
        return "nlu_fallback"
    if len(ranking) > 1 and top["confidence"] - ranking[1]["confidence"] < ambiguity:
        return "nlu_fallback"
    return top["name"]


def public_eval(agent: Any, eval_dir: Path, ambiguity: float) -> dict[str, Any]:
    items = _load_eval(eval_dir)
    parses = _parse_all(agent, [item["text"] for item in items])
    predicted = [p["intent"]["name"] for p in parses]

    overall = _score(items, predicted)
    by_file = {
        name: _score(
            [i for i in items if i["file"] == name],
            [p for i, p in zip(items, predicted, strict=True) if i["file"] == name],
        )
        for name in sorted({i["file"] for i in items})
    }
    by_category: dict[str, dict[str, Any]] = {}
    for name in sorted({(i["file"], i["source_intent"]) for i in items}):
        rows = [
            (i, p)
            for i, p in zip(items, predicted, strict=True)
            if (i["file"], i["source_intent"]) == name
        ]
        right = sum(_is_right(p, i["accept"]) for i, p in rows)
        by_category[f"{name[0]}:{name[1]}"] = {
            "accept": rows[0][0]["accept"],
            "accuracy": round(right / len(rows), 4),
            "lines": len(rows),
            "predicted": dict(collections.Counter(p for _, p in rows).most_common()),
        }
    sweep = []
    for step in range(0, 19):
        threshold = round(0.05 * step, 2)
        preds = [_with_threshold(p, threshold, ambiguity) for p in parses]
        sweep.append({"threshold": threshold, **_score(items, preds)})
    return {**overall, "by_file": by_file, "by_category": by_category, "threshold_sweep": sweep}


# --------------------------------------------------------------------------- load time


_LOAD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from rasa.core.agent import Agent
imported = time.perf_counter()
Agent.load(sys.argv[1])
done = time.perf_counter()
print(json.dumps({"import_s": imported - started, "load_s": done - imported}))
"""


def load_time(model: Path, runs: int = 2) -> dict[str, Any]:
    """Seconds a fresh process takes to load the model (``Agent.load``, after importing Rasa),
    and the whole start (interpreter + imports + load), the best of ``runs``."""
    best: dict[str, float] | None = None
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(  # noqa: S603 - this interpreter, fixed script
            [sys.executable, "-c", _LOAD_SCRIPT, str(model)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        )
        total = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"loading {model} failed:\n{proc.stderr[-2000:]}")
        measured = json.loads(proc.stdout.strip().splitlines()[-1])
        measured["process_s"] = total
        if best is None or measured["load_s"] < best["load_s"]:
            best = measured
    assert best is not None
    return {k: round(v, 2) for k, v in best.items()}


# --------------------------------------------------------------------------- parse latency


def latency_side_by_side(
    agents: dict[str, Any], texts: list[str], parses: int, warmup: int = 10
) -> dict[str, dict[str, Any]]:
    """Parse times of every loaded pipeline, interleaved text by text, so that whatever else the
    shared machine runs meanwhile falls on all of them alike."""
    chosen = [texts[i % len(texts)] for i in range(parses)]

    # CPU time of this process per parse as well: unlike wall time, it hardly grows with what
    # else the shared machine runs (the encoder and Rasa each use one thread here).
    async def run() -> dict[str, tuple[list[float], list[float]]]:
        times: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in agents}
        for text in chosen[:warmup]:
            for agent in agents.values():
                await agent.parse_message(text)
        for text in chosen:
            for name, agent in agents.items():
                started, cpu = time.perf_counter(), time.process_time()
                await agent.parse_message(text)
                times[name][0].append((time.perf_counter() - started) * 1000)
                times[name][1].append((time.process_time() - cpu) * 1000)
        return times

    out = {}
    for name, (wall, cpu) in asyncio.run(run()).items():
        times = sorted(wall)
        out[name] = {
            "parses": len(times),
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(percentile(times, 95), 2),
            "max_ms": round(times[-1], 2),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "load_average": round(os.getloadavg()[0], 2),
        }
    return out
