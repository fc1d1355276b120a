"""The speech commands of run_assistant.py: transcribe, say, models, wakeword."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from audio import models
from audio.base import Expect
from audio.errors import AudioError
from audio.formats import load_wav
from audio.settings import SpeechSetup
from audio.text import spoken_digits

COMMANDS = ("transcribe", "say", "models", "wakeword")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    transcribe = commands.add_parser(
        "transcribe", help="speech to text of WAV files, one JSON line per file"
    )
    transcribe.add_argument("files", nargs="+", type=Path, metavar="FILE.wav")
    transcribe.add_argument(
        "--engine", choices=("whisper", "pocketsphinx", "vosk"), help="default: settings"
    )
    transcribe.add_argument(
        "--whisper-model", choices=("tiny.en", "base"), help="default: settings"
    )
    transcribe.add_argument(
        "--expect",
        choices=[e.value for e in Expect],
        default=Expect.SPEECH.value,
        help="pin: digits only (Whisper is restricted to them); text is exactly the digits",
    )
    transcribe.add_argument(
        "--no-shop-lm", action="store_true", help="decode with the engine's general model"
    )
    transcribe.add_argument(
        "--no-correction", action="store_true", help="skip snapping words onto catalog names"
    )

    say = commands.add_parser("say", help="text to speech, to the speaker or a WAV file")
    say.add_argument("text")
    say.add_argument("-o", "--output", type=Path, help="write a WAV file instead of playing")

    model = commands.add_parser("models", help="vosk speech models: list, download")
    actions = model.add_subparsers(dest="models_command", required=True)
    actions.add_parser("list", help="known models and whether they are installed")
    download = actions.add_parser("download", help="fetch, verify and unpack a model")
    download.add_argument("name", nargs="?", default=models.DEFAULT_MODEL)
    download.add_argument("--url", help="fetch from here (a mirror) instead of the registry URL")
    download.add_argument("--sha256", help="expected checksum (for a model not in the registry)")
    download.add_argument("--force", action="store_true", help="replace an installed model")
    download.add_argument("--quiet", action="store_true", help="no progress bar")

    wake = commands.add_parser(
        "wakeword", help="where the wake word is heard in WAV files, one JSON line per file"
    )
    wake.add_argument("files", nargs="+", type=Path, metavar="FILE.wav")
    wake.add_argument(
        "--model", help="okay_nabu, hey_jarvis, hey_mycroft, alexa or a model's .json path"
    )
    wake.add_argument(
        "--threshold",
        type=float,
        help="score that wakes it, 0-1, one listener (default: the settings' two)",
    )


def _models_dir(settings: SpeechSetup) -> Path:
    """Models live beside the configured vosk model (``models/vosk`` by default)."""
    return settings.path(settings.speech.vosk_model).parent


def run(args: argparse.Namespace, settings: SpeechSetup) -> int:
    if args.command == "transcribe":
        return _transcribe(args, settings)
    if args.command == "say":
        return _say(args, settings)
    if args.command == "models":
        return _models(args, settings)
    if args.command == "wakeword":
        return _wakeword(args, settings)
    return 1


def _transcribe(args: argparse.Namespace, settings: SpeechSetup) -> int:
    from dataclasses import replace

    from audio.factory import build_transcriber

    if args.whisper_model:
        settings = replace(
            settings, speech=replace(settings.speech, whisper_model=args.whisper_model)
        )
    expect = Expect(args.expect)
    transcriber = build_transcriber(
        settings,
        engine=args.engine,
        shop_lm=False if args.no_shop_lm else None,
        correction=False if args.no_correction else None,
    )
    failures = 0
    for path in args.files:
        try:
            audio = load_wav(path)
            transcript = transcriber.transcribe(audio, expect)
            if expect is Expect.PIN:  # only the digits, as the conversation would take them
                transcript = replace(transcript, text=spoken_digits(transcript.text))
        except AudioError as err:
            failures += 1
            print(json.dumps({"file": str(path), **err.to_dict()}))
            continue
        line = {
            "file": str(path),
            "text": transcript.text,
            "engine": transcript.engine,
            "duration_s": round(audio.duration_s, 3),
            "decode_ms": round(transcript.decode_ms, 1),
        }
        if transcript.raw_text is not None:
            line["heard"] = transcript.raw_text
        print(json.dumps(line), flush=True)
    return 1 if failures else 0


def _wakeword(args: argparse.Namespace, settings: SpeechSetup) -> int:
    from dataclasses import replace

    from audio.wakeword import MicroWakeWordDetector, detect

    speech = settings.speech
    if args.model:
        speech = replace(speech, wake_word_model=args.model)
    if args.threshold is not None:
        speech = replace(  # range-checked; one listener, at this threshold
            speech, wake_word_threshold=args.threshold, wake_word_denoised_threshold=0.0
        )
    MicroWakeWordDetector.from_settings(speech, settings.root)  # a missing model fails here
    failures = 0
    for path in args.files:
        try:
            audio = load_wav(path)
        except AudioError as err:
            failures += 1
            print(json.dumps({"file": str(path), **err.to_dict()}))
            continue
        detector = MicroWakeWordDetector.from_settings(speech, settings.root)
        found = [d.to_dict() for d in detect(detector, audio)]
        print(json.dumps({"file": str(path), "detections": found}), flush=True)
    return 1 if failures else 0


def _say(args: argparse.Namespace, settings: SpeechSetup) -> int:
    from audio.factory import build_speaker
    from audio.tts import SpeechStarted, TtsEvent

    first: list[float] = []

    def on_event(event: TtsEvent) -> None:
        if isinstance(event, SpeechStarted):
            first.append(event.first_audio_ms)

    started = time.perf_counter()
    speaker = build_speaker(settings, wav_path=args.output, on_event=on_event)
    try:
        speaker.speak(args.text)
        speaker.wait()
        if speaker.error is not None:
            raise speaker.error
    finally:
        speaker.close()
    result = {
        "output": str(args.output) if args.output else "speaker",
        "first_audio_ms": round(first[0], 1) if first else None,
        "total_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    print(json.dumps(result))
    return 0


def _models(args: argparse.Namespace, settings: SpeechSetup) -> int:
    folder = _models_dir(settings)
    if args.models_command == "list":
        for spec in models.REGISTRY.values():
            print(
                json.dumps(
                    {
                        "name": spec.name,
                        "installed": models.installed(folder / spec.name),
                        "size_mb": round(spec.size_bytes / 1e6, 1),
                        "description": spec.description,
                    }
                )
            )
        return 0
    url = args.url or (
        settings.speech.vosk_model_url
        if args.name == Path(settings.speech.vosk_model).name
        else None
    )
    path = models.download_model(
        args.name,
        folder,
        url=url,
        sha256=args.sha256,
        progress=not args.quiet,
        force=args.force,
    )
    print(json.dumps({"name": args.name, "path": str(path)}))
    return 0
