#!/usr/bin/env python3
"""Speech benchmark: a spoken commerce test set through the real recognisers and Rasa.

240 customer sentences written for this benchmark (not the NLU training data, not the shared
eval set), 10 per intent, each spoken by 3 synthetic voices (festival kal diphone, festival
slt HTS, espeak-ng en-us), clean and with pink noise at 20 dB and 10 dB SNR (sox).
Engine settings: Whisper tiny.en as the assistant runs it (15 s window, the shop's prompt, the
normaliser, catalog correction) and its variants (30 s / 10 s window, no prompt, on every
``--variants-every``-th sentence), Whisper base (every ``--base-every``-th), pocketsphinx with
the shop LM (+ catalog correction) and its general model (every ``--general-every``-th), vosk
where a model is installed. Noisy clips have several readings (pocketsphinx: WebRTC-suppressed
audio and two spectral gates'; Whisper: as heard, suppressed, and one gate's); the one Rasa is
surest of is scored, as the assistant answers it ("one reading": the first one alone).
Reported per setting and condition: WER, decode latency p50/p95, and intent accuracy — the
intent Rasa gives the transcript against the intent it gives the reference text
(``run_assistant.py parse --jsonl``). Also TTS time-to-first-audio, and the latency a customer
waits: end of speech to the first reply audio, through the whole voice loop (endpointer,
recogniser, Rasa, action server, commerce service, TTS) on a private stack, for every
``--latency-every``-th sentence in each voice: Whisper with and without the decode that starts
at a pause, with the 30 s window, at 10 dB, and pocketsphinx with the shop LM.

    .venv/bin/python bench/bench_speech.py            # -> bench/results/speech.json, .png
    .venv/bin/python bench/bench_speech.py --quick    # 2 sentences per intent, no plot
    .venv/bin/python bench/bench_speech.py --every 2 --only whisper-tiny.en --latency-every 0

Settings are chosen on the development sentences (every ``DEV_EVERY``-th, "dev" in the
results) and reported on the rest ("rest") and on the whole. WER compares the reference and
the transcript both in ``bench.common.scoring_form`` (the assistant's normaliser and one spelling
for words written either way); ``wer_old`` is the earlier scoring (``audio.text.normalize`` on
both sides, "pick up" against "pickup" an error).

Synthesised audio is cached in var/bench-speech/ so reruns skip synthesis.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.settings import load_settings  # noqa: E402
from audio.text import normalize, word_errors  # noqa: E402
from bench.common import percentile, scored_word_errors  # noqa: E402
from bench.speech_runs import (  # noqa: E402
    CONDITIONS,
    VOICES,
    choose_readings,
    clip_key,
    clip_path,
    decode_all,
    intent_name,
    parse_intents,
    prepare_audio,
    reply_latency,
    tts_first_audio,
)

RESULTS = ROOT / "bench" / "results"
DEV_EVERY = 8  # every 8th sentence chooses settings; the others only report
# intent -> the sentences customers say for it (10 each)
SENTENCES: dict[str, list[str]] = yaml.safe_load(
    (ROOT / "bench" / "data" / "speech.yml").read_text()
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 sentences per intent")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--general-every", type=int, default=3, help="general model subset")
    parser.add_argument("--base-every", type=int, default=4, help="whisper base subset")
    parser.add_argument(
        "--variants-every", type=int, default=4, help="whisper window / prompt variants subset"
    )
    parser.add_argument(
        "--latency-every", type=int, default=4, help="sentences timed through the voice loop"
    )
    parser.add_argument("--every", type=int, default=1, help="every n-th sentence only")
    parser.add_argument("--only", default="", help="comma-separated setting names (all if empty)")
    args = parser.parse_args()

    per_intent = 2 if args.quick else 100
    items: list[tuple[int, str, str]] = []
    for intent, sentences in SENTENCES.items():
        for text in sentences[:per_intent]:
            items.append((len(items), text, intent))
    started = time.time()
    prepare_audio([(sid, text) for sid, text, _ in items])
    synth_s = time.time() - started
    print(f"audio ready: {len(items)} sentences x {len(VOICES)} voices x {len(CONDITIONS)} "
          f"conditions ({synth_s:.0f} s)", file=sys.stderr)  # fmt: skip

    settings = load_settings()
    vosk_ready = (settings.path(settings.speech.vosk_model) / "am" / "final.mdl").exists()
    # (name, engine, shop LM / prompt, correction, noise suppression, every n-th sentence,
    # speech settings changed)
    every = args.variants_every
    setups: list[tuple[str, str, bool, bool, bool, int, dict[str, Any]]] = [
        ("whisper-tiny.en", "whisper", True, True, True, 1, {}),
        ("whisper-tiny.en (30 s window)", "whisper", True, True, False, every,
         {"whisper_window_s": 30.0}),
        ("whisper-tiny.en (10 s window)", "whisper", True, True, False, every,
         {"whisper_window_s": 10.0}),
        ("whisper-tiny.en (no shop prompt)", "whisper", False, True, False, every, {}),
        ("whisper-tiny.en (suppressor level 1)", "whisper", True, True, True, DEV_EVERY,
         {"whisper_noise_suppression": 1}),
        ("whisper-tiny.en (one reading)", "whisper", True, True, True, 1, {}),
        ("whisper-base", "whisper", True, True, False, args.base_every, {"whisper_model": "base"}),
        ("pocketsphinx+shop-lm", "pocketsphinx", True, True, True, 1, {}),
        ("pocketsphinx+shop-lm (no correction)", "pocketsphinx", True, False, True, 1, {}),
        ("pocketsphinx+shop-lm (one reading)", "pocketsphinx", True, True, True, 1, {}),
        ("pocketsphinx general", "pocketsphinx", False, False, True, args.general_every, {}),
        ("pocketsphinx general+correction", "pocketsphinx", False, True, True,
         args.general_every, {}),
    ]  # fmt: skip
    if vosk_ready:
        setups += [
            ("vosk+phrases", "vosk", True, True, True, 1, {}),
            ("vosk general", "vosk", False, False, True, 1, {}),
        ]
    only = set(filter(None, args.only.split(",")))
    setups = [s for s in setups if not only or s[0] in only]
    from assistant.speech import shop_model
    from audio.denoise import GATES

    # decoded results are reused only for the same shop model and engine configuration
    stamp = (
        f"{shop_model(settings).digest}|dither|gates={len(GATES)}|lw={settings.speech.language_weight}"
        f"|denoise<{settings.speech.denoise_below_snr_db}|floor={settings.speech.noise_floor_rms}"
    )
    decoded: dict[str, dict[str, dict[str, Any]]] = {}
    for name, engine, shop_lm, correction, denoise, nth, overrides in setups:
        paths = [
            str(clip_path(text, voice, condition))
            for sid, text, _ in items
            if sid % nth == 0 and sid % args.every == 0
            for voice in VOICES
            for condition in CONDITIONS
        ]
        if name.endswith("(no correction)"):
            # the same decode as with correction: read what the engine heard from that run
            base = decoded["pocketsphinx+shop-lm"]
            decoded[name] = {
                p: {**r, "text": r["heard"], "alternatives": r["heard_alternatives"]}
                for p, r in base.items()
            }
            continue
        if name.endswith("(one reading)"):
            continue  # filled below: the same decode, answering the first reading only
        if name == "pocketsphinx general+correction":
            continue  # filled below from the general run (the corrector is deterministic)
        t = time.time()
        decoded[name] = decode_all(
            engine, shop_lm, correction, denoise, overrides, paths, args.workers, stamp
        )
        print(f"{name}: {len(paths)} clips in {time.time() - t:.0f} s", file=sys.stderr)
    from assistant.speech import build_corrector

    corrector = build_corrector(settings)
    if "pocketsphinx general" in decoded:
        decoded["pocketsphinx general+correction"] = {
            p: {
                **r,
                "text": corrector.correct(r["text"]),
                "alternatives": [corrector.correct(a) for a in r["alternatives"]],
            }
            for p, r in decoded["pocketsphinx general"].items()
        }
    for engine_name in ("pocketsphinx+shop-lm", "whisper-tiny.en"):
        if engine_name in decoded and any(s[0] == f"{engine_name} (one reading)" for s in setups):
            decoded[f"{engine_name} (one reading)"] = {
                p: {**r, "alternatives": []} for p, r in decoded[engine_name].items()
            }

    texts = [text for _, text, _ in items]
    texts += [
        t
        for runs in decoded.values()
        for r in runs.values()
        for t in (r["text"], *r["alternatives"])
    ]
    parses = parse_intents([normalize(t) for t in texts] + texts)
    decoded = {name: choose_readings(runs, parses) for name, runs in decoded.items()}
    intents = {text: intent_name(parse) for text, parse in parses.items()}

    report: dict[str, Any] = {
        "sentences": len(items),
        "intents": len(SENTENCES),
        "voices": list(VOICES),
        "conditions": list(CONDITIONS),
        "clips": len(items) * len(VOICES) * len(CONDITIONS),
        "machine": f"{os.cpu_count()} cores",
        "settings": {},
        "reference_intent_agrees_with_label": None,
    }
    ref_intent = {sid: intents[text] for sid, text, _ in items}
    report["reference_intent_agrees_with_label"] = round(
        sum(ref_intent[sid] == intent for sid, _, intent in items) / len(items), 3
    )
    from audio.shop_lm import nlu_sentences

    training = {normalize(t) for t in nlu_sentences(ROOT / "nlu_data")}
    seen = {sid for sid, text, _ in items if normalize(text) in training}
    report["in_training_data"] = {
        "sentences": len(seen),
        "note": "test sentences also in nlu_data (short generic ones collide); 'unseen' "
        "below is measured on the others only",
    }
    by_sid = {sid: (text, intent) for sid, text, intent in items}
    sid_of = {clip_key(text): sid for sid, text, _ in items}
    for name, runs in decoded.items():
        per_condition: dict[str, Any] = {}
        subsets = ("unseen", "dev", "rest")
        for condition in [*CONDITIONS, "all", *(f"{c}/{s}" for s in subsets for c in CONDITIONS)]:
            wanted, _, subset = condition.partition("/")
            errors = words = correct = count = old_errors = old_words = 0
            latencies: list[float] = []
            rtf: list[float] = []
            cpu: list[float] = []
            rss: list[float] = []
            per_voice: dict[str, list[int]] = {v: [0, 0] for v in VOICES}
            for path, r in runs.items():
                key, rest = Path(path).stem.split("-", 1)
                voice, cond = rest.rsplit("-", 1)
                if cond != wanted and wanted != "all":
                    continue
                sid = sid_of[key]
                if (subset == "unseen" and sid in seen) or (
                    subset and subset != "unseen" and (sid % DEV_EVERY == 0) != (subset == "dev")
                ):
                    continue
                reference = by_sid[sid][0]
                wrong, said = scored_word_errors(reference, r["text"])
                errors, words = errors + wrong, words + said
                old_errors += word_errors(reference, r["text"])
                old_words += len(normalize(reference).split())
                ok = intents.get(r["text"]) == ref_intent[sid]
                correct += ok
                count += 1
                per_voice[voice][0] += ok
                per_voice[voice][1] += 1
                latencies.append(r["decode_ms"])
                rtf.append(r["decode_ms"] / 1000 / r["audio_s"])
                cpu.append(r.get("cpu_s", float("nan")) / r["audio_s"])
                rss.append(r.get("rss_mb", float("nan")))
            per_condition[condition] = {
                "clips": count,
                "wer": round(errors / words, 4) if words else None,
                "wer_old": round(old_errors / old_words, 4) if old_words else None,
                "intent_accuracy": round(correct / count, 4) if count else None,
                "intent_accuracy_by_voice": {
                    v: round(c / n, 4) for v, (c, n) in per_voice.items() if n
                },
                "decode_ms_p50": round(percentile(latencies, 50), 1),
                "decode_ms_p95": round(percentile(latencies, 95), 1),
                "real_time_factor_p50": round(percentile(rtf, 50), 3),
                "cpu_s_per_audio_s": round(statistics.mean(cpu), 3) if cpu else None,
                "peak_memory_mb": round(max(rss), 1) if rss else None,
            }
        report["settings"][name] = per_condition
    report["tts"] = tts_first_audio()
    report["end_of_speech_to_first_audio"] = {} if args.latency_every <= 0 else reply_latency(
        items,
        [
            ("whisper-tiny.en", "whisper", True, True, "clean", {}),
            ("whisper-tiny.en, no early decode", "whisper", True, True, "clean",
             {"whisper_early_decode_ms": 0}),
            ("whisper-tiny.en, 30 s window, no early decode", "whisper", True, True, "clean",
             {"whisper_early_decode_ms": 0, "whisper_window_s": 30.0}),
            ("whisper-tiny.en, 10 dB", "whisper", True, True, "snr10", {}),
            ("pocketsphinx+shop-lm", "pocketsphinx", True, True, "clean", {}),
        ],
        args.latency_every,
    )  # fmt: skip
    report["targets"] = {
        "intent_accuracy_clean": 0.95,
        "intent_accuracy_snr10": 0.88,
        "wer_clean": 0.06,
        "end_of_speech_to_first_audio_p50_ms": 800.0,
        "end_of_speech_to_first_audio_p95_ms": 1200.0,
    }
    main_setting = report["settings"]["whisper-tiny.en"]
    latency = report["end_of_speech_to_first_audio"].get("whisper-tiny.en")
    report["targets_met"] = {
        "clean": main_setting["clean"]["intent_accuracy"] >= 0.95,
        "snr10": main_setting["snr10"]["intent_accuracy"] >= 0.88,
        "wer_clean": main_setting["clean"]["wer"] <= 0.06,
        "latency_p50": latency["p50_ms"] <= 800.0 if latency else None,
        "latency_p95": latency["p95_ms"] <= 1200.0 if latency else None,
    }
    report["vosk"] = (
        "measured" if vosk_ready else "no vosk model installed (none can be downloaded here)"
    )
    if {"pocketsphinx+shop-lm", "pocketsphinx general"} <= set(decoded):
        report["examples"] = _examples(decoded, by_sid)
    report["seconds"] = round(time.time() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("speech-quick.json" if args.quick else "speech.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("settings", "tts", "targets_met")}, indent=1))
    if not args.quick:
        plot(report, RESULTS / "speech.png")
    return 0


def _examples(
    decoded: dict[str, dict[str, dict[str, Any]]], by_sid: dict[int, tuple[str, str]]
) -> list[dict[str, str]]:
    sid_of = {clip_key(text): sid for sid, (text, _) in by_sid.items()}
    out = []
    shop = decoded["pocketsphinx+shop-lm"]
    general = decoded["pocketsphinx general"]
    whisper = decoded["whisper-tiny.en"]
    for path in sorted(general)[:: max(1, len(general) // 12)][:12]:
        sid = sid_of[Path(path).stem.split("-", 1)[0]]
        out.append(
            {
                "clip": Path(path).stem,
                "reference": by_sid[sid][0],
                "whisper": whisper[path]["text"],
                "shop_lm": shop[path]["text"],
                "general": general[path]["text"],
            }
        )
    return out


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["settings"])
    conditions = list(CONDITIONS)
    fig, axes = plt.subplots(1, 4, figsize=(20, 5))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        series = report["settings"][name]
        xs = [i + k * width for i in range(len(conditions))]
        axes[0].bar(xs, [series[c]["intent_accuracy"] * 100 for c in conditions], width, label=name)
        axes[1].bar(xs, [series[c]["wer"] * 100 for c in conditions], width, label=name)
        axes[2].bar(xs, [series[c]["decode_ms_p50"] for c in conditions], width, label=name)
        axes[2].errorbar(
            xs,
            [series[c]["decode_ms_p50"] for c in conditions],
            yerr=[[0] * len(conditions),
                  [series[c]["decode_ms_p95"] - series[c]["decode_ms_p50"] for c in conditions]],
            fmt="none", ecolor="black", capsize=3,
        )  # fmt: skip
    latency = report.get("end_of_speech_to_first_audio", {})
    lat_names = list(latency)
    axes[3].bar(range(len(lat_names)), [latency[n]["p50_ms"] for n in lat_names], 0.6,
                label="p50")  # fmt: skip
    above = [latency[n]["p95_ms"] - latency[n]["p50_ms"] for n in lat_names]
    axes[3].errorbar(
        range(len(lat_names)),
        [latency[n]["p50_ms"] for n in lat_names],
        yerr=[[0] * len(lat_names), above],
        fmt="none", ecolor="black", capsize=3,
    )  # fmt: skip
    axes[3].axhline(800, color="green", linestyle="--", linewidth=1)
    axes[3].set_xticks(range(len(lat_names)))
    axes[3].set_xticklabels(lat_names, fontsize=7, rotation=20, ha="right")
    axes[3].set_title("end of speech -> first reply audio, ms (p50, bar to p95)", fontsize=10)
    for ax, title in zip(
        axes[:3],
        ("intent accuracy % (Rasa on transcript vs reference)", "word error rate %",
         "decode ms per utterance (p50, bar to p95)"),
        strict=True,
    ):  # fmt: skip
        ax.set_title(title, fontsize=10)
        ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(conditions))])
        ax.set_xticklabels(conditions)
    axes[0].axhline(95, color="green", linestyle="--", linewidth=1)
    axes[0].axhline(88, color="orange", linestyle="--", linewidth=1)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle(
        f"Speech benchmark: {report['sentences']} sentences x {len(report['voices'])} voices "
        f"x {len(report['conditions'])} conditions; TTS first audio "
        f"{report['tts']['first_audio_ms_p50']} ms (p50)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
