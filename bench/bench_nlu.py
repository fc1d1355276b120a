"""Benchmark the Rasa NLU model: accuracy, entity F1, public-eval generalisation, latency.

Run with the Rasa environment, from anywhere::

    .venv-rasa/bin/python bench/bench_nlu.py

What it measures:

1. Held-out: trains an NLU model on a stratified 80 % split (per intent) of ``nlu_data/`` and
   reports intent accuracy and entity precision / recall / F1 (exact span and type; micro over
   all types, and per type) on the other 20 %.
2. Public eval: trains the full model (``rasa train`` as a developer runs it, timed) and
   evaluates ``<repo>/../shared/eval/*.jsonl``: a line is right when the predicted intent is in
   its ``accept`` list; out-of-scope lines (``source_intent == "oos"``) are right when the model
   predicts ``out_of_scope`` or ``nlu_fallback``. Errors are reported by category only (counts
   of predicted intents per source intent), never as sentences. A sweep of the
   FallbackClassifier threshold is computed from the same parses (the classifier's own ranking
   is kept in ``intent_ranking`` below ``nlu_fallback``).
3. Parse latency: p50 / p95 of ``await agent.parse_message(text)`` on a loaded model.
4. Training wall time of the full ``rasa train`` (and of the split model), with the CPU time
   it used: the machine is shared, and wall time also measures what else was running.

Writes ``bench/results/nlu.json`` and ``bench/results/nlu.png``. The eval sentences are for
measuring only: never copy them into ``nlu_data/``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import json
import logging
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import percentile  # noqa: E402

DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
FALLBACK_INTENTS = ("out_of_scope", "nlu_fallback")
TARGETS = {
    "eval_in_scope_accuracy": 0.92,
    "eval_oos_recall": 0.70,
    "parse_p50_ms": 30.0,
    "train_seconds": 180.0,
}

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


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_rasa_train(args: list[str], log_path: Path, cache_dir: Path) -> float:
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


def _component_seconds(log_path: Path) -> dict[str, int]:
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


def _load_agent(model_path: Path) -> Any:
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


def _load_nlu(data_dir: Path) -> Any:
    """All NLU training data under ``data_dir`` (rules, stories and READMEs are skipped)."""
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(data_dir)], is_nlu_file))
    return TrainingData().merge(*(load_data(f) for f in files))


def held_out(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Train on a stratified 80 % split and evaluate on the remaining 20 %."""
    data = _load_nlu(args.data)
    train, test = data.train_test_split(train_frac=args.train_frac, random_seed=args.seed)
    split_dir = work / "split"
    split_dir.mkdir(parents=True, exist_ok=True)
    (split_dir / "nlu.yml").write_text(train.nlu_as_yaml())
    log.info(
        "held-out: training on %d examples, testing on %d",
        len(train.intent_examples),
        len(test.intent_examples),
    )
    seconds = _run_rasa_train(
        [
            "nlu",
            "--config",
            str(args.config),
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
    agent = _load_agent(work / "models" / "split.tar.gz")
    examples = test.intent_examples
    parses = _parse_all(agent, [ex.get("text") for ex in examples])

    per_intent: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    right_without_fallback = 0
    confusions: collections.Counter[tuple[str, str]] = collections.Counter()
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])  # tp fp fn
    for ex, parse in zip(examples, parses, strict=True):
        gold = ex.get("intent")
        predicted = parse["intent"]["name"]
        right = predicted == gold or (gold == "out_of_scope" and predicted in FALLBACK_INTENTS)
        per_intent[gold][0] += int(right)
        right_without_fallback += int(_classifier_top(parse)[0] == gold)
        per_intent[gold][1] += 1
        if not right:
            confusions[(gold, predicted)] += 1
        gold_spans = _entity_spans(ex.get("entities") or [])
        pred_spans = _entity_spans(parse.get("entities") or [])
        for entity, *_ in gold_spans & pred_spans:
            counts[entity][0] += 1
        for entity, *_ in pred_spans - gold_spans:
            counts[entity][1] += 1
        for entity, *_ in gold_spans - pred_spans:
            counts[entity][2] += 1

    right = sum(r for r, _ in per_intent.values())
    total = sum(n for _, n in per_intent.values())
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    del agent
    return {
        "train_examples": len(train.intent_examples),
        "test_examples": total,
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(_last_train_cpu_seconds, 1),
        "intent_accuracy": round(right / total, 4),
        "intent_accuracy_without_fallback": round(right_without_fallback / total, 4),
        "per_intent_accuracy": {k: round(r / n, 4) for k, (r, n) in sorted(per_intent.items())},
        "entity_micro": _prf(tp, fp, fn),
        "entity_by_type": {k: _prf(*c) for k, c in sorted(counts.items())},
        "confusions": [
            {"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(20)
        ],
    }


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


# --------------------------------------------------------------------------- latency


def latency(agent: Any, texts: list[str], parses: int, warmup: int = 10) -> dict[str, Any]:
    chosen = [texts[i % len(texts)] for i in range(parses)]

    async def run() -> list[float]:
        for text in chosen[:warmup]:
            await agent.parse_message(text)
        times = []
        for text in chosen:
            started = time.perf_counter()
            await agent.parse_message(text)
            times.append((time.perf_counter() - started) * 1000)
        return times

    times = sorted(asyncio.run(run()))
    return {
        "parses": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "max_ms": round(times[-1], 2),
    }


# --------------------------------------------------------------------------- plot


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(19, 6.5), gridspec_kw={"width_ratios": [3, 2.2, 1.6]})

    ax = axes[0]
    held = results.get("held_out")
    if held:
        names = list(held["per_intent_accuracy"])
        values = [held["per_intent_accuracy"][n] for n in names]
        ax.barh(names, values, color=["#c44e52" if v < 0.9 else "#4c72b0" for v in values])
        ax.set_xlim(0, 1.0)
        ax.invert_yaxis()
        ax.set_title(
            f"Held-out intent accuracy {held['intent_accuracy']:.1%}\n"
            f"entity F1 (micro) {held['entity_micro']['f1']:.1%}"
        )
        ax.set_xlabel("accuracy")

    ax = axes[1]
    ev = results.get("public_eval")
    if ev:
        cats = list(ev["by_category"])
        values = [ev["by_category"][c]["accuracy"] for c in cats]
        labels = [f"{c.split('_')[0]}: {c.split(':', 1)[1]}" for c in cats]
        ax.barh(labels, values, color=["#c44e52" if v < 0.9 else "#55a868" for v in values])
        ax.set_xlim(0, 1.0)
        ax.invert_yaxis()
        ax.set_title(
            f"Public eval: in-scope {ev['in_scope_accuracy']:.1%}, "
            f"OOS rejected {ev['oos_recall']:.1%}"
        )
        ax.set_xlabel("accuracy (OOS: recall)")

        ax = axes[2]
        xs = [s["threshold"] for s in ev["threshold_sweep"]]
        ax.plot(xs, [s["in_scope_accuracy"] for s in ev["threshold_sweep"]], label="in-scope acc")
        ax.plot(xs, [s["oos_recall"] for s in ev["threshold_sweep"]], label="OOS recall")
        ax.axvline(results["fallback_threshold"], color="grey", linestyle="--", label="config")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("FallbackClassifier threshold")
        ax.set_title("Threshold sweep (public eval)")
        ax.legend(loc="lower left")

    lat, train = results.get("latency"), results.get("train_seconds")
    fig.suptitle(
        "Rasa NLU benchmark"
        + (f" — parse p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms" if lat else "")
        + (f" — rasa train {train:.0f} s" if train else "")
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# --------------------------------------------------------------------------- main


def _fallback_settings(config_path: Path) -> tuple[float, float]:
    import yaml

    config = yaml.safe_load(config_path.read_text())
    for component in config.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3)), float(
                component.get("ambiguity_threshold", 0.1)
            )
    return 0.0, 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--domain", type=Path, default=REPO / "domain")
    parser.add_argument("--data", type=Path, default=REPO / "nlu_data")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--results-dir", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--train-frac", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--parses", type=int, default=300, help="parses timed for latency")
    parser.add_argument("--skip-held-out", action="store_true", help="skip the 80/20 split")
    parser.add_argument(
        "--reuse-model",
        action="store_true",
        help="evaluate the existing <models-dir>/nlu.tar.gz instead of training it (no train time)",
    )
    args = parser.parse_args(argv)
    for name in ("config", "domain", "data", "eval_dir"):
        setattr(args, name, getattr(args, name).resolve())

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("rasa", "tensorflow", "absl", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import rasa
    import structlog

    # Rasa logs every parse through structlog at debug level: keep the report readable.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    threshold, ambiguity = _fallback_settings(args.config)
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([".venv-rasa/bin/python bench/bench_nlu.py", *(argv or sys.argv[1:])]),
        "rasa_version": rasa.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "config": str(
            args.config.relative_to(REPO) if args.config.is_relative_to(REPO) else args.config
        ),
        "fallback_threshold": threshold,
        "fallback_ambiguity_threshold": ambiguity,
        "targets": TARGETS,
    }

    with tempfile.TemporaryDirectory(prefix="bench_nlu_") as tmp:
        work = Path(tmp)
        if not args.skip_held_out:
            results["held_out"] = held_out(args, work)
            log.info(
                "held-out intent accuracy %.3f, entity F1 %.3f",
                results["held_out"]["intent_accuracy"],
                results["held_out"]["entity_micro"]["f1"],
            )

        # Training time depends on what else runs on the machine: record how busy it was.
        results["load_average_before_full_train"] = round(os.getloadavg()[0], 2)
        model = args.models_dir / "nlu.tar.gz"
        if args.reuse_model and model.exists():
            results["train_seconds"] = results["train_cpu_seconds"] = None
            results["model"] = "reused"
        else:
            log.info("training the full model (rasa train --force)")
            results["train_seconds"] = round(
                _run_rasa_train(
                    [
                        "--domain",
                        str(args.domain),
                        "--data",
                        str(args.data),
                        "--config",
                        str(args.config),
                        "--out",
                        str(args.models_dir),
                        "--fixed-model-name",
                        "nlu",
                        "--force",
                    ],
                    work / "train_full.log",
                    work / "cache",
                ),
                1,
            )
            results["train_cpu_seconds"] = round(_last_train_cpu_seconds, 1)
            results["model"] = "trained"
            results["train_components_seconds"] = _component_seconds(work / "train_full.log")
            log.info(
                "rasa train took %.1f s (%.1f CPU s)",
                results["train_seconds"],
                results["train_cpu_seconds"],
            )

        agent = _load_agent(model)
        results["public_eval"] = public_eval(agent, args.eval_dir, ambiguity)
        log.info(
            "public eval: in-scope %.3f, OOS recall %.3f",
            results["public_eval"]["in_scope_accuracy"],
            results["public_eval"]["oos_recall"],
        )
        texts = [ex.get("text") for ex in _load_nlu(args.data).intent_examples]
        results["latency"] = latency(agent, texts, args.parses)
        log.info(
            "parse latency p50 %.1f ms, p95 %.1f ms",
            results["latency"]["p50_ms"],
            results["latency"]["p95_ms"],
        )

    ev, lat = results["public_eval"], results["latency"]
    results["meets_targets"] = {
        "eval_in_scope_accuracy": ev["in_scope_accuracy"] >= TARGETS["eval_in_scope_accuracy"],
        "eval_oos_recall": ev["oos_recall"] >= TARGETS["eval_oos_recall"],
        "parse_p50_ms": lat["p50_ms"] <= TARGETS["parse_p50_ms"],
        "train_seconds": (
            None
            if results["train_seconds"] is None
            else results["train_seconds"] <= TARGETS["train_seconds"]
        ),
    }

    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "nlu.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, args.results_dir / "nlu.png")
    print(
        json.dumps(
            {k: results[k] for k in ("train_seconds", "train_cpu_seconds", "meets_targets")},
            indent=2,
        )
    )
    held = results.get("held_out")
    summary = {
        "held_out_intent_accuracy": held and held["intent_accuracy"],
        "held_out_entity_f1": held and held["entity_micro"]["f1"],
        "eval_in_scope_accuracy": ev["in_scope_accuracy"],
        "eval_oos_recall": ev["oos_recall"],
        "by_file": ev["by_file"],
        "parse_p50_ms": lat["p50_ms"],
        "parse_p95_ms": lat["p95_ms"],
    }
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.results_dir / 'nlu.json'} and {args.results_dir / 'nlu.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
