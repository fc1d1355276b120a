"""One error hierarchy with machine-readable codes.

The assistant's own errors derive from ``AssistantError``; the speech library and the commerce
service keep theirs in their own packages (``audio.errors``, ``commerce.errors``) and are
re-exported here, so ``from assistant.errors import SpeechToTextError`` keeps working.
``CODED_ERRORS`` catches an error with a code from any layer.
"""

from __future__ import annotations

from audio.errors import (
    AudioError,
    CodedError,
    SpeechConfigError,
    SpeechOutputError,
    SpeechToTextError,
)
from commerce.errors import CommerceError

__all__ = [
    "CODED_ERRORS",
    "AssistantError",
    "AudioError",
    "CodedError",
    "CommerceError",
    "ConfigError",
    "DialogueError",
    "SpeechConfigError",
    "SpeechOutputError",
    "SpeechToTextError",
]


class AssistantError(CodedError):
    """Base of the assistant's own errors: a stable ``code`` and a short ``message``."""


class ConfigError(AssistantError):
    """Settings that cannot be used (bad value, missing file)."""


class DialogueError(AssistantError):
    """Rasa or the action server failed."""


# Every error with a ``code`` and a ``message``, whichever layer raised it:
# ``except CODED_ERRORS as err``
CODED_ERRORS = (CodedError, CommerceError)
