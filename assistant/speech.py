"""The speech parts built from the assistant's settings: its ``speech`` section, the project
folder, the NLU sentences and the catalog's vocabulary from the commerce service, handed to
``audio.factory`` as one ``SpeechSetup``.

    transcriber = build_transcriber(settings)      # as audio.factory.build_transcriber
    endpointer = build_endpointer(settings)
    speaker = build_speaker(settings, wav_path=out)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from assistant.vocabulary import catalog_vocabulary
from audio import factory
from audio.base import Transcriber
from audio.correction import TranscriptCorrector
from audio.settings import SpeechSetup
from audio.shop_lm import CatalogTerms, ShopModel
from audio.tts import AudioSink, QueueSpeaker, TtsEvent
from audio.vad import Endpointer
from audio.wakeword import MicroWakeWordDetector, WakeGate


def catalog_terms(settings: Settings) -> CatalogTerms:
    """The catalog's names the recogniser knows, from the commerce service's vocabulary."""
    return CatalogTerms.from_vocabulary(catalog_vocabulary(settings))


def speech_setup(settings: Settings, vocabulary: bool = True) -> SpeechSetup:
    """What ``audio.factory`` builds from; ``vocabulary=False`` skips asking the service (for
    the parts that need no shop words: the speaker, the endpointer, the wake word)."""
    return SpeechSetup(
        speech=settings.speech,
        root=settings.root,
        sentences=settings.root / "nlu_data",
        terms=catalog_terms(settings) if vocabulary else None,
    )


def shop_model(settings: Settings) -> ShopModel:
    return factory.shop_model(speech_setup(settings))


def build_corrector(settings: Settings, shop: ShopModel | None = None) -> TranscriptCorrector:
    return factory.build_corrector(speech_setup(settings), shop)


def build_transcriber(settings: Settings, **overrides: Any) -> Transcriber:
    """``audio.factory.build_transcriber`` on the assistant's settings; ``overrides`` are its
    keyword arguments (engine, shop_lm, correction, denoise, sessions, threads)."""
    speech = settings.speech
    shop_lm, correction = overrides.get("shop_lm"), overrides.get("correction")
    shop_words = (speech.shop_lm if shop_lm is None else shop_lm) or (
        speech.correction if correction is None else correction
    )
    return factory.build_transcriber(speech_setup(settings, vocabulary=shop_words), **overrides)


def build_endpointer(settings: Settings) -> Endpointer:
    return factory.build_endpointer(speech_setup(settings, vocabulary=False))


def build_speaker(
    settings: Settings,
    wav_path: Path | None = None,
    sink: AudioSink | None = None,
    on_event: Callable[[TtsEvent], None] | None = None,
) -> QueueSpeaker:
    return factory.build_speaker(
        speech_setup(settings, vocabulary=False), wav_path=wav_path, sink=sink, on_event=on_event
    )


def build_wake_gate(settings: Settings, preroll_s: float | None = None) -> WakeGate:
    """The home device's wake word gate (``speech.wake_word_*``, ``speech.follow_up_s``);
    ``preroll_s``: audio kept from before the wake (the settings' ``wake_word_preroll_ms``)."""
    speech = settings.speech
    detector = MicroWakeWordDetector.from_settings(speech, settings.root)
    preroll = speech.wake_word_preroll_ms / 1000 if preroll_s is None else preroll_s
    return WakeGate(detector, preroll_s=preroll, window_s=speech.follow_up_s)
