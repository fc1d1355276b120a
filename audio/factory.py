"""The one place the real speech parts are chosen and built from the speech settings.

``setup`` is an ``audio.settings.SpeechSetup`` (the speech settings, the folder their paths
start from, the NLU sentences and the catalog's names; ``assistant.speech`` makes one)::

    transcriber = build_transcriber(setup)            # engine, shop words, denoising,
                                                      # normaliser, correction
    endpointer = build_endpointer(setup)              # VAD with speech.vad_* settings
    speaker = build_speaker(setup)                    # TTS to the sound device
    speaker = build_speaker(setup, wav_path=out)      # ... or to a WAV file
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from audio import tts
from audio.base import Transcriber
from audio.correction import CorrectingTranscriber, TranscriptCorrector
from audio.errors import SpeechConfigError, SpeechToTextError
from audio.normalizer import NormalizingTranscriber
from audio.settings import SpeechSetup
from audio.shop_lm import CatalogTerms, ShopModel, ensure_shop_model, whisper_prompt
from audio.sound_alikes import SoundAlikeCorrector
from audio.tts import AudioSink, QueueSpeaker, TtsEvent, WavFileSink
from audio.vad import Endpointer

PRELOADED_DECODERS = 4  # a shared transcriber loads this many decoders up front
_SHOP_LOCK = threading.Lock()  # sessions starting together must not build the LM twice at once
_WHISPER: dict[tuple[object, ...], Transcriber] = {}  # loaded models, shared in a process
_WHISPER_LOCK = threading.Lock()
_ALIKES: dict[tuple[object, ...], SoundAlikeCorrector] = {}  # built once per shop model


def _terms(settings: SpeechSetup) -> CatalogTerms:
    if settings.terms is None:
        raise SpeechToTextError(
            "stt-vocabulary-missing", "the shop words need the catalog's vocabulary (terms)"
        )
    return settings.terms


def shop_model(settings: SpeechSetup) -> ShopModel:
    """The shop LM, dictionary and phrase list, rebuilt first if the inputs changed."""
    with _SHOP_LOCK:
        return ensure_shop_model(
            settings.sentences, settings.path(settings.speech.shop_lm_dir), _terms(settings)
        )


def build_corrector(settings: SpeechSetup, shop: ShopModel | None = None) -> TranscriptCorrector:
    shop = shop or shop_model(settings)
    speech = settings.speech
    alikes = None
    if speech.sound_alike_margin > 0:
        key = (shop.digest, speech.sound_alike_margin, speech.sound_alike_similarity)
        with _SHOP_LOCK:
            if key not in _ALIKES:
                _ALIKES[key] = SoundAlikeCorrector(
                    shop.corpus_file.read_text().splitlines(),
                    shop.vocabulary,
                    margin=speech.sound_alike_margin,
                    similarity=speech.sound_alike_similarity,
                )
            alikes = _ALIKES[key]
    return TranscriptCorrector(
        _terms(settings).all_names(),
        shop.vocabulary,
        threshold=speech.correction_threshold,
        sound_alikes=alikes,
    )


def build_transcriber(
    settings: SpeechSetup,
    engine: str | None = None,
    shop_lm: bool | None = None,
    correction: bool | None = None,
    denoise: bool | None = None,
    sessions: int = 1,
    threads: int | None = None,
) -> Transcriber:
    """A ``Transcriber`` per the settings; the arguments override them (for the CLI, benches).
    ``sessions``: how many conversations will share it at once (the gateway's): that many
    recognitions can run together, the first few with decoders loaded in advance.
    ``threads``: Whisper's CPU threads per decode (the gateway's workers take one each).

    Every engine's transcripts go through the one normaliser (``audio.normalizer``), then the
    catalog correction. Noisy utterances get extra readings (noise-suppressed and spectrally
    gated audio) for the dialogue to choose from: pocketsphinx's and vosk's through
    ``audio.denoise``, Whisper's from the engine itself (one batch of three).

    Raises:
        SpeechToTextError: ``stt-model-missing`` when the chosen engine's model is missing
            (the message names the command that installs it), ``stt-model-corrupt`` when a
            packaged Whisper model fails its checksum.
    """
    speech = settings.speech
    engine = engine or speech.engine
    use_shop = speech.shop_lm if shop_lm is None else shop_lm
    use_correction = speech.correction if correction is None else correction
    shop = shop_model(settings) if (use_shop or use_correction) else None
    below = speech.denoise_below_snr_db
    if engine == "whisper":
        # noisy speech: Whisper's own extra readings (the suppressed and gated audio)
        noisy_below = (below or 30.0) if (below > 0 if denoise is None else denoise) else 0.0
        inner = _whisper(settings, use_shop, threads, noisy_below)
        denoise = False
    else:
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
    inner = NormalizingTranscriber(inner)
    if use_correction and shop is not None:
        return CorrectingTranscriber(inner, build_corrector(settings, shop))
    return inner


def _whisper(
    settings: SpeechSetup, use_shop: bool, threads: int | None, noisy_below_db: float
) -> Transcriber:
    """The Whisper engine per the settings, loaded once per process and shared."""
    import os

    from audio.stt_whisper import WhisperTranscriber
    from audio.whisper_models import model_dir

    speech = settings.speech
    cores = len(os.sched_getaffinity(0))
    threads = threads or speech.whisper_threads or cores
    folder = model_dir(
        speech.whisper_model, settings.path(speech.shop_lm_dir), speech.whisper_model_path
    )
    prompt = whisper_prompt(settings.sentences, _terms(settings)) if use_shop else ""
    wake = _wake_phrase(settings)
    key = (folder, speech.whisper_model, prompt, speech.whisper_window_s, threads,
           speech.whisper_beam, speech.whisper_early_decode_ms,
           speech.whisper_partial_interval_ms, noisy_below_db,
           speech.whisper_noise_suppression, wake)  # fmt: skip
    with _WHISPER_LOCK:
        if key not in _WHISPER:
            _WHISPER[key] = WhisperTranscriber(
                folder,
                name=speech.whisper_model,
                prompt=prompt,
                window_s=speech.whisper_window_s,
                threads=threads,
                beam=speech.whisper_beam,
                early_decode_ms=speech.whisper_early_decode_ms,
                partial_interval_ms=speech.whisper_partial_interval_ms,
                noisy_below_db=noisy_below_db,
                suppressor_level=speech.whisper_noise_suppression,
                wake_phrase=wake,
            )
        return _WHISPER[key]


def _wake_phrase(settings: SpeechSetup) -> str:
    """The wake word's words, for reading the utterance that follows it ("" without a model:
    that utterance is then read as any other)."""
    from audio.wakeword import WakeWordError, wake_phrase

    try:
        return wake_phrase(settings.speech.wake_word_model, settings.root)
    except WakeWordError:
        return ""


def _engine(
    settings: SpeechSetup,
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
    raise SpeechConfigError("config-invalid", f"unknown speech engine {engine!r}")


def build_endpointer(settings: SpeechSetup) -> Endpointer:
    return Endpointer.from_settings(settings.speech)


def build_speaker(
    settings: SpeechSetup,
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
