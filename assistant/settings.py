"""Typed runtime settings, loaded once from ``assistant.yml`` plus environment overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
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
class Settings:
    commerce: CommerceSettings = field(default_factory=CommerceSettings)
    dialogue: DialogueSettings = field(default_factory=DialogueSettings)
    root: Path = ROOT

    def resolve_database_url(self) -> str:
        """The database URL with a relative SQLite path anchored at the project root."""
        return resolve_sqlite_path(self.commerce.database_url, self.root)


# Environment variable -> (section, key, type)
ENV_OVERRIDES: dict[str, tuple[str, str, type]] = {
    "DATABASE_URL": ("commerce", "database_url", str),
    "COMMERCE_HOST": ("commerce", "host", str),
    "COMMERCE_PORT": ("commerce", "port", int),
    "COMMERCE_QUOTE_TTL_SECONDS": ("commerce", "quote_ttl_seconds", int),
    "RASA_URL": ("dialogue", "rasa_url", str),
    "ACTION_SERVER_URL": ("dialogue", "action_url", str),
    "RASA_AUTH_TOKEN": ("dialogue", "auth_token", str),
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
                raise ConfigError("config-invalid", f"{var} must be {kind.__name__}") from err
    try:
        commerce = CommerceSettings(**sections.get("commerce", {}))
        dialogue = DialogueSettings(**sections.get("dialogue", {}))
    except TypeError as err:
        raise ConfigError("config-invalid", f"unknown setting in {path}: {err}") from err
    return Settings(commerce=commerce, dialogue=dialogue)


def with_database_url(settings: Settings, url: str | None) -> Settings:
    if not url:
        return settings
    return replace(settings, commerce=replace(settings.commerce, database_url=url))


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError("config-invalid", f"{name} must be between {low} and {high}")
