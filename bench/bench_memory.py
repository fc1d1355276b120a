#!/usr/bin/env python3
"""Resident memory of the whole assistant, process by process, while it talks.

    .venv/bin/python bench/bench_memory.py [--turns 6]

Runs what ``make run`` runs on the embedded defaults — this process as the assistant (the
default recogniser, TTS, the dialogue client) and the commerce service, the action server and
Rasa it starts — on a private stack (free ports, a freshly seeded SQLite database), through
``chat --wav``: spoken turns (festival kal) from "add six bananas" to "what's in my basket".
Every 200 ms the resident memory (RSS) of each process is sampled; the figures are each
process's peak and the peak of their sum (target: 1.5 GB). Writes bench/results/memory.json and
bench/results/memory.png. (`serve` with devices talking: every process of its stack per load level
is in `stack_rss_mb` of bench_gateway_load.py's results, e.g. gateway_load_whisper16.json.)
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from assistant.voice import chat_wav  # noqa: E402
from audio.formats import write_wav  # noqa: E402
from audio.synthetic import synthesize  # noqa: E402
from bench.common import RssSampler, seeded_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_MB = 1536.0
LINES = ("add six bananas", "the first one", "what's in my basket", "how much is oat milk")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=len(LINES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        work = Path(tmp)
        settings = seeded_settings(work, customers=3)
        clips = []
        for n in range(args.turns):
            clip = work / f"turn{n}.wav"
            write_wav(clip, synthesize(LINES[n % len(LINES)], "kal"))
            clips.append(clip)
        out = io.StringIO()
        with RssSampler() as sampler:
            chat_wav(settings, "carol", None, clips, out)
    turns = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/bench_memory.py " + " ".join(sys.argv[1:]),
        "engine": settings.speech.engine,
        "turns": len(turns),
        "heard": [t.get("transcript") or t.get("user") for t in turns],
        "peak_rss_mb": {k: round(v, 1) for k, v in sorted(sampler.peak.items())},
        "peak_total_rss_mb": round(sampler.total_peak, 1),
        "target_total_mb": TARGET_MB,
        "target_met": sampler.total_peak <= TARGET_MB,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(sampler, RESULTS / "memory.png")
    print(json.dumps(result, indent=2))
    return 0


def plot(sampler: RssSampler, path: Path) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = sorted(sampler.peak, key=lambda k: -sampler.peak[k])
    ax1.barh(names, [sampler.peak[n] for n in names])
    ax1.set_xlabel("peak resident memory (MB)")
    ax1.set_title("Each process of the stack")
    ax2.plot([t for t, _ in sampler.series], [mb for _, mb in sampler.series])
    ax2.axhline(TARGET_MB, color="tab:red", linestyle="--", label="target")
    ax2.set_xlabel("seconds since start")
    ax2.set_ylabel("total resident memory (MB)")
    ax2.set_title("The whole stack, through start and spoken turns")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
