"""The service's own settings: where its database is, where it listens, its time limits.

The assistant reads them from the ``commerce`` section of ``assistant.yml`` (plus environment
overrides such as ``DATABASE_URL``) and hands them to ``commerce.cli``; the service needs
nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from commerce.errors import CommerceError


@dataclass(frozen=True)
class CommerceSettings:
    database_url: str = "sqlite:///var/commerce.db"
    host: str = "127.0.0.1"
    port: int = 8700
    quote_ttl_seconds: int = 600
    seed_customers: int = 5
    slot_days_ahead: int = 14
    # opens /v1/operator (customer tokens for the assistant's conversations); a secret: from
    # the environment only (COMMERCE_OPERATOR_TOKEN), never the settings file; None = closed
    operator_token: str | None = None

    def __post_init__(self) -> None:
        check_range("commerce.port", self.port, 1, 65535)
        check_range("commerce.quote_ttl_seconds", self.quote_ttl_seconds, 10, 86400)
        check_range("commerce.seed_customers", self.seed_customers, 1, 100_000)
        check_range("commerce.slot_days_ahead", self.slot_days_ahead, 1, 90)
        if not self.database_url.startswith(("sqlite:", "postgresql")):
            raise CommerceError(
                "config-invalid", "commerce.database_url must be a sqlite:// or postgresql URL"
            )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def anchored(self, root: Path) -> CommerceSettings:
        """These settings with a relative SQLite path anchored at ``root``."""
        return replace(self, database_url=resolve_sqlite_path(self.database_url, root))

    def with_database_url(self, url: str | None) -> CommerceSettings:
        return replace(self, database_url=url) if url else self


# Environment variable -> (setting, converter); they override the settings file
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "DATABASE_URL": ("database_url", str),
    "COMMERCE_HOST": ("host", str),
    "COMMERCE_PORT": ("port", int),
    "COMMERCE_QUOTE_TTL_SECONDS": ("quote_ttl_seconds", int),
    "COMMERCE_OPERATOR_TOKEN": ("operator_token", str),
}


def from_environment(environ: Mapping[str, str] | None = None) -> CommerceSettings:
    """The defaults with the environment's overrides (``python -m commerce``)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for var, (key, kind) in ENVIRONMENT.items():
        if var in environ:
            try:
                values[key] = kind(environ[var])
            except ValueError as err:
                raise CommerceError("config-invalid", f"{var} must be {kind.__name__}") from err
    return CommerceSettings(**values)


def resolve_sqlite_path(url: str, root: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(root / url[len(prefix) :])
    return url


def check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise CommerceError("config-invalid", f"{name} must be between {low} and {high}")
