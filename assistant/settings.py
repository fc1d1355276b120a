"""Typed runtime settings, loaded once from ``assistant.yml`` plus environment overrides."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = ROOT / "assistant.yml"


@dataclass(frozen=True)
class CommerceSettings:
    database_url: str = "sqlite:///var/commerce.db"
    host: str = "127.0.0.1"
    port: int = 8700
    quote_ttl_seconds: int = 600
    seed_customers: int = 5
    slot_days_ahead: int = 14

    def __post_init__(self) -> None:
        _check_range("commerce.port", self.port, 1, 65535)
        _check_range("commerce.quote_ttl_seconds", self.quote_ttl_seconds, 10, 86400)
        _check_range("commerce.seed_customers", self.seed_customers, 1, 100_000)
        _check_range("commerce.slot_days_ahead", self.slot_days_ahead, 1, 90)
        if not self.database_url.startswith(("sqlite:", "postgresql")):
            raise ConfigError(
                "config-invalid", "commerce.database_url must be a sqlite:// or postgresql URL"
            )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class DialogueSettings:
    """Where Rasa and the action server run, and how they are started when they are not."""

    rasa_url: str = "http://127.0.0.1:5005"
    action_url: str = "http://127.0.0.1:5055"
    auth_token: str | None = None  # Rasa's HTTP API token; a random one when we start Rasa
    action_token: str | None = None  # Rasa -> action server secret; random when we start both
    listen_host: str = "127.0.0.1"  # where a Rasa or action server we start listens
    venv: str = ".venv-rasa"
    model_dir: str = "models"
    model_name: str = "assistant"
    endpoints: str = "endpoints.yml"
    credentials: str = "credentials.yml"
    start_timeout_s: int = 240
    turn_timeout_s: int = 30

    def __post_init__(self) -> None:
        _check_range("dialogue.start_timeout_s", self.start_timeout_s, 10, 1800)
        _check_range("dialogue.turn_timeout_s", self.turn_timeout_s, 1, 300)
        for name in ("rasa_url", "action_url"):
            if not getattr(self, name).startswith("http"):
                raise ConfigError("config-invalid", f"dialogue.{name} must be an http URL")


SPEECH_ENGINES = ("whisper", "pocketsphinx", "vosk")
WHISPER_MODELS = ("tiny.en", "base")


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
    vosk_model: str = "models/vosk/vosk-model-small-en-us-0.15"
    vosk_model_url: str | None = None  # a mirror for `models download` (the registry's otherwise)
    shop_lm: bool = True  # restrict/bias the recogniser to the shop's sentences and catalog
    shop_lm_dir: str = "var/speech"  # built artefacts (ARPA LM, dictionary, phrase list)
    language_weight: float = 8.0  # pocketsphinx -lw with the shop LM
    correction: bool = True  # snap near-miss product words onto catalog names
    correction_threshold: int = 75  # spelling + sound score (0-100) a snap needs
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
    wake_word_threshold: float = 0.0  # score that wakes it, 0-1; 0 = the model's own cutoff
    wake_word_preroll_ms: int = 400  # audio kept from just before the wake, for one breath

    def __post_init__(self) -> None:
        if self.engine not in SPEECH_ENGINES:
            raise ConfigError(
                "config-invalid", f"speech.engine must be one of {', '.join(SPEECH_ENGINES)}"
            )
        if self.whisper_model not in WHISPER_MODELS:
            raise ConfigError(
                "config-invalid",
                f"speech.whisper_model must be one of {', '.join(WHISPER_MODELS)}",
            )
        _check_range("speech.whisper_window_s", self.whisper_window_s, 5, 30)
        _check_range("speech.whisper_threads", self.whisper_threads, 0, 64)
        _check_range("speech.whisper_beam", self.whisper_beam, 1, 10)
        _check_range("speech.whisper_early_decode_ms", self.whisper_early_decode_ms, 0, 2000)
        _check_range(
            "speech.whisper_partial_interval_ms", self.whisper_partial_interval_ms, 0, 10_000
        )
        _check_range("speech.decode_processes", self.decode_processes, 0, 64)
        _check_range("speech.vad_aggressiveness", self.vad_aggressiveness, 0, 3)
        _check_range("speech.vad_silence_ms", self.vad_silence_ms, 90, 3000)
        _check_range("speech.vad_min_speech_ms", self.vad_min_speech_ms, 0, 2000)
        _check_range("speech.max_utterance_s", self.max_utterance_s, 1, 120)
        _check_range("speech.language_weight", self.language_weight, 1, 30)
        _check_range("speech.correction_threshold", self.correction_threshold, 50, 100)
        _check_range("speech.denoise_below_snr_db", self.denoise_below_snr_db, 0, 100)
        _check_range("speech.noise_floor_rms", self.noise_floor_rms, 0, 1000)
        _check_range("speech.tts_rate", self.tts_rate, 80, 450)
        _check_range("speech.tts_volume", self.tts_volume, 0, 1)
        _check_range("speech.wake_word_threshold", self.wake_word_threshold, 0, 0.999)
        _check_range("speech.wake_word_preroll_ms", self.wake_word_preroll_ms, 0, 1000)
        if not self.wake_word_model.strip():
            raise ConfigError("config-invalid", "speech.wake_word_model must be set")
        if not self.vosk_model or not self.shop_lm_dir:
            raise ConfigError("config-invalid", "speech.vosk_model and shop_lm_dir must be set")
        if self.vosk_model_url is not None and not self.vosk_model_url.startswith("http"):
            raise ConfigError("config-invalid", "speech.vosk_model_url must be an http(s) URL")


@dataclass(frozen=True)
class Settings:
    commerce: CommerceSettings = field(default_factory=CommerceSettings)
    dialogue: DialogueSettings = field(default_factory=DialogueSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    root: Path = ROOT

    def path(self, value: str) -> Path:
        """A settings path anchored at the project root unless it is absolute."""
        path = Path(value)
        return path if path.is_absolute() else self.root / path

    def resolve_database_url(self) -> str:
        """The database URL with a relative SQLite path anchored at the project root."""
        return resolve_sqlite_path(self.commerce.database_url, self.root)


def _bool(value: str) -> bool:
    """An environment flag: 1/true/yes/on or 0/false/no/off."""
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


# Environment variable -> (section, key, converter)
ENV_OVERRIDES: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "DATABASE_URL": ("commerce", "database_url", str),
    "COMMERCE_HOST": ("commerce", "host", str),
    "COMMERCE_PORT": ("commerce", "port", int),
    "COMMERCE_QUOTE_TTL_SECONDS": ("commerce", "quote_ttl_seconds", int),
    "RASA_URL": ("dialogue", "rasa_url", str),
    "ACTION_SERVER_URL": ("dialogue", "action_url", str),
    "RASA_AUTH_TOKEN": ("dialogue", "auth_token", str),
    "RASA_ENDPOINTS": ("dialogue", "endpoints", str),
    "ACTION_SERVER_TOKEN": ("dialogue", "action_token", str),
    "DIALOGUE_LISTEN_HOST": ("dialogue", "listen_host", str),
    "SPEECH_ENGINE": ("speech", "engine", str),
    "WHISPER_MODEL": ("speech", "whisper_model", str),
    "WHISPER_MODEL_PATH": ("speech", "whisper_model_path", str),
    "WHISPER_WINDOW_S": ("speech", "whisper_window_s", float),
    "WHISPER_THREADS": ("speech", "whisper_threads", int),
    "WHISPER_EARLY_DECODE_MS": ("speech", "whisper_early_decode_ms", int),
    "WHISPER_PARTIAL_INTERVAL_MS": ("speech", "whisper_partial_interval_ms", int),
    "VOSK_MODEL_PATH": ("speech", "vosk_model", str),
    "VOSK_MODEL_URL": ("speech", "vosk_model_url", str),
    "SPEECH_SHOP_LM": ("speech", "shop_lm", _bool),
    "SPEECH_DENOISE_BELOW_SNR_DB": ("speech", "denoise_below_snr_db", float),
    "SPEECH_NOISE_FLOOR_RMS": ("speech", "noise_floor_rms", float),
    "SPEECH_DECODE_PROCESSES": ("speech", "decode_processes", int),
    "SPEECH_VAD_SILENCE_MS": ("speech", "vad_silence_ms", int),
    "TTS_VOICE": ("speech", "tts_voice", str),
    "TTS_RATE": ("speech", "tts_rate", int),
    "AUDIO_INPUT_DEVICE": ("speech", "input_device", str),
    "AUDIO_OUTPUT_DEVICE": ("speech", "output_device", str),
    "WAKE_WORD_MODEL": ("speech", "wake_word_model", str),
    "WAKE_WORD_THRESHOLD": ("speech", "wake_word_threshold", float),
}


def resolve_sqlite_path(url: str, root: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(root / url[len(prefix) :])
    return url


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file and apply environment overrides; raise ConfigError when invalid."""
    path = path or DEFAULT_SETTINGS_FILE
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            raise ConfigError("config-invalid", f"{path} is not valid YAML: {err}") from err
    sections: dict[str, dict[str, Any]] = {k: dict(v or {}) for k, v in raw.items()}
    for var, (section, key, kind) in ENV_OVERRIDES.items():
        if var in environ:
            try:
                sections.setdefault(section, {})[key] = kind(environ[var])
            except ValueError as err:
                name = "a boolean" if kind is _bool else getattr(kind, "__name__", "valid")
                raise ConfigError("config-invalid", f"{var} must be {name}") from err
    try:
        commerce = CommerceSettings(**sections.get("commerce", {}))
        dialogue = DialogueSettings(**sections.get("dialogue", {}))
        speech = SpeechSettings(**sections.get("speech", {}))
    except TypeError as err:
        raise ConfigError("config-invalid", f"unknown setting in {path}: {err}") from err
    return Settings(commerce=commerce, dialogue=dialogue, speech=speech)


def with_database_url(settings: Settings, url: str | None) -> Settings:
    if not url:
        return settings
    return replace(settings, commerce=replace(settings.commerce, database_url=url))


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError("config-invalid", f"{name} must be between {low} and {high}")
