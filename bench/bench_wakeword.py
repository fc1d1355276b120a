"""Benchmark the home device's wake word (``audio/wakeword.py``, pymicro-wakeword's okay_nabu).

    .venv/bin/python bench/bench_wakeword.py                  # 2 hours of unrelated speech
    .venv/bin/python bench/bench_wakeword.py --hours 0.5      # a shorter run

Measures, with voices this machine can synthesise (festival kal and slt; espeak-ng en-us,
en-gb, en-us+f3, en-us+m3):

- misses: 312 wake utterances (the wake phrase alone, and followed by a command after a short
  pause or run on), each after 3 s of the room, clean and in 20 dB and 10 dB pink noise, at
  several thresholds;
- false wakes per hour: public-domain texts (the Gettysburg Address, Lincoln's second
  inaugural, the Declaration of Independence) read by the same voices, clean and in noise,
  slowed and sped up round after round until ``--hours`` of audio, plus real people reading
  Austen (LibriVox, Debian's pocketsphinx test data) where installed;
- CPU per always-listening stream (CPU seconds per audio second, fed in 30 ms chunks) and the
  time from the end of the wake phrase to the wake.

Writes ``bench/results/wakeword.json`` and ``wakeword.png``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk  # noqa: E402  (repo root on the path)
from audio.formats import load_wav, read_wav, split, write_wav  # noqa: E402
from audio.synthetic import mix_noise, synthesize  # noqa: E402
from audio.wakeword import MicroWakeWordDetector, WakeTrigger  # noqa: E402
from bench.common import percentile  # noqa: E402

RESULTS = REPO / "bench" / "results"
CACHE = REPO / "var" / "bench-cache" / "wakeword"
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
MODEL = "okay_nabu"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
CONDITIONS: dict[str, float | None] = {"clean": None, "20dB": 20.0, "10dB": 10.0}
# the project's synthetic voices, and espeak-ng variants it does not name
PROJECT_VOICES = ("kal", "slt", "espeak-us", "espeak-f3")
ESPEAK_VARIANTS = {"espeak-gb": "en-gb", "espeak-m3": "en-us+m3"}
VOICES = (*PROJECT_VOICES, *ESPEAK_VARIANTS)
LEAD_S = 3.0  # room noise heard before each wake utterance (a device listens all the time)
TEMPOS = (1.0, 0.9, 1.1, 0.85, 1.15, 0.95, 1.05)  # round r of the long speech is read at TEMPOS[r]

# The wake word alone, the commands said after it, and public-domain speech: data/wakeword.yml
SPEECH = yaml.safe_load((REPO / "bench" / "data" / "wakeword.yml").read_text())
WAKE_ALONE: tuple[str, ...] = tuple(SPEECH["wake_alone"])
COMMANDS: tuple[str, ...] = tuple(SPEECH["commands"])
PUBLIC_DOMAIN: tuple[str, ...] = tuple(SPEECH["public_domain"])


def silence(seconds: float) -> AudioChunk:
    return AudioChunk(RATE, WIDTH, CHANNELS, bytes(int(RATE * seconds) * WIDTH))


def join(*clips: AudioChunk) -> AudioChunk:
    return AudioChunk(RATE, WIDTH, CHANNELS, b"".join(clip.data for clip in clips))


def speak(text: str, voice: str) -> AudioChunk:
    """``text`` read by ``voice``: the project's voices, or an espeak-ng variant (cached)."""
    if voice not in ESPEAK_VARIANTS:
        return synthesize(text, voice, CACHE)
    cached = CACHE / f"{voice}-{hashlib.sha256(text.encode()).hexdigest()[:20]}.wav"
    if cached.exists():
        return read_wav(cached)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        command = ["espeak-ng", "-v", ESPEAK_VARIANTS[voice], "-s", "160", "-w", str(out), text]
        subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603
        audio = load_wav(out)
    write_wav(cached, audio)
    return audio


def tempo(audio: AudioChunk, factor: float) -> AudioChunk:
    """``audio`` read faster or slower at the same pitch (sox tempo)."""
    if factor == 1.0:
        return audio
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        write_wav(src, audio)
        command = ["sox", str(src), str(out), "tempo", "-s", str(factor)]
        subprocess.run(command, check=True, capture_output=True, timeout=600)  # noqa: S603
        return load_wav(out)


def condition(audio: AudioChunk, name: str, seed: int) -> AudioChunk:
    snr = CONDITIONS[name]
    return audio if snr is None else mix_noise(audio, snr, seed)


def scores(audio: AudioChunk, chunk_ms: int = 30) -> list[tuple[float, float]]:
    """The detector's scores over ``audio`` fed as a device would, from a fresh detector."""
    detector = MicroWakeWordDetector(MODEL)
    return [s for piece in split(audio, chunk_ms) for s in detector.scores(piece)]


def wakes(series: list[tuple[float, float]], threshold: float) -> list[float]:
    trigger = WakeTrigger(threshold)
    return [t for t, score in series if trigger.update(score)]


def speech_end(audio: AudioChunk) -> float:
    samples = np.abs(np.frombuffer(audio.data, dtype="<i2").astype(np.int32))
    loud = np.nonzero(samples > 0.02 * samples.max())[0]
    return float(loud[-1] + 1) / RATE


def wake_utterances() -> Iterator[tuple[str, str, str]]:
    """(voice, kind, text): per voice the phrase alone, then before each command."""
    for voice in VOICES:
        for text in WAKE_ALONE:
            yield voice, "alone", text
        for command in COMMANDS:
            yield voice, "paused", f"okay nabu, {command}"
            yield voice, "run-on", f"okay nabu {command}"


def bench_misses() -> dict[str, Any]:
    trials: list[dict[str, Any]] = []
    latencies: list[float] = []
    default = MicroWakeWordDetector(MODEL).threshold
    for i, (voice, kind, text) in enumerate(wake_utterances()):
        clip = join(silence(LEAD_S), speak(text, voice), silence(0.5))
        end = speech_end(clip) if kind == "alone" else None
        for name in CONDITIONS:
            series = scores(condition(clip, name, seed=i))
            best = max((s for _, s in series), default=0.0)
            trials.append({"voice": voice, "kind": kind, "condition": name, "max_score": best})
            if end is not None and name == "clean" and (hit := wakes(series, default)):
                latencies.append(hit[0] - end)
    utterances = len(trials) // len(CONDITIONS)
    table: dict[str, Any] = {}
    for name in CONDITIONS:
        rows = [t for t in trials if t["condition"] == name]
        table[name] = {
            f"{th:g}": {
                "missed": sum(t["max_score"] <= th for t in rows),
                "of": len(rows),
                "miss_rate": round(sum(t["max_score"] <= th for t in rows) / len(rows), 4),
                "by_kind": _rates(rows, "kind", th),
                "by_voice": _rates(rows, "voice", th),
            }
            for th in THRESHOLDS
        }
    return {
        "utterances": utterances,
        "voices": list(VOICES),
        "kinds": {"alone": len(WAKE_ALONE), "paused": len(COMMANDS), "run-on": len(COMMANDS)},
        "default_threshold": default,
        "misses": table,
        "wake_latency_s": {
            "what": "end of the phrase 'okay nabu' (clean) to the wake, default threshold",
            "n": len(latencies),
            "p50": round(percentile(latencies, 50), 3),
            "p95": round(percentile(latencies, 95), 3),
        },
    }


def _rates(rows: list[dict[str, Any]], key: str, threshold: float) -> dict[str, float]:
    groups: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row["max_score"])
    return {k: round(sum(s <= threshold for s in v) / len(v), 4) for k, v in groups.items()}


def long_streams(hours: float) -> Iterator[tuple[str, str, AudioChunk]]:
    """(source, condition, audio) until ``hours`` of audio: the texts read by each voice,
    round after round at another tempo, each round clean and in noise; LibriVox first."""
    total, seed = 0.0, 0
    real = sorted(LIBRIVOX.glob("*.wav"))
    if real:
        austen = join(*(join(load_wav(p), silence(0.5)) for p in real))
        for name in CONDITIONS:
            total += austen.duration_s
            yield "librivox-austen", name, condition(austen, name, seed)
    for round_ in range(len(TEMPOS) * 100):
        for voice in VOICES:
            reading = join(*(join(speak(p, voice), silence(0.6)) for p in PUBLIC_DOMAIN))
            reading = tempo(reading, TEMPOS[round_ % len(TEMPOS)])
            for name in CONDITIONS:
                if total >= hours * 3600:
                    return
                seed += 1
                total += reading.duration_s
                yield (
                    f"{voice}@{TEMPOS[round_ % len(TEMPOS)]}",
                    name,
                    condition(reading, name, seed),
                )


def bench_false_wakes(hours: float) -> dict[str, Any]:
    audio_s = cpu_s = wall_s = 0.0
    found: dict[float, list[dict[str, Any]]] = {th: [] for th in THRESHOLDS}
    seconds_by_condition: dict[str, float] = defaultdict(float)
    for source, name, audio in long_streams(hours):
        cpu, wall = time.process_time(), time.perf_counter()
        series = scores(audio)
        cpu_s += time.process_time() - cpu
        wall_s += time.perf_counter() - wall
        audio_s += audio.duration_s
        seconds_by_condition[name] += audio.duration_s
        for th in THRESHOLDS:
            found[th] += [
                {"source": source, "condition": name, "t_s": t} for t in wakes(series, th)
            ]
        print(f"  {source} {name}: {audio.duration_s / 60:.1f} min", file=sys.stderr)
    per_hour = 3600 / audio_s
    return {
        "hours": round(audio_s / 3600, 3),
        "hours_by_condition": {k: round(v / 3600, 3) for k, v in seconds_by_condition.items()},
        "false_wakes": {
            f"{th:g}": {
                "count": len(found[th]),
                "per_hour": round(len(found[th]) * per_hour, 3),
                "where": found[th][:20],
            }
            for th in THRESHOLDS
        },
        "cpu": {
            "what": "one always-listening stream, 30 ms chunks, this process's CPU time",
            "cpu_s_per_audio_s": round(cpu_s / audio_s, 5),
            "wall_s_per_audio_s": round(wall_s / audio_s, 5),
            "streams_per_core": int(audio_s / cpu_s) if cpu_s else None,
        },
    }


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    keys = [f"{th:g}" for th in THRESHOLDS]
    for name in CONDITIONS:
        rates = [100 * report["misses"][name][k]["miss_rate"] for k in keys]
        left.plot(THRESHOLDS, rates, marker="o", label=name)
    left.axvline(report["default_threshold"], color="grey", linestyle=":", label="default")
    left.set(xlabel="threshold", ylabel="wake utterances missed (%)")
    left.set_title(f"misses, {report['utterances']} utterances x {len(VOICES)} voices")
    left.legend()
    per_hour = [report["false_wakes"][k]["per_hour"] for k in keys]
    right.bar([str(th) for th in THRESHOLDS], per_hour, color="tab:red")
    right.set(xlabel="threshold", ylabel="false wakes per hour")
    right.set_title(f"false wakes, {report['hours']} h of other speech")
    fig.suptitle(f"wake word {MODEL} (pymicro-wakeword)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=2.0, help="unrelated speech for false wakes")
    parser.add_argument("--output", type=Path, default=RESULTS / "wakeword.json")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print("misses ...", file=sys.stderr)
    report: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "model": MODEL,
        "command": "python bench/bench_wakeword.py " + " ".join(sys.argv[1:]),
    }
    report.update(bench_misses())
    print("false wakes ...", file=sys.stderr)
    report.update(bench_false_wakes(args.hours))
    report["run_s"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.output.with_suffix(".png"))
    summary = {
        name: report["misses"][name][f"{report['default_threshold']:g}"]["miss_rate"]
        for name in CONDITIONS
    }
    default = f"{report['default_threshold']:g}"
    print(
        json.dumps(
            {
                "miss_rate": summary,
                "false_wakes_per_hour": report["false_wakes"][default]["per_hour"],
                "hours": report["hours"],
                "cpu": report["cpu"],
                "wake_latency_s": report["wake_latency_s"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
