"""The customer's secrets for the turn being answered, handed to the action server directly by
the front end: they never travel through Rasa.

Runs in the action server (``.venv-rasa``; Python 3.10 syntax). The front end
(``assistant/dialogue.py``) puts the turn's customer token (and PIN ticket, once) here with
``PUT /handover`` just before it sends the customer's words to Rasa, keyed by the conversation
id (Rasa's sender id, which is no secret), and takes them away with ``DELETE /handover`` as
soon as Rasa has answered (``assistant/rasa_servers.py`` serves both, behind the action
server's own secret). A skill looks them up by the tracker's sender id (``skills.base.Turn``).
Nothing reads them back over HTTP; an entry whose DELETE never came goes after ``MAX_AGE_S``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

SECRET_KEYS = ("customer_token", "pin_ticket")
MAX_AGE_S = 300.0  # the longest a turn may take (dialogue.turn_timeout_s at most)
MAX_ENTRIES = 10_000  # turns in flight at once, far beyond what one action server answers
MAX_ID_CHARS = 255  # Rasa's own limit on a sender id
MAX_SECRET_CHARS = 200


class HandoverInvalid(ValueError):
    """A handover that is not one: unknown keys, wrong types, oversized values."""


_lock = threading.Lock()
_entries: dict[str, tuple[float, dict[str, str]]] = {}


def _valid_id(conversation: Any) -> str:
    if not isinstance(conversation, str) or not 0 < len(conversation) <= MAX_ID_CHARS:
        raise HandoverInvalid("conversation must be a sender id of 1 to 255 characters")
    return conversation


def _forget_old(now: float) -> None:
    for conversation in [c for c, (at, _) in _entries.items() if now - at > MAX_AGE_S]:
        del _entries[conversation]


def put(conversation: Any, secrets: Any) -> None:
    """Keep ``secrets`` (only SECRET_KEYS, strings) for the turn of ``conversation`` now
    starting, in place of whatever its last turn left; ``HandoverInvalid`` for anything
    else (the arguments come as a caller sent them)."""
    conversation = _valid_id(conversation)
    if not isinstance(secrets, dict) or set(secrets) - set(SECRET_KEYS):
        raise HandoverInvalid(f"secrets may hold only {', '.join(SECRET_KEYS)}")
    kept: dict[str, str] = {}
    for key, value in secrets.items():
        if value is None:
            continue
        if not isinstance(value, str) or not 0 < len(value) <= MAX_SECRET_CHARS:
            raise HandoverInvalid(f"{key} must be a string of 1 to {MAX_SECRET_CHARS} characters")
        kept[key] = value
    now = time.monotonic()
    with _lock:
        _forget_old(now)
        if conversation not in _entries and len(_entries) >= MAX_ENTRIES:
            raise HandoverInvalid("too many turns in flight")
        _entries[conversation] = (now, kept)


def get(conversation: str) -> dict[str, str]:
    """The secrets of ``conversation``'s turn in flight (empty when none were handed over)."""
    now = time.monotonic()
    with _lock:
        at, secrets = _entries.get(conversation, (now, {}))
        return dict(secrets) if now - at <= MAX_AGE_S else {}


def drop(conversation: Any) -> None:
    """The turn is over: forget its secrets."""
    conversation = _valid_id(conversation)
    with _lock:
        _entries.pop(conversation, None)


def clear() -> None:
    """Forget everything (tests)."""
    with _lock:
        _entries.clear()


def held() -> int:
    """How many conversations' secrets are held now (tests, logs: never which)."""
    with _lock:
        _forget_old(time.monotonic())
        return len(_entries)
