"""Benchmark the yes/no decision taken at a pending confirmation (``skills/yesno.py``).

    .venv/bin/python bench/bench_yesno.py              # the decision alone
    .venv-rasa/bin/python bench/bench_yesno.py --nlu   # ... and next to the trained model's affirm

Reads ``tests/data/yesno.tsv`` (label<TAB>reply: real yeses and nos, hesitations, corrections,
numbers, questions, noise words, new requests) and reports:

- ``false_yes``: replies that are not a yes but were decided yes (must be 0; the tests require it),
- ``true_yes_rate``: of the real yeses, the share decided yes (target 0.98),
- ``true_no_rate``: of the real nos, the share decided no,
- per label, how the replies were decided, and the misses by text.

With ``--nlu`` (Rasa's environment, a trained model in ``models/``) it also counts what the
intent classifier alone would have taken for a yes (``affirm`` at the 0.8 bar the skills used
before), and what the skills take for one now at the read-back (``affirm`` or ``checkout``,
and the decision's yes). Writes ``bench/results/yesno.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from skills.yesno import Answer, decide  # noqa: E402  (the repo root is put on the path first)

DATA = REPO / "tests" / "data" / "yesno.tsv"
RESULTS = REPO / "bench" / "results" / "yesno.json"
TARGET_TRUE_YES = 0.98
INTENT_YES_BAR = 0.8
YES_HANDLERS = ("affirm", "checkout")  # intents whose skills act on a yes at the read-back


def load(path: Path = DATA) -> list[tuple[str, str]]:
    """(label, reply) pairs; ``#`` lines are comments."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            pairs.append((label, text))
    return pairs


def score(pairs: list[tuple[str, str]], said: list[Answer]) -> dict[str, Any]:
    by_label: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for (label, _), answer in zip(pairs, said, strict=True):
        by_label[label][answer.value] += 1
    yeses = sum(by_label["yes"].values())
    nos = sum(by_label["no"].values())
    false_yes = [
        t for (label, t), a in zip(pairs, said, strict=True) if label != "yes" and a == Answer.YES
    ]
    return {
        "replies": len(pairs),
        "false_yes": len(false_yes),
        "false_yes_replies": false_yes,
        "true_yes_rate": round(by_label["yes"]["yes"] / yeses, 4) if yeses else None,
        "true_no_rate": round(by_label["no"]["no"] / nos, 4) if nos else None,
        "yes_missed": [
            t
            for (label, t), a in zip(pairs, said, strict=True)
            if label == "yes" and a != Answer.YES
        ],
        "by_label": {label: dict(counts) for label, counts in sorted(by_label.items())},
    }


def nlu_affirms(texts: list[str]) -> list[tuple[str | None, float]]:
    """(intent, confidence) of each text from the trained model (Rasa's environment only)."""
    from rasa.core.agent import Agent

    models = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    agent = Agent.load(str(models[-1]))

    async def parse_all() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    parsed = asyncio.run(parse_all())
    return [
        ((p.get("intent") or {}).get("name"), float((p.get("intent") or {}).get("confidence") or 0))
        for p in parsed
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--nlu", action="store_true", help="also parse with the trained model")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    pairs = load()
    started = time.perf_counter()
    said = [decide(text) for _, text in pairs]
    per_reply_us = (time.perf_counter() - started) / len(pairs) * 1e6
    result: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "data": str(DATA.relative_to(REPO)),
        "target_true_yes_rate": TARGET_TRUE_YES,
        "decision": {**score(pairs, said), "per_reply_us": round(per_reply_us, 1)},
    }
    if args.nlu:
        parsed = nlu_affirms([t for _, t in pairs])
        alone = [
            Answer.YES if intent == "affirm" and conf >= INTENT_YES_BAR else Answer.UNCLEAR
            for intent, conf in parsed
        ]
        # what the skills do now at the checkout read-back: the intent routes the reply to a
        # handler that takes a yes (affirm at any confidence; checkout: "place my order"), and
        # the decision has the last word
        both = [
            a if a != Answer.YES or intent in YES_HANDLERS else Answer.UNCLEAR
            for a, (intent, _) in zip(said, parsed, strict=True)
        ]
        result["intent_alone"] = score(pairs, alone)
        result["intent_and_decision"] = score(pairs, both)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    decision = result["decision"]
    print(
        f"{decision['replies']} replies: false yes {decision['false_yes']}, "
        f"true yes {decision['true_yes_rate']:.1%} (target {TARGET_TRUE_YES:.0%}), "
        f"true no {decision['true_no_rate']:.1%}"
    )
    for name in ("intent_alone", "intent_and_decision"):
        if name in result:
            r = result[name]
            print(f"{name}: false yes {r['false_yes']}, true yes {r['true_yes_rate']:.1%}")
    print(f"wrote {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0 if decision["false_yes"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
