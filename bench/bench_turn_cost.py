#!/usr/bin/env python3
"""Does a turn cost more as a conversation grows? Turn 1 against turn 1,000.

    .venv/bin/python bench/bench_turn_cost.py [--turns 1000] [--old-turns 300]

Starts a private stack (free ports, a freshly seeded SQLite commerce database, its own tracker
store) and holds two conversations of the same customer side by side, a turn of each in turn,
with the same lines (read-only requests: basket, prices, store hours, help):
  * ``turn channel``: today's way, ``RasaDialogue.turn`` (one request to our Rasa channel,
    ``assistant/rasa_channel.py``, answered with the intent and the whole replies);
  * ``REST + tracker``: the way before it, Rasa's REST channel and then the conversation's
    tracker read back for the response keys and the intent.
Each turn is timed as ``chat`` times it. Reports the median and p95 of the first 50 turns, of
turns 76-125 (around turn 100) and of the last 50 turns of each, and the last-to-first ratio
(target: turn 1,000 within 1.2 x turn 1). The old way's cost grows with every turn (it took
over half an hour to reach turn 1,000), so it stops after ``--old-turns``. Writes
bench/results/turn_cost.json and bench/results/turn_cost.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
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
from assistant.services import running  # noqa: E402
from bench.common import percentile, seeded_settings  # noqa: E402
from commerce.seed import seeder  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LINES = (
    "what's in my basket",
    "how much are bananas",
    "what time do you close today",
    "what can you do",
)
EDGE = 50  # turns at each end that are compared
TARGET_RATIO = 1.2


class RestAndTracker(RasaDialogue):
    """The turn as it was: Rasa's REST channel, then the whole tracker for keys and intent."""

    def _exchange(self, sender: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        self._http.post(  # answers a list of split messages: read back from the tracker
            "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata}
        ).raise_for_status()
        events = self.tracker(sender).get("events") or []
        last = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
        parse = (events[last].get("parse_data") or {}) if last >= 0 else {}
        replies = [
            {
                "text": e.get("text") or "",
                "response": (e.get("metadata") or {}).get("utter_action"),
                "custom": (e.get("data") or {}).get("custom") or {},
            }
            for e in events[last + 1 :]
            if e.get("event") == "bot"
        ]
        return {"intent": parse.get("intent") or {}, "entities": [], "replies": replies}


def summary(values: list[float]) -> dict[str, float]:
    return {
        "turns": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 95), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--old-turns", type=int, default=300)
    args = parser.parse_args()
    ways: dict[str, type[RasaDialogue]] = {
        "turn channel": RasaDialogue,
        "REST + tracker": RestAndTracker,
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    answered: dict[str, int] = dict.fromkeys(ways, 0)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-turn-cost-") as tmp:
        work = Path(tmp)
        settings = seeded_settings(work, customers=2)
        with running(settings) as stack:
            d = stack.settings.dialogue
            handle, _ = seeder.customer_identity(0)
            token = customer_token(stack.settings, handle)
            sessions = {
                name: ChatSession(stack.settings, way.of(d, timeout_s=60.0), token)
                for name, way in ways.items()
            }
            for n in tqdm(range(args.turns), desc="turns"):
                for name, session in sessions.items():
                    if name != "turn channel" and n >= args.old_turns:
                        continue
                    turn = session.turn(LINES[n % len(LINES)])
                    times[name].append(turn["latency_ms"])
                    answered[name] += bool(turn["responses"])
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/bench_turn_cost.py " + " ".join(sys.argv[1:]),
        "turns": args.turns,
        "lines": LINES,
        "ways": {},
        "target_ratio": TARGET_RATIO,
        "seconds": round(time.perf_counter() - started, 1),
    }
    for name, values in times.items():
        first, last = summary(values[:EDGE]), summary(values[-EDGE:])
        result["ways"][name] = {
            "first_turns": first,
            "turns_76_to_125": summary(values[75:125]) if len(values) >= 125 else None,
            "last_turns": last,
            "ratio_p50": round(last["p50_ms"] / first["p50_ms"], 2),
            "turns_with_a_reply": answered[name],
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "turn_cost.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(times, RESULTS / "turn_cost.png")
    print(json.dumps(result["ways"], indent=2))
    return 0


def plot(times: dict[str, list[float]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for name, values in times.items():
        window = 25
        rolling = [
            statistics.median(values[max(0, i - window) : i + 1]) for i in range(len(values))
        ]
        ax.plot(range(1, len(values) + 1), rolling, label=name)
    ax.set_xlabel("turn of the conversation")
    ax.set_ylabel("turn latency, rolling median of 25 (ms)")
    ax.set_title("A text turn's cost as the conversation grows")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
