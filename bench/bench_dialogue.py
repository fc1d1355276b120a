#!/usr/bin/env python3
"""Benchmark one text turn through Rasa, the action server and the commerce service.

    .venv/bin/python bench/bench_dialogue.py [--conversations 24] [--parses 300]

Starts a private stack (free ports, a freshly seeded SQLite commerce database, its own tracker
store), then has each seeded customer hold the same shopping conversation (greet, search,
choose, add, read back, reorder, book a pickup, checkout, confirm, PIN where the customer has
one) and times every turn as `chat` does. Also times NLU-only parses (/model/parse). The first
conversation warms the stack up and is not counted. Writes bench/results/dialogue.json and
bench/results/dialogue.png; figures are medians and p95 over all turns (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tqdm import tqdm  # noqa: E402

from assistant.chat import ChatSession, customer_token  # noqa: E402
from assistant.dialogue import RasaDialogue  # noqa: E402
from assistant.services import isolated, running  # noqa: E402
from assistant.settings import load_settings  # noqa: E402
from assistant.training import train  # noqa: E402
from bench.common import percentile  # noqa: E402
from commerce.db import Database  # noqa: E402
from commerce.migrate import upgrade  # noqa: E402
from commerce.seed import seeder  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_TURN_P50_MS = 150.0
TARGET_PARSE_P50_MS = 30.0
SCRIPT = (
    "hello",
    "find oat milk",
    "the second one",
    "yes",
    "add two loaves of sourdough bread and a dozen eggs",
    "what's in my basket",
    "reorder my usual",
    "book a pickup tomorrow at {hour}",
    "checkout",
    "yes",
)
PIN = "four three two one"  # the seeded demo PIN of every second customer
PARSE_TEXTS = (
    "add two litres of semi skimmed milk",
    "do you have gluten free bread",
    "what's in my basket",
    "book a pickup for saturday morning",
    "suggest something with chicken for dinner",
    "the third one",
    "cancel my pickup",
    "where is my order",
    "what's the weather like",
    "take the eggs off my list",
)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


def converse(session: ChatSession, hour: str) -> list[dict[str, Any]]:
    turns = []
    for line in SCRIPT:
        turn = session.turn(line.format(hour=hour))
        turns.append(turn)
        if session.expecting_pin:
            turns.append(session.turn(PIN))
    return turns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--parses", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-dialogue-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'commerce.db'}"
        db = Database.connect(url)
        upgrade(db)
        seeder.seed(db, customers=args.conversations + 1)
        db.dispose()
        settings = isolated(load_settings(environ={}), work, url)
        trained = train(settings)
        by_intent: dict[str, list[float]] = defaultdict(list)
        all_turns: list[float] = []
        outcomes: dict[str, int] = defaultdict(int)
        unplaced: list[list[str]] = []
        with running(settings) as stack:
            d = stack.settings.dialogue
            dialogue = RasaDialogue.of(d)
            hours = (
                "9 am", "10 am", "11 am", "noon", "1 pm", "2 pm",
                "3 pm", "4 pm", "5 pm", "6 pm", "10:30 am", "4:30 pm",
            )  # fmt: skip
            for i in tqdm(range(args.conversations + 1), desc="conversations"):
                handle, _ = seeder.customer_identity(i)
                token = customer_token(stack.settings, handle)
                session = ChatSession(stack.settings, dialogue, token)
                turns = converse(session, hours[i % len(hours)])
                if i == 0:
                    continue  # warm-up
                for turn in turns:
                    by_intent[turn["intent"] or "none"].append(turn["latency_ms"])
                    all_turns.append(turn["latency_ms"])
                placed = sum("utter_order_placed" in t["responses"] for t in turns)
                outcomes["orders_placed"] += placed
                if not placed:  # say why, by response keys (no customer words)
                    unplaced.append([k for t in turns for k in t["responses"]][-6:])
            parses = []
            for n in tqdm(range(args.parses), desc="parses"):
                started = time.perf_counter()
                dialogue.parse(PARSE_TEXTS[n % len(PARSE_TEXTS)])
                parses.append((time.perf_counter() - started) * 1000)
            dialogue.close()

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/bench_dialogue.py " + " ".join(sys.argv[1:]),
        "python": platform.python_version(),
        "conversations": args.conversations,
        "turns": summary(all_turns),
        "turns_by_intent": {k: summary(v) for k, v in sorted(by_intent.items())},
        "parse_http": summary(parses),
        "orders_placed": outcomes["orders_placed"],
        "conversations_without_order": unplaced,
        "model_trained_seconds": round(trained.seconds, 1),
        "targets": {"turn_p50_ms": TARGET_TURN_P50_MS, "parse_p50_ms": TARGET_PARSE_P50_MS},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dialogue.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(by_intent, parses, RESULTS / "dialogue.png")
    print(json.dumps({k: result[k] for k in ("turns", "parse_http", "orders_placed")}))
    return 0


def plot(by_intent: dict[str, list[float]], parses: list[float], path: Path) -> None:
    names = sorted(by_intent, key=lambda k: statistics.median(by_intent[k]))
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.boxplot(
        [parses] + [by_intent[n] for n in names],
        orientation="horizontal",
        showfliers=False,
        tick_labels=["NLU parse only", *names],
    )
    ax.axvline(TARGET_TURN_P50_MS, color="tab:red", linestyle="--", label="turn p50 target")
    ax.set_xlabel("latency per text turn (ms): Rasa + action server + commerce service")
    ax.set_title("One text turn, by intent (boxes: quartiles; whiskers: 1.5 IQR)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
