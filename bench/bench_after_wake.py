"""What the recogniser hears after the wake word: the request said with it, whole and alone.

The wake gate passes the last ``speech.wake_word_preroll_ms`` before its decision so that a
request said in the same breath ("okay nabu add milk") is not clipped; that pre-roll also holds
the end of "nabu", which Whisper reads as words ("blue, what's in my basket"). This benchmark
runs every wake utterance with a command of ``bench/data/wakeword.yml`` (24 commands, six
voices, said after a pause and run on) through the real gate and the assistant's recogniser
(Whisper, shop prompt, normaliser, correction), and scores the transcript against the command:
read as any utterance (``Expect.SPEECH``, before) and as the first after the wake word
(``Expect.AFTER_WAKE``: the decoder is given the wake phrase as the transcript's forced start).

    .venv/bin/python bench/bench_after_wake.py [--prerolls 150] [--conditions clean,10dB]
        [--half test]

Results: ``bench/results/after_wake.json`` and ``after_wake.png``. The halves are the wake word
benchmark's (``dev``: even positions, for development; ``test``: odd ones, held out): report
``test``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.settings import load_settings  # noqa: E402  (repo root on the path)
from assistant.speech import build_transcriber, build_wake_gate  # noqa: E402
from audio.base import CHANNELS, RATE, WIDTH, AudioChunk, Expect, Transcriber  # noqa: E402
from audio.formats import split  # noqa: E402
from bench.bench_wakeword import COMMANDS, CONDITIONS, VOICES, condition, join, silence, speak  # noqa: E402
from bench.common import scored_word_errors, scoring_form  # noqa: E402
from bench.wakeword_tuning import half  # noqa: E402

RESULTS = REPO / "bench" / "results"
MODES = {"as any utterance (before)": Expect.SPEECH, "after the wake word (now)": Expect.AFTER_WAKE}


def utterances(part: str) -> Iterator[tuple[str, str, str]]:
    """(voice, kind, command) of the chosen half: each command after a pause and run on."""
    for voice in VOICES:
        for n, command in enumerate(COMMANDS):
            if part in ("all", half(n)):
                yield voice, "paused", command
                yield voice, "run-on", command


def gated(clip: AudioChunk, preroll_ms: int) -> AudioChunk | None:
    """What the home device's gate passes of ``clip`` (None: it did not wake)."""
    settings = load_settings()
    gate = build_wake_gate(settings, preroll_s=preroll_ms / 1000)
    passed = b"".join(out.data for chunk in split(clip, 30) for out in gate.feed(chunk))
    return AudioChunk(RATE, WIDTH, CHANNELS, passed) if gate.wakes else None


def run(transcriber: Transcriber, part: str, preroll_ms: int, noise: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for i, (voice, kind, command) in enumerate(utterances(part)):
        said = f"okay nabu, {command}" if kind == "paused" else f"okay nabu {command}"
        clip = join(silence(1.0), speak(said, voice), silence(0.6))
        audio = gated(condition(clip, noise, seed=i), preroll_ms)
        row: dict[str, Any] = {"voice": voice, "kind": kind, "command": command}
        if audio is not None:
            for mode, expect in MODES.items():
                started = time.perf_counter()
                text = transcriber.transcribe(audio, expect).text
                errors, words = scored_word_errors(command, text)
                row[mode] = {
                    "text": text,
                    "exact": scoring_form(text) == scoring_form(command),
                    "errors": errors,
                    "words": words,
                    "seconds": time.perf_counter() - started,
                }
        rows.append(row)
    woke = [r for r in rows if MODES.keys() <= r.keys()]
    summary = {
        mode: {
            "exact": sum(r[mode]["exact"] for r in woke),
            "wer": sum(r[mode]["errors"] for r in woke)
            / max(1, sum(r[mode]["words"] for r in woke)),
            "exact_by_kind": {
                kind: sum(r[mode]["exact"] for r in woke if r["kind"] == kind)
                for kind in ("paused", "run-on")
            },
        }
        for mode in MODES
    }
    return {"preroll_ms": preroll_ms, "condition": noise, "utterances": len(rows),
            "woke": len(woke), "summary": summary, "rows": rows}  # fmt: skip


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(MODES)
    for i, mode in enumerate(MODES):
        xs = [n + i * width for n in range(len(runs))]
        share = [100 * r["summary"][mode]["exact"] / max(1, r["woke"]) for r in runs]
        ax.bar(xs, share, width, label=mode)
    ax.set_xticks([n + width / 2 for n in range(len(runs))])
    ax.set_xticklabels([f"{r['condition']}, pre-roll {r['preroll_ms']} ms" for r in runs])
    ax.set_ylabel("transcript exactly the command (%)")
    ax.set_ylim(0, 100)
    ax.legend()
    ax.set_title("The request after the wake word, through the gate and Whisper")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prerolls", default="150", help="pre-roll sizes in ms, comma-separated")
    parser.add_argument("--half", default="test", choices=("dev", "test", "all"))
    parser.add_argument("--conditions", default="clean", help=f"of {', '.join(CONDITIONS)}")
    parser.add_argument("--name", default="after_wake")
    args = parser.parse_args()
    transcriber = build_transcriber(load_settings())
    runs = [
        run(transcriber, args.half, int(ms), noise)
        for noise in args.conditions.split(",")
        for ms in args.prerolls.split(",")
    ]
    for r in runs:
        for mode, s in r["summary"].items():
            kinds = s["exact_by_kind"]
            print(f"{r['condition']}, pre-roll {r['preroll_ms']} ms, {mode}: "
                  f"{s['exact']}/{r['woke']} exact (paused {kinds['paused']}, "
                  f"run-on {kinds['run-on']}), "
                  f"WER {100 * s['wer']:.1f} %")  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {"when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "half": args.half, "runs": runs}  # fmt: skip
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=1))
    plot(runs, RESULTS / f"{args.name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
