#!/usr/bin/env python3
"""The endpointer that judges the words at a pause against the fixed silence: customers cut
off, and what a customer waits.

    .venv/bin/python bench/bench_endpointing.py [--every 11] [--skip-latency] [--skip-cuts]

On the speech bench's sentences (``bench/data/speech.yml``, every ``--every``-th, the voices
kal, slt and espeak-us in turn), on a private stack (free ports, a freshly seeded SQLite
database), with the default recogniser (Whisper tiny.en, its shop prompt and correction):

* **cut off**: each sentence is spoken with a natural pause — its two halves synthesised apart,
  without their own leading and trailing silence, and 300-700 ms of silence between them —
  once after its first word ("add | two pints of milk") and once before its last ("add two
  pints of | milk"), then a second of silence. Each clip is fed in 20 ms blocks at a
  microphone's pace through the endpointer and the recogniser (``audio.vad.listen``) per
  setting; a clip is **cut off** when the utterance ended inside the sentence (more than one
  utterance);
* **latency**: the README's 20 clips (each sentence whole, plus a second of silence) through
  ``chat --customer carol --real-time --wav``, one fresh process per setting (its first turn
  included): end of speech to the first reply audio.

Writes bench/results/endpointing.json and endpointing.png.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from assistant.settings import Settings  # noqa: E402
from audio.formats import join, silence, split, write_wav  # noqa: E402
from audio.synthetic import synthesize, trimmed  # noqa: E402
from bench.common import percentile, seeded_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "var" / "bench-endpointing"
VOICES = ("kal", "slt", "espeak-us")
PAUSES_MS = (300, 400, 500, 600, 700)
BEFORE, AFTER = "fixed 400 ms (before)", "judged: 210 ms complete / 800 ms incomplete (default)"
# name -> speech settings changed from the defaults
SETTINGS: dict[str, dict[str, Any]] = {
    BEFORE: {"vad_judge": False},
    AFTER: {},
}
LATENCY_SETTINGS = (
    "fixed 400 ms (before)",
    "judged: 210 ms complete / 800 ms incomplete (default)",
)


def sentences(every: int) -> list[str]:
    texts = [
        t
        for group in yaml.safe_load((ROOT / "bench" / "data" / "speech.yml").read_text()).values()
        for t in group
    ]
    return texts[::every]


def paused_clips(texts: list[str]) -> list[dict[str, Any]]:
    """Each sentence split after its first word and before its last, with a pause between."""
    clips: list[dict[str, Any]] = []
    for n, text in enumerate(texts):
        words = text.split()
        if len(words) < 3:
            continue
        voice = VOICES[n % len(VOICES)]
        for where, cut in (("after the first word", 1), ("before the last word", len(words) - 1)):
            pause = PAUSES_MS[len(clips) % len(PAUSES_MS)]
            first, second = " ".join(words[:cut]), " ".join(words[cut:])
            halves = [trimmed(synthesize(h, voice, CACHE), margin_ms=60) for h in (first, second)]
            audio = join([silence(300), halves[0], silence(pause), halves[1], silence(1000)])
            clips.append(
                {"text": text, "voice": voice, "where": where, "heard_before_pause": first,
                 "pause_ms": pause, "audio": audio}
            )  # fmt: skip
    return clips


def cut_offs(settings: Settings, clips: list[dict[str, Any]]) -> dict[str, Any]:
    """Each clip through the endpointer and Whisper at a microphone's pace, per setting."""
    from assistant.services import running
    from assistant.speech import build_endpointer, build_transcriber
    from assistant.voice import paced
    from audio import vad

    out: dict[str, Any] = {}
    with running(settings) as stack:
        transcriber = build_transcriber(stack.settings)
        for name, changes in SETTINGS.items():
            tuned = replace(stack.settings, speech=replace(stack.settings.speech, **changes))
            rows = []
            for clip in clips:
                ended, texts = [], []
                stream = paced(split(clip["audio"], 20))
                for event in vad.listen(stream, transcriber, build_endpointer(tuned)):
                    if isinstance(event, vad.SpeechEnded):
                        u = event.utterance
                        ended.append({"wait_ms": round((event.at_s - u.end_s) * 1000),
                                      "words": u.words.value, "reason": u.reason})  # fmt: skip
                    elif isinstance(event, vad.UtteranceTranscribed):
                        texts.append(event.transcript.text)
                rows.append(
                    {k: clip[k] for k in ("text", "voice", "where", "pause_ms")}
                    | {"utterances": ended, "heard": texts, "cut_off": len(ended) > 1}
                )
            out[name] = summary(rows)
            print(f"cut off, {name}: {out[name]['cut_off']}", file=sys.stderr, flush=True)
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_where: dict[str, list[bool]] = {}
    by_pause: dict[int, list[bool]] = {}
    for row in rows:
        by_where.setdefault(row["where"], []).append(row["cut_off"])
        by_pause.setdefault(row["pause_ms"], []).append(row["cut_off"])
    last_waits = [r["utterances"][-1]["wait_ms"] for r in rows if r["utterances"]]
    return {
        "clips": len(rows),
        "cut_off": sum(r["cut_off"] for r in rows),
        "cut_off_by_where": {k: f"{sum(v)}/{len(v)}" for k, v in by_where.items()},
        "cut_off_by_pause_ms": {str(k): f"{sum(v)}/{len(v)}" for k, v in sorted(by_pause.items())},
        "final_wait_ms_p50": percentile(last_waits, 50) if last_waits else None,
        "rows": rows,
    }


def _chat_row(settings: Settings, files: list[str], out: str) -> None:
    """One fresh process: ``chat --customer carol --real-time --wav FILES``."""
    from assistant.voice import chat_wav

    with open(out, "w") as sink:
        chat_wav(settings, "carol", None, [Path(f) for f in files], sink, real_time=True)


def latency(settings: Settings, texts: list[str], work: Path) -> dict[str, Any]:
    files = []
    for n, text in enumerate(texts):
        clip = synthesize(text, VOICES[n % len(VOICES)], CACHE)
        path = work / f"clip{n:02d}.wav"
        write_wav(path, join([clip, silence(1000)]))
        files.append(str(path))
    out: dict[str, Any] = {}
    ctx = multiprocessing.get_context("spawn")
    for name in (BEFORE, AFTER):
        tuned = replace(settings, speech=replace(settings.speech, **SETTINGS[name]))
        lines = work / "turns.jsonl"
        process = ctx.Process(target=_chat_row, args=(tuned, files, str(lines)))
        process.start()
        process.join()
        turns = [json.loads(line) for line in lines.read_text().splitlines() if line.strip()]
        waits = [t["end_of_speech_to_first_audio_ms"] for t in turns]
        parts = {k: [t["timings_ms"][k] for t in turns] for k in turns[0]["timings_ms"]}
        out[name] = {
            "turns": len(turns),
            "p50_ms": round(statistics.median(waits), 1),
            "p95_ms": round(percentile(waits, 95), 1),
            "first_turn_ms": waits[0],
            "parts_p50_ms": {k: round(statistics.median(v), 1) for k, v in parts.items()},
            "heard": [t["transcript"] for t in turns],
        }
        print(f"latency, {name}: {out[name]['p50_ms']} / {out[name]['p95_ms']} ms, first "
              f"{out[name]['first_turn_ms']}", file=sys.stderr, flush=True)  # fmt: skip
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=11, help="every n-th sentence")
    parser.add_argument("--skip-latency", action="store_true", help="keep the last run's")
    parser.add_argument("--skip-cuts", action="store_true", help="keep the last run's")
    args = parser.parse_args()
    texts = sentences(args.every)
    CACHE.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/bench_endpointing.py " + " ".join(sys.argv[1:]),
        "sentences": len(texts),
        "settings": SETTINGS,
    }
    with tempfile.TemporaryDirectory(prefix="bench-endpointing-") as tmp:
        work = Path(tmp)
        settings = seeded_settings(work, customers=3)
        if not args.skip_latency:
            report["latency"] = latency(settings, texts, work)
        if not args.skip_cuts:
            report["cut_offs"] = cut_offs(settings, paused_clips(texts))
    RESULTS.mkdir(parents=True, exist_ok=True)
    earlier = RESULTS / "endpointing.json"
    if earlier.exists():  # a part skipped keeps its figures from the last run, with its date
        last = json.loads(earlier.read_text())
        for part in ("latency", "cut_offs"):
            if part not in report and part in last:
                report[part] = last[part]
                report[f"{part}_when"] = last.get(f"{part}_when", last["when"])
    (RESULTS / "endpointing.json").write_text(json.dumps(report, indent=2) + "\n")
    plot(report, RESULTS / "endpointing.png")
    brief = {
        part: {name: {k: v for k, v in row.items() if k not in ("rows", "heard")}
               for name, row in report[part].items()}
        for part in ("latency", "cut_offs") if part in report
    }  # fmt: skip
    print(json.dumps(brief, indent=2))
    return 0


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    cuts = report.get("cut_offs", {})
    names = list(cuts)
    for i, where in enumerate(("after the first word", "before the last word")):
        shares = []
        for name in names:
            hit, total = cuts[name]["cut_off_by_where"].get(where, "0/1").split("/")
            shares.append(100 * int(hit) / max(1, int(total)))
        ax1.barh([y + 0.38 * i for y in range(len(names))], shares, height=0.38, label=where)
    ax1.set_yticks([y + 0.19 for y in range(len(names))], [n.split(" (")[0] for n in names])
    ax1.set_xlabel("sentences cut off at a 300-700 ms pause (%)")
    ax1.set_title("Customers cut off", fontsize=10)
    ax1.legend(fontsize=8)
    lat = report.get("latency", {})
    for i, key in enumerate(("p50_ms", "p95_ms", "first_turn_ms")):
        ax2.bar([x + 0.27 * i for x in range(len(lat))], [r[key] for r in lat.values()],
                width=0.27, label=key.replace("_ms", ""))  # fmt: skip
    ax2.set_xticks([x + 0.27 for x in range(len(lat))], [n.split(":")[0] for n in lat])
    ax2.axhline(500, color="tab:red", linestyle="--", linewidth=1, label="p50 target")
    ax2.set_ylabel("end of speech -> first reply audio (ms)")
    ax2.set_title("chat --real-time --wav, 20 clips", fontsize=10)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
