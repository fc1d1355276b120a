"""One error hierarchy with machine-readable codes, shared by every part of the assistant."""

from __future__ import annotations

from typing import Any


class AssistantError(Exception):
    """Base error: a stable ``code`` for machines and a short ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as (code, message): an error raised in a worker process reaches its caller
        return (type(self), (self.code, self.message))

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class ConfigError(AssistantError):
    """Settings that cannot be used (bad value, missing file)."""


class SpeechToTextError(AssistantError):
    """Speech recognition failed or was given audio it cannot use."""


class DialogueError(AssistantError):
    """Rasa or the action server failed."""


class CommerceError(AssistantError):
    """The catalog & order service refused or failed a request.

    ``status`` is the HTTP status the service answers with; ``details`` carries what a caller
    can act on (the free slots nearest a full one, the products out of stock).
    """

    def __init__(
        self, code: str, message: str, status: int = 400, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code, message)
        self.status = status
        self.details = details or {}

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message, self.status, self.details))

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}


class SpeechOutputError(AssistantError):
    """Text-to-speech or audio output failed."""
