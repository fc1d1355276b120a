"""Speech errors with machine-readable codes (``stt-model-missing``, ``audio-format``, …)."""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    """An error with a stable ``code`` for machines and a short ``message`` for people; the
    speech errors and the assistant's own (``assistant.errors``) derive from it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as (code, message): an error raised in a worker process reaches its caller
        return (type(self), (self.code, self.message))

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


class AudioError(CodedError):
    """Base of the speech errors."""


class SpeechConfigError(AudioError):
    """Speech settings that cannot be used (``config-invalid``)."""


class SpeechToTextError(AudioError):
    """Speech recognition failed or was given audio it cannot use."""


class SpeechOutputError(AudioError):
    """Text-to-speech or audio output failed."""
