"""Typed runtime settings, loaded once from ``assistant.yml`` plus environment overrides."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import AudioError, CommerceError, ConfigError
from audio.settings import SpeechSettings
from commerce import settings as commerce_settings
from commerce.settings import CommerceSettings, resolve_sqlite_path

__all__ = [
    "CommerceSettings",
    "DialogueSettings",
    "GatewaySettings",
    "Settings",
    "SpeechSettings",
    "load_settings",
    "resolve_sqlite_path",
    "with_database_url",
]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = ROOT / "assistant.yml"


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


@dataclass(frozen=True)
class GatewaySettings:
    """Where the voice gateway keeps what a session needs to resume (``gateway/resumable.py``)."""

    sessions_url: str | None = None  # redis://HOST:PORT/DB; None: this process's memory
    sessions_prefix: str = "gateway:session:"  # Redis keys: PREFIX + session id
    # A session's state outlives its last write this long: the 2-minute resume window plus
    # the 30 s between a live session's rewrites, plus slack (see resumable.py)
    session_ttl_s: int = 180
    # Base64url 32-byte AES keys, comma-separated (the first seals; any opens, for a key
    # rotation): a kiosk's signed-in customer is sealed into its session's state with it, so
    # it resumes signed in on another gateway process (``gateway/sealing.py``). Every gateway
    # of a deployment needs the same; none: kiosks resume signed out. A secret: environment
    # only (``deploy`` makes one up), never in a file, a command line or a log line.
    sessions_key: str | None = field(default=None, repr=False)
    max_sessions: int = 32  # devices connected at once to one gateway process
    kiosk_seats: int = 4  # of those, places that home devices cannot take
    # How often each gateway reads the service's erasure requests (customers erased through
    # DELETE /v1/me: their sessions and conversations go, ``assistant/erasures.py``); 0: never
    erasure_poll_s: float = 10.0

    def __post_init__(self) -> None:
        _check_range("gateway.session_ttl_s", self.session_ttl_s, 10, 86400)
        _check_range("gateway.max_sessions", self.max_sessions, 1, 4096)
        _check_range("gateway.kiosk_seats", self.kiosk_seats, 0, self.max_sessions)
        _check_range("gateway.erasure_poll_s", self.erasure_poll_s, 0, 3600)
        if self.sessions_key is not None:
            session_keys(self.sessions_key)  # ConfigError (naming no key) when malformed
        if self.sessions_url and not self.sessions_url.startswith(("redis://", "rediss://")):
            raise ConfigError("config-invalid", "gateway.sessions_url must be a redis:// URL")


def session_keys(value: str) -> list[bytes]:
    """``gateway.sessions_key``'s keys, 32 bytes each (the first seals, any opens)."""
    keys = []
    for part in value.split(","):
        try:
            key = base64.urlsafe_b64decode(part.strip() + "=" * (-len(part.strip()) % 4))
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ConfigError(
                "config-invalid",
                "gateway.sessions_key (GATEWAY_SESSIONS_KEY) must be base64url 32-byte keys, "
                "comma-separated (`deploy` makes one up: see README, Running at scale)",
            )
        keys.append(key)
    return keys


@dataclass(frozen=True)
class Settings:
    commerce: CommerceSettings = field(default_factory=CommerceSettings)
    dialogue: DialogueSettings = field(default_factory=DialogueSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    root: Path = ROOT

    def path(self, value: str) -> Path:
        """A settings path anchored at the project root unless it is absolute."""
        path = Path(value)
        return path if path.is_absolute() else self.root / path

    def resolve_database_url(self) -> str:
        """The database URL with a relative SQLite path anchored at the project root."""
        return resolve_sqlite_path(self.commerce.database_url, self.root)

    def commerce_settings(self) -> CommerceSettings:
        """The service's own settings, its SQLite path anchored at the project root."""
        return self.commerce.anchored(self.root)


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
    **{var: ("commerce", key, kind) for var, (key, kind) in commerce_settings.ENVIRONMENT.items()},
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
    "SOUND_ALIKE_MARGIN": ("speech", "sound_alike_margin", float),
    "SPEECH_DENOISE_BELOW_SNR_DB": ("speech", "denoise_below_snr_db", float),
    "SPEECH_NOISE_FLOOR_RMS": ("speech", "noise_floor_rms", float),
    "SPEECH_DECODE_PROCESSES": ("speech", "decode_processes", int),
    "SPEECH_VAD_SILENCE_MS": ("speech", "vad_silence_ms", int),
    "SPEECH_VAD_JUDGE": ("speech", "vad_judge", _bool),
    "SPEECH_VAD_COMPLETE_SILENCE_MS": ("speech", "vad_complete_silence_ms", int),
    "SPEECH_VAD_INCOMPLETE_SILENCE_MS": ("speech", "vad_incomplete_silence_ms", int),
    "TTS_VOICE": ("speech", "tts_voice", str),
    "TTS_RATE": ("speech", "tts_rate", int),
    "AUDIO_INPUT_DEVICE": ("speech", "input_device", str),
    "AUDIO_OUTPUT_DEVICE": ("speech", "output_device", str),
    "WAKE_WORD_MODEL": ("speech", "wake_word_model", str),
    "WAKE_WORD_THRESHOLD": ("speech", "wake_word_threshold", float),
    "WAKE_WORD_DENOISED_THRESHOLD": ("speech", "wake_word_denoised_threshold", float),
    "FOLLOW_UP_S": ("speech", "follow_up_s", float),
    "EARCONS": ("speech", "earcons", _bool),
    "GATEWAY_SESSIONS_URL": ("gateway", "sessions_url", str),
    "GATEWAY_SESSIONS_PREFIX": ("gateway", "sessions_prefix", str),
    "GATEWAY_SESSION_TTL_S": ("gateway", "session_ttl_s", int),
    "GATEWAY_SESSIONS_KEY": ("gateway", "sessions_key", str),
    "GATEWAY_MAX_SESSIONS": ("gateway", "max_sessions", int),
    "GATEWAY_KIOSK_SEATS": ("gateway", "kiosk_seats", int),
    "GATEWAY_ERASURE_POLL_S": ("gateway", "erasure_poll_s", float),
}


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
        gateway = GatewaySettings(**sections.get("gateway", {}))
    except TypeError as err:
        raise ConfigError("config-invalid", f"unknown setting in {path}: {err}") from err
    except (AudioError, CommerceError) as err:  # the speech and service sections' own checks
        raise ConfigError(err.code, err.message) from err
    return Settings(commerce=commerce, dialogue=dialogue, speech=speech, gateway=gateway)


def with_database_url(settings: Settings, url: str | None) -> Settings:
    if not url:
        return settings
    return replace(settings, commerce=replace(settings.commerce, database_url=url))


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError("config-invalid", f"{name} must be between {low} and {high}")
