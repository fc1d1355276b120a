"""Benchmark the home device's wake word (``audio/wakeword.py``, pymicro-wakeword's okay_nabu).

    .venv/bin/python bench/bench_wakeword.py                  # 2 hours of unrelated speech
    .venv/bin/python bench/bench_wakeword.py --hours 0.5      # a shorter run

Measures, with voices this machine can synthesise (festival kal and slt; espeak-ng en-us,
en-gb, en-us+f3, en-us+m3):

- the raw okay_nabu scores of 312 wake utterances (the wake phrase alone, and followed by a
  command after a short pause or run on), each after 3 s of the room, clean and in 20 dB and
  10 dB pink noise, through three front ends (as heard; WebRTC automatic gain; WebRTC noise
  suppression and gain);
- the same scores over public-domain texts (the Gettysburg Address, Lincoln's second
  inaugural, the Declaration of Independence) read by the same voices, clean and in noise,
  slowed and sped up round after round until ``--hours`` of audio, plus real people reading
  Austen (LibriVox, Debian's pocketsphinx test data) where installed;
- from those, misses and false wakes per hour of listeners (front end, scores averaged,
  threshold; one or two at once): the package's default, the best on the development half
  of the wake utterances within 0.5 false wakes per hour (``bench/wakeword_tuning.py``), and
  the configured one, each on the development half, the held-out half and all, per
  condition, voice and kind;
- CPU per always-listening stream of the configured listeners, and the time from the end of
  the wake phrase to the wake.

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk  # noqa: E402  (repo root on the path)
from audio.formats import load_wav, read_wav, split, write_wav  # noqa: E402
from audio.settings import SpeechSettings  # noqa: E402
from audio.synthetic import mix_noise, synthesize  # noqa: E402
from audio.wakeword import MicroWakeWordDetector  # noqa: E402
from bench.common import percentile  # noqa: E402
from bench.wakeword_tuning import (  # noqa: E402
    FRONT_ENDS,
    MAX_FALSE_PER_HOUR,
    Listener,
    Scores,
    fires,
    half,
    smooth,
)

RESULTS = REPO / "bench" / "results"
CACHE = REPO / "var" / "bench-cache" / "wakeword"
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
MODEL = "okay_nabu"
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


def scores(audio: AudioChunk, front: str, chunk_ms: int = 30) -> list[tuple[float, float]]:
    """The detector's raw scores (one per 30 ms, none averaged) over ``audio`` fed as a
    device would, through front end ``front``, from a fresh detector."""
    gain, suppression = FRONT_ENDS[front]
    detector = MicroWakeWordDetector(MODEL, window=1, gain_dbfs=gain, suppression=suppression)
    return [s for piece in split(audio, chunk_ms) for s in detector.scores(piece)]


def all_scores(audio: AudioChunk) -> tuple[list[float], dict[str, list[float]]]:
    """The step times and each front end's raw scores."""
    series = {front: scores(audio, front) for front in FRONT_ENDS}
    times = [t for t, _ in series["plain"]]
    return times, {f: [round(v, 4) for _, v in s] for f, s in series.items()}


def speech_end(audio: AudioChunk) -> float:
    samples = np.abs(np.frombuffer(audio.data, dtype="<i2").astype(np.int32))
    loud = np.nonzero(samples > 0.02 * samples.max())[0]
    return float(loud[-1] + 1) / RATE


def wake_utterances() -> Iterator[tuple[str, str, str, str]]:
    """(voice, kind, text, half): per voice the phrase alone, then before each command."""
    for voice in VOICES:
        for n, text in enumerate(WAKE_ALONE):
            yield voice, "alone", text, half(n)
        for n, command in enumerate(COMMANDS):
            yield voice, "paused", f"okay nabu, {command}", half(n)
            yield voice, "run-on", f"okay nabu {command}", half(n)


def record_trials() -> list[dict[str, Any]]:
    """Every wake utterance in every condition, with its raw scores per front end."""
    trials: list[dict[str, Any]] = []
    for i, (voice, kind, text, part) in enumerate(wake_utterances()):
        clip = join(silence(LEAD_S), speak(text, voice), silence(0.5))
        end = speech_end(clip) if kind == "alone" else None
        for name in CONDITIONS:
            times, series = all_scores(condition(clip, name, seed=i))
            trials.append(
                {
                    "voice": voice,
                    "kind": kind,
                    "condition": name,
                    "half": part,
                    "scores": series,
                    "times": times,
                    "speech_end": end,
                }
            )
    return trials


def wake_latency(trials: list[dict[str, Any]], listeners: tuple[Listener, ...]) -> dict[str, Any]:
    """From the end of the phrase alone (clean) to the first wake of ``listeners``."""
    latencies = []
    for t in trials:
        if t["speech_end"] is None or t["condition"] != "clean":
            continue
        steps = [
            step
            for front, window, threshold in listeners
            for step in fires(smooth(t["scores"][front], window), threshold)
        ]
        if steps:
            latencies.append(t["times"][min(steps)] - t["speech_end"])
    return {
        "what": "end of the phrase 'okay nabu' (clean) to the wake",
        "n": len(latencies),
        "p50": round(percentile(latencies, 50), 3),
        "p95": round(percentile(latencies, 95), 3),
    }


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


def record_streams(hours: float) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The other speech with its raw scores per front end; the CPU the configured
    listeners (gain, and noise suppression + gain) cost on it."""
    streams: list[dict[str, Any]] = []
    audio_s = cpu_s = 0.0
    for source, name, audio in long_streams(hours):
        cpu = time.process_time()
        _, series = all_scores(audio)
        cpu_s += (time.process_time() - cpu) * 2 / len(FRONT_ENDS)  # two of the front ends
        audio_s += audio.duration_s
        streams.append(
            {"source": source, "condition": name, "seconds": audio.duration_s, "scores": series}
        )
        print(f"  {source} {name}: {audio.duration_s / 60:.1f} min", file=sys.stderr)
    return streams, {
        "what": "the configured listeners on one stream, 30 ms chunks, this process's CPU "
        "time (the three front ends' time x 2/3)",
        "cpu_s_per_audio_s": round(cpu_s / audio_s, 5),
        "streams_per_core": int(audio_s / cpu_s) if cpu_s else None,
    }


def by_condition(hours: dict[str, float], streams: list[dict[str, Any]]) -> dict[str, float]:
    for s in streams:
        hours[s["condition"]] = hours.get(s["condition"], 0.0) + s["seconds"] / 3600
    return {k: round(v, 3) for k, v in hours.items()}


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4))
    names = list(report["configurations"])
    width = 0.8 / len(CONDITIONS)
    for n, name in enumerate(CONDITIONS):
        rates = [
            100 * report["configurations"][c]["misses"]["test"][name]["miss_rate"] for c in names
        ]
        left.bar(np.arange(len(names)) + n * width, rates, width, label=name)
    left.set_xticks(np.arange(len(names)) + width, names, fontsize=8)
    left.axhline(2, color="grey", linestyle=":")
    left.axhline(5, color="grey", linestyle="--")
    left.set(ylabel="held-out wake utterances missed (%)")
    left.set_title(f"misses, held-out half ({report['utterances'] // 2} x 3 conditions)")
    left.legend()
    per_hour = [report["configurations"][c]["false_wakes"]["per_hour"] for c in names]
    right.bar(names, per_hour, color="tab:red")
    right.axhline(MAX_FALSE_PER_HOUR, color="grey", linestyle=":")
    right.set(ylabel="false wakes per hour")
    right.tick_params(axis="x", labelsize=8)
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
    print("wake utterances ...", file=sys.stderr)
    trials = record_trials()
    print("other speech ...", file=sys.stderr)
    streams, cpu = record_streams(args.hours)
    recorded = Scores(trials, streams)
    chosen, tried = recorded.choose()
    configured = SpeechSettings()
    listeners = {
        "package default": (("plain", 5, 0.85),),
        "package, 0.5": (("plain", 5, 0.5),),
        "chosen on dev": chosen,
        "configured": (
            ("gain", configured.wake_word_window, configured.wake_word_threshold),
            ("denoised", configured.wake_word_window, configured.wake_word_denoised_threshold),
        ),
    }
    report: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "model": MODEL,
        "command": "python bench/bench_wakeword.py " + " ".join(sys.argv[1:]),
        "utterances": len(trials) // len(CONDITIONS),
        "voices": list(VOICES),
        "kinds": {"alone": len(WAKE_ALONE), "paused": len(COMMANDS), "run-on": len(COMMANDS)},
        "halves": "by text: wake_alone and commands at even positions of data/wakeword.yml are "
        "the development half (listeners chosen on it), odd positions held out",
        "hours": round(recorded.hours, 3),
        "hours_by_condition": by_condition({}, streams),
        "front_ends": {k: {"gain_dbfs": g, "suppression": n} for k, (g, n) in FRONT_ENDS.items()},
        "candidates_tried": tried,
        "configurations": {name: recorded.report(lst) for name, lst in listeners.items()},
        "wake_latency_s": wake_latency(trials, listeners["configured"]),
        "cpu": cpu,
    }
    report["run_s"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.output.with_suffix(".png"))
    summary = {
        name: {
            part: [c["misses"][part][cond]["miss_rate"] for cond in CONDITIONS]
            for part in ("dev", "test", "all")
        }
        | {"false_wakes_per_hour": c["false_wakes"]["per_hour"], "listeners": c["listeners"]}
        for name, c in report["configurations"].items()
    }
    print(json.dumps({"hours": report["hours"], "misses": summary, "cpu": cpu}, indent=1))
    print(json.dumps({"wake_latency_s": report["wake_latency_s"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
