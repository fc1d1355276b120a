"""The one place the real speech parts are chosen and built from the settings.

transcriber = build_transcriber(settings)            # engine, shop LM, denoising, correction
endpointer = build_endpointer(settings)              # VAD with speech.vad_* settings
speaker = build_speaker(settings)                     # TTS to the sound device
speaker = build_speaker(settings, wav_path=out)       # ... or to a WAV file
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from assistant.settings import Settings
from audio import tts
from audio.base import Transcriber
from audio.correction import CorrectingTranscriber, TranscriptCorrector
from audio.shop_lm import ShopModel, catalog_terms, ensure_shop_model
from audio.tts import AudioSink, QueueSpeaker, TtsEvent, WavFileSink
from audio.vad import Endpointer

PRELOADED_DECODERS = 4  # a shared transcriber loads this many decoders up front
_SHOP_LOCK = threading.Lock()  # sessions starting together must not build the LM twice at once


def shop_model(settings: Settings) -> ShopModel:
    """The shop LM, dictionary and phrase list, rebuilt first if the inputs changed."""
    with _SHOP_LOCK:
        return ensure_shop_model(settings.root, settings.path(settings.speech.shop_lm_dir))


def build_corrector(settings: Settings, shop: ShopModel | None = None) -> TranscriptCorrector:
    shop = shop or shop_model(settings)
    return TranscriptCorrector(
        catalog_terms().all_names(),
        shop.vocabulary,
        threshold=settings.speech.correction_threshold,
    )


def build_transcriber(
    settings: Settings,
    engine: str | None = None,
    shop_lm: bool | None = None,
    correction: bool | None = None,
    denoise: bool | None = None,
    sessions: int = 1,
) -> Transcriber:
    """A ``Transcriber`` per the settings; the arguments override them (for the CLI, benches).
    ``sessions``: how many conversations will share it at once (the gateway's): that many
    recognitions can run together, the first few with decoders loaded in advance.

    Raises:
        SpeechToTextError: ``stt-model-missing`` when vosk is chosen and its model folder is
            missing (the message names ``models download``).
    """
    speech = settings.speech
    engine = engine or speech.engine
    use_shop = speech.shop_lm if shop_lm is None else shop_lm
    use_correction = speech.correction if correction is None else correction
    shop = shop_model(settings) if (use_shop or use_correction) else None
    below = speech.denoise_below_snr_db
    inner = _engine(settings, engine, shop if use_shop else None, sessions)
    if below > 0 if denoise is None else denoise:
        from audio.denoise import GATES, DenoisingTranscriber

        lm = shop if use_shop else None
        twin = _engine(settings, engine, lm, sessions, "pocketsphinx-cmn-suppressed")
        # only noisy utterances reach the gates' decoders: one each is loaded in advance
        gated = [
            _engine(settings, engine, lm, sessions, f"pocketsphinx-cmn-gated-{n}", preload=1)
            for n in range(len(GATES))
        ]
        inner = DenoisingTranscriber(inner, twin, gated, snr_threshold_db=below or 30.0)
    if use_correction and shop is not None:
        return CorrectingTranscriber(inner, build_corrector(settings, shop))
    return inner


def _engine(
    settings: Settings,
    engine: str,
    shop: ShopModel | None,
    sessions: int,
    state_key: str = "pocketsphinx-cmn",
    preload: int = PRELOADED_DECODERS,
) -> Transcriber:
    speech = settings.speech
    if engine == "vosk":
        from audio.stt_vosk import VoskTranscriber

        model = settings.path(speech.vosk_model)
        phrases = shop.phrases() if shop is not None else None
        return VoskTranscriber(model, phrases, model_name=Path(model).name)
    if engine == "pocketsphinx":
        from audio.stt_pocketsphinx import PocketsphinxTranscriber

        return PocketsphinxTranscriber(
            shop,
            language_weight=speech.language_weight,
            pool_size=max(2, sessions),
            preload=min(sessions, preload),
            noise_floor_rms=speech.noise_floor_rms,
            state_key=state_key,
        )
    from assistant.errors import ConfigError

    raise ConfigError("config-invalid", f"unknown speech engine {engine!r}")


def build_endpointer(settings: Settings) -> Endpointer:
    return Endpointer.from_settings(settings.speech)


def build_speaker(
    settings: Settings,
    wav_path: Path | None = None,
    sink: AudioSink | None = None,
    on_event: Callable[[TtsEvent], None] | None = None,
) -> QueueSpeaker:
    """The pyttsx3 speaker: to ``sink``, to a WAV file, or (neither given) the sound device."""
    speech = settings.speech
    if wav_path is not None:
        sink = WavFileSink(wav_path)
    return tts.build_speaker(
        speech.tts_voice,
        speech.tts_rate,
        speech.tts_volume,
        sink=sink,
        device=speech.output_device,
        on_event=on_event,
    )
