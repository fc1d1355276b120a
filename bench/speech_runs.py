"""The speech benchmark's parts (``bench_speech.py``): its clips synthesised and cached, decoded
in worker processes, parsed by Rasa, and the reply latency measured on a private stack."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from assistant.settings import load_settings
from audio.base import AudioChunk
from audio.formats import read_wav, write_wav
from audio.synthetic import mix_noise, synthesize
from bench.common import percentile

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench-speech"
VOICES = ("kal", "slt", "espeak-us")
CONDITIONS = {"clean": None, "snr20": 20.0, "snr10": 10.0}


def clip_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def clip_path(text: str, voice: str, condition: str) -> Path:
    """Cached clips are named by the sentence's hash, so subsets (--quick) share them."""
    return CACHE / "clips" / f"{clip_key(text)}-{voice}-{condition}.wav"


def prepare_audio(items: list[tuple[int, str]]) -> None:
    """Synthesise every sentence in every voice and condition (cached)."""
    for sid, text in items:
        for voice in VOICES:
            clean_path = clip_path(text, voice, "clean")
            if not clean_path.exists():
                write_wav(clean_path, synthesize(text, voice, CACHE / "voices"))
            clean: AudioChunk | None = None
            for condition, snr in CONDITIONS.items():
                path = clip_path(text, voice, condition)
                if snr is None or path.exists():
                    continue
                clean = clean or read_wav(clean_path)
                write_wav(path, mix_noise(clean, snr, seed=sid * 31 + len(voice)))


def _decode_worker(
    args: tuple[str, bool, bool, bool, dict[str, Any], list[str]],
) -> list[dict[str, Any]]:
    engine, shop_lm, correction, denoise, overrides, paths = args
    from dataclasses import replace

    from assistant.speech import build_transcriber

    settings = load_settings()
    settings = replace(settings, speech=replace(settings.speech, **overrides))
    transcriber = build_transcriber(
        settings, engine=engine, shop_lm=shop_lm, correction=correction, denoise=denoise,
        threads=1,  # one thread per worker process: the workers share the cores
    )  # fmt: skip
    from audio.correction import CorrectingTranscriber

    # with correction: the engine's readings as heard, and corrected (for the "no correction" row)
    corrector = transcriber.corrector if isinstance(transcriber, CorrectingTranscriber) else None
    engine_only = (
        transcriber.inner if isinstance(transcriber, CorrectingTranscriber) else transcriber
    )
    out = []
    for path in paths:
        audio = read_wav(path)
        started, cpu = time.perf_counter(), time.process_time()
        raw = engine_only.transcribe(audio)
        transcript = corrector.correct_transcript(raw) if corrector is not None else raw
        wall_ms = (time.perf_counter() - started) * 1000
        cpu_s = time.process_time() - cpu
        out.append(
            {
                "path": path,
                "text": transcript.text,
                "alternatives": list(transcript.alternatives),
                "heard": raw.text,
                "heard_alternatives": list(raw.alternatives),
                "decode_ms": wall_ms,
                "cpu_s": cpu_s,
                "audio_s": audio.duration_s,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    return out


def decode_all(
    engine: str,
    shop_lm: bool,
    correction: bool,
    denoise: bool,
    overrides: dict[str, Any],
    paths: list[str],
    workers: int,
    stamp: str,
) -> dict[str, dict[str, Any]]:
    """Decode ``paths`` in ``workers`` processes; results are cached per setting and stamp
    (the shop model's digest), so a rerun after a failed Rasa parse decodes nothing again."""
    tag = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:8]
    cache = CACHE / f"decoded-{engine}-{int(shop_lm)}{int(correction)}{int(denoise)}-{tag}.json"
    results: dict[str, dict[str, Any]] = {}
    if cache.exists():
        saved = json.loads(cache.read_text())
        if saved.get("stamp") == stamp:
            results = {p: r for p, r in saved["results"].items() if p in set(paths)}
    todo = [p for p in paths if p not in results]
    batches = [todo[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        for batch in pool.map(
            _decode_worker,
            [(engine, shop_lm, correction, denoise, overrides, b) for b in batches if b],
        ):
            results.update({r["path"]: r for r in batch})
    merged = dict(results)
    if cache.exists():
        saved = json.loads(cache.read_text())
        if saved.get("stamp") == stamp:
            merged = {**saved["results"], **results}
    cache.write_text(json.dumps({"stamp": stamp, "results": merged}))
    return results


def parse_intents(texts: list[str]) -> dict[str, dict[str, Any]]:
    """Rasa's parse (intent name and confidence) of each distinct text, via
    ``run_assistant.py parse --jsonl``."""
    from assistant.services import free_port

    unique = sorted(set(texts))
    jsonl = CACHE / "parse-input.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t}) + "\n" for t in unique))
    # A Rasa of our own on a free port: one already running on the default port (another
    # developer's, with its own auth token) would answer 401.
    env = {**os.environ, "RASA_URL": f"http://127.0.0.1:{free_port()}"}
    env.pop("RASA_AUTH_TOKEN", None)
    result = subprocess.run(  # noqa: S603 - the project's own entry point
        [sys.executable, str(ROOT / "run_assistant.py"), "parse", "--jsonl", str(jsonl)],
        capture_output=True, text=True, cwd=ROOT, timeout=1800, check=False, env=env,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"parse failed ({result.returncode}): {result.stderr[-2000:]}")
    parses: dict[str, dict[str, Any]] = {}
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    for line in lines:
        parses[line["text"]] = line
    missing = [t for t in unique if t not in parses]
    if missing:
        raise SystemExit(f"Rasa returned no parse for {len(missing)} texts, e.g. {missing[:3]}")
    return parses


def intent_name(parse: dict[str, Any]) -> str | None:
    intent = parse.get("intent")
    return intent.get("name") if isinstance(intent, dict) else intent


def choose_readings(
    runs: dict[str, dict[str, Any]], parses: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each clip's text as the assistant answers it: of its readings (noisy speech heard
    through three noise filters), the one Rasa is surest of (``assistant/readings.py``)."""
    from assistant.readings import best_reading
    from audio.base import Transcript

    chosen = {}
    for path, r in runs.items():
        heard = Transcript(r["text"], "", alternatives=tuple(r["alternatives"]))
        text = best_reading(heard, parses.__getitem__)  # every reading was parsed already
        chosen[path] = {**r, "text": text, "first_reading": r["text"]}
    return chosen


def tts_first_audio() -> dict[str, float]:
    from audio.tts import CollectingSink, Pyttsx3Synthesizer, QueueSpeaker

    reply = (
        "I found three kinds of semi skimmed milk. The first is one pint for sixty five pence. "
        "The second is two pints for one pound ten. Which one would you like?"
    )
    speaker = QueueSpeaker(Pyttsx3Synthesizer, CollectingSink())
    totals = []
    try:
        for _ in range(10):
            started = time.perf_counter()
            speaker.speak(reply)
            speaker.wait(30)
            totals.append((time.perf_counter() - started) * 1000)
    finally:
        speaker.close()
    return {
        "first_audio_ms_p50": round(statistics.median(speaker.first_audio_ms), 1),
        "whole_reply_ms_p50": round(statistics.median(totals), 1),
        "sentences": 4,
    }


# settings read from another's decode: (no correction), (one reading), ... ; see derived_runs
DERIVED = ("(no correction)", "(one reading)", "(catalog terms only)", "general+correction")
MARGIN = "sound-alike margin "


def recorrected(
    runs: dict[str, dict[str, Any]], corrector: Any, field: str = "heard"
) -> dict[str, dict[str, Any]]:
    """Each clip's readings as the engine heard them (``field``), through ``corrector``
    (None: left as heard)."""
    fix = corrector.correct if corrector is not None else (lambda text: text)
    alternatives = "heard_alternatives" if field == "heard" else "alternatives"
    return {
        p: {**r, "text": fix(r[field]), "alternatives": [fix(a) for a in r[alternatives]]}
        for p, r in runs.items()
    }


def derived_runs(
    decoded: dict[str, dict[str, dict[str, Any]]], names: list[str], settings: Any
) -> dict[str, dict[str, dict[str, Any]]]:
    """The settings read from another's decode ("<base> (<variant>)"): without correction,
    the first reading alone, the catalog correction without sound-alikes ("catalog terms
    only"), or another sound-alike margin ("sound-alike margin 2")."""
    from dataclasses import replace

    from assistant.speech import build_corrector

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in names:
        base, _, variant = name.removesuffix(")").partition(" (")
        if base not in decoded or name in decoded:
            continue
        if variant == "no correction":
            out[name] = recorrected(decoded[base], None)
        elif variant == "one reading":
            out[name] = {p: {**r, "alternatives": []} for p, r in decoded[base].items()}
        elif variant == "catalog terms only" or variant.startswith(MARGIN):
            margin = float(variant.removeprefix(MARGIN)) if variant.startswith(MARGIN) else 0.0
            speech = replace(settings.speech, sound_alike_margin=margin)
            corrector = build_corrector(replace(settings, speech=speech))
            out[name] = recorrected(decoded[base], corrector)
    return out


LatencySetup = tuple[str, str, bool, bool, str, dict[str, Any]]


def reply_latency(
    items: list[tuple[int, str, str]], setups: list[LatencySetup], every: int
) -> dict[str, Any]:
    """End of speech -> first reply audio (ms) over spoken turns, per recogniser setting.

    Each clip is one turn of a conversation (``chat --wav``'s loop: ``wav_conversation``)
    against a private stack on a freshly seeded database; the figure is the endpointer's
    silence wait plus the work after the end of speech was decided.
    """
    import tempfile
    from dataclasses import replace

    from assistant.chat import ChatSession, customer_token
    from assistant.dialogue import RasaDialogue
    from assistant.services import isolated, running
    from assistant.speech import build_endpointer, build_speaker, build_transcriber
    from assistant.turns import EventBus
    from assistant.voice import wav_conversation
    from audio.tts import CollectingSink

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        work = Path(tmp)
        # Each clip gets a second of silence after it, as a microphone would go on hearing:
        # the endpointer then waits its whole silence time, rather than the file's end
        # cutting the utterance short.
        clips: dict[str, list[Path]] = {}
        for condition in {setup[4] for setup in setups}:
            for sid, text, _ in items:
                for voice in VOICES if sid % every == 0 else ():
                    clip = read_wav(clip_path(text, voice, condition))
                    padded = work / f"{sid}-{voice}-{condition}.wav"
                    more = clip.data + bytes(clip.rate * clip.width)
                    write_wav(padded, AudioChunk(clip.rate, clip.width, clip.channels, more))
                    clips.setdefault(condition, []).append(padded)
        settings = isolated(load_settings(environ={}), work, f"sqlite:///{work / 'shop.db'}")
        with running(settings) as stack:
            s = stack.settings
            dialogue = RasaDialogue.of(s.dialogue, timeout_s=30.0)
            try:
                for name, engine, shop_lm, correction, condition, overrides in setups:
                    tuned = replace(s, speech=replace(s.speech, **overrides))
                    transcriber = build_transcriber(
                        tuned, engine=engine, shop_lm=shop_lm, correction=correction
                    )
                    waits: list[float] = []
                    parts: dict[str, list[float]] = {}
                    for n, customer in enumerate(("alice", "bob", "carol")):
                        session = ChatSession(s, dialogue, customer_token(s, customer), None)

                        def speaker(clock: Any) -> tuple[Any, Any]:
                            sink = CollectingSink()
                            spk = build_speaker(s, sink=sink, on_event=clock)
                            return spk, lambda: sink.chunks.clear()

                        turns = wav_conversation(
                            session, transcriber, lambda: build_endpointer(s), speaker,
                            clips[condition][n::3], EventBus(),
                        )  # fmt: skip
                        for record in turns:
                            waits.append(record["end_of_speech_to_first_audio_ms"])
                            for key, value in record["timings_ms"].items():
                                parts.setdefault(key, []).append(value)
                    out[name] = {
                        "turns": len(waits),
                        "p50_ms": round(percentile(waits, 50), 1),
                        "p95_ms": round(percentile(waits, 95), 1),
                        "parts_p50_ms": {k: round(percentile(v, 50), 1) for k, v in parts.items()},
                    }
                    print(f"latency {name}: {out[name]}", file=sys.stderr, flush=True)
            finally:
                dialogue.close()
    return out
