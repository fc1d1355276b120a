"""Speech settings, owned by the speech library: the recogniser, the shop language model,
endpointing, text-to-speech and the devices, range-checked when built.

The assistant reads them from the ``speech`` section of ``assistant.yml`` (plus environment
overrides); ``SpeechSetup`` is what ``audio.factory`` builds the real speech parts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audio.errors import SpeechConfigError

if TYPE_CHECKING:
    from audio.shop_lm import CatalogTerms

SPEECH_ENGINES = ("whisper", "pocketsphinx", "vosk")
WHISPER_MODELS = ("tiny.en", "base")


# speech.<setting> -> (lowest, highest) allowed
RANGES: dict[str, tuple[float, float]] = {
    "whisper_window_s": (5, 30),
    "whisper_threads": (0, 64),
    "whisper_beam": (1, 10),
    "whisper_early_decode_ms": (0, 2000),
    "whisper_partial_interval_ms": (0, 10_000),
    "whisper_noise_suppression": (0, 4),
    "decode_processes": (0, 64),
    "vad_aggressiveness": (0, 3),
    "vad_silence_ms": (90, 3000),
    "vad_min_speech_ms": (0, 2000),
    "vad_complete_silence_ms": (90, 3000),
    "vad_incomplete_silence_ms": (90, 5000),
    "max_utterance_s": (1, 120),
    "language_weight": (1, 30),
    "correction_threshold": (50, 100),
    "sound_alike_margin": (0, 30),
    "sound_alike_similarity": (50, 100),
    "denoise_below_snr_db": (0, 100),
    "noise_floor_rms": (0, 1000),
    "tts_rate": (80, 450),
    "tts_volume": (0, 1),
    "wake_word_threshold": (0, 0.999),
    "wake_word_denoised_threshold": (0, 0.999),
    "wake_word_window": (0, 20),
    "wake_word_preroll_ms": (0, 1000),
    "follow_up_s": (0, 30),
}


@dataclass(frozen=True)
class SpeechSettings:
    """Speech I/O: recogniser, shop language model, endpointing, text-to-speech, devices.

    Paths are relative to the project root unless absolute. Whisper's models come in pinned
    packages (``whisper_model_path`` overrides them); ``vosk_model`` is an explicit model folder
    (``run_assistant.py models download`` fills it); nothing is fetched at run time.
    """

    # whisper (packaged tiny.en / base) and pocketsphinx work with nothing downloaded; vosk
    # needs a model folder
    engine: str = "whisper"
    whisper_model: str = "tiny.en"  # tiny.en (fast, English) | base (slower, more accurate)
    whisper_model_path: str | None = None  # a CTranslate2 Whisper folder instead of the package
    whisper_window_s: float = 15.0  # the audio window Whisper's encoder sees (30 = its own)
    whisper_threads: int = 0  # CPU threads per decode; 0 = every core in-process, 1 per worker
    whisper_beam: int = 1  # beam size; 1 = greedy
    # silence after speech that starts a decode before the utterance is over; 0 = off
    whisper_early_decode_ms: int = 150
    # speech between decodes for a live partial transcript (a kiosk's screen); 0 = none
    whisper_partial_interval_ms: int = 1000
    # noisy speech (below denoise_below_snr_db) is also read through WebRTC's suppressor at
    # this level (1 gentlest .. 4 strongest) and a spectral gate: alternatives for the NLU
    whisper_noise_suppression: int = 3
    vosk_model: str = "models/vosk/vosk-model-small-en-us-0.15"
    vosk_model_url: str | None = None  # a mirror for `models download` (the registry's otherwise)
    shop_lm: bool = True  # restrict/bias the recogniser to the shop's sentences and catalog
    shop_lm_dir: str = "var/speech"  # built artefacts (ARPA LM, dictionary, phrase list)
    language_weight: float = 8.0  # pocketsphinx -lw with the shop LM
    correction: bool = True  # snap near-miss product words onto catalog names
    correction_threshold: int = 75  # spelling + sound score (0-100) a snap needs
    # known words put back as shop words that sound alike ("can sell" -> "cancel") when the
    # shop's trigram finds the sentence this much likelier (log10); 0 = off
    sound_alike_margin: float = 2.0
    sound_alike_similarity: int = 100  # how alike the sound keys must be (100 = the same)
    # utterances whose own signal-to-noise estimate is below this are recognised from
    # noise-suppressed audio (audio/denoise.py); 0 turns noise suppression off
    denoise_below_snr_db: float = 30.0
    # pocketsphinx: audio quieter than this (16-bit RMS) between words gets noise up to it
    # (audio/noise_floor.py); synthetic audio and digital silence need it; 0 = off
    noise_floor_rms: float = 20.0
    # the voice gateway decodes in this many worker processes (audio/stt_processes.py);
    # 0 = one per CPU core; the single-customer loop and the CLI decode in-process
    decode_processes: int = 0
    vad_aggressiveness: int = 2  # webrtcvad mode 0 (lenient) .. 3 (strict)
    vad_silence_ms: int = 400  # this much silence after speech ends the utterance
    # judge the words at a pause (audio/completeness.py): a whole request ("add milk") ends
    # after vad_complete_silence_ms, an unfinished one ("add, um…") after
    # vad_incomplete_silence_ms; vad_silence_ms until the recogniser has the words; off = fixed
    vad_judge: bool = True
    vad_complete_silence_ms: int = 210
    vad_incomplete_silence_ms: int = 800
    vad_min_speech_ms: int = 120  # shorter bursts are noise, not an utterance
    max_utterance_s: float = 15.0  # an utterance is cut here even without silence
    tts_voice: str = "en-us"  # an espeak-ng voice name
    tts_rate: int = 170  # words per minute
    tts_volume: float = 1.0
    input_device: str | None = None  # sounddevice name or index; None = the system default
    output_device: str | None = None
    # the home device's wake word (audio/wakeword.py): a model packaged with pymicro-wakeword
    # (okay_nabu, hey_jarvis, hey_mycroft, alexa) or the path of a microWakeWord model's .json
    wake_word_model: str = "okay_nabu"
    # the score that wakes it (0-1; 0 = the model's own cutoff), heard after automatic gain,
    # and after noise suppression and gain (0 = no second listener); chosen by
    # bench/bench_wakeword.py on half of its wake utterances
    wake_word_threshold: float = 0.4
    wake_word_denoised_threshold: float = 0.5
    wake_word_window: int = 3  # scores averaged (the model's 30 ms steps); 0 = the model's own
    wake_word_preroll_ms: int = 150  # audio kept from just before the wake, for one breath
    # after a reply that asks a question, it listens this long without the wake word; 0 = never
    follow_up_s: float = 6.0
    earcons: bool = True  # a chime when a home device starts and stops listening

    def __post_init__(self) -> None:
        if self.engine not in SPEECH_ENGINES:
            raise SpeechConfigError(
                "config-invalid", f"speech.engine must be one of {', '.join(SPEECH_ENGINES)}"
            )
        if self.whisper_model not in WHISPER_MODELS:
            raise SpeechConfigError(
                "config-invalid",
                f"speech.whisper_model must be one of {', '.join(WHISPER_MODELS)}",
            )
        for name, (low, high) in RANGES.items():
            check_range(f"speech.{name}", getattr(self, name), low, high)
        if not self.wake_word_model.strip():
            raise SpeechConfigError("config-invalid", "speech.wake_word_model must be set")
        if not self.vosk_model or not self.shop_lm_dir:
            raise SpeechConfigError(
                "config-invalid", "speech.vosk_model and shop_lm_dir must be set"
            )
        if self.vosk_model_url is not None and not self.vosk_model_url.startswith("http"):
            raise SpeechConfigError(
                "config-invalid", "speech.vosk_model_url must be an http(s) URL"
            )


@dataclass(frozen=True)
class SpeechSetup:
    """What ``audio.factory`` builds the speech parts from.

    ``root`` anchors the settings' relative paths; ``sentences`` is the folder of the NLU
    training data (``*/nlu.yml``) the shop language model and Whisper's prompt are made from;
    ``terms`` are the catalog's names (from the commerce service's vocabulary), None where no
    shop words are wanted.
    """

    speech: SpeechSettings
    root: Path
    sentences: Path
    terms: CatalogTerms | None = None

    def path(self, value: str) -> Path:
        """A settings path anchored at ``root`` unless it is absolute."""
        path = Path(value)
        return path if path.is_absolute() else self.root / path


def check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise SpeechConfigError("config-invalid", f"{name} must be between {low} and {high}")
