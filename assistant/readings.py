"""Choosing between readings of one noisy utterance: the one the NLU understands best.

Noisy speech is recognised through three noise filters (``audio/denoise.py``), and each gets
words right that the others miss. A garbled reading is usually one Rasa is unsure of, so the
reading whose intent Rasa is most confident about is the one answered. Clean speech has one
reading and costs nothing; a PIN is never parsed (the conversation skips the choice then).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assistant.errors import DialogueError
from audio.base import Transcript

log = logging.getLogger(__name__)


def readings(transcript: Transcript) -> list[str]:
    """The transcript's text first, then its distinct alternatives (empty ones dropped)."""
    out: list[str] = []
    for text in (transcript.text, *transcript.alternatives):
        text = text.strip()
        if text and text not in out:
            out.append(text)
    return out


def intent_confidence(parse: Mapping[str, Any]) -> float:
    intent = parse.get("intent") or {}
    confidence = intent.get("confidence") if isinstance(intent, Mapping) else None
    return float(confidence) if confidence is not None else 0.0


def most_understood(candidates: Iterable[str], parses: Mapping[str, Mapping[str, Any]]) -> str:
    """The candidate whose parse has the most confident intent (``max`` keeps the first one on
    a tie)."""
    return max(candidates, key=lambda text: intent_confidence(parses[text]))


def best_reading(transcript: Transcript, parse: Callable[[str], Mapping[str, Any]]) -> str:
    """The reading to answer. Without a dialogue to ask, the transcript's own text."""
    candidates = readings(transcript)
    if len(candidates) < 2:
        return transcript.text
    try:
        parses = {text: parse(text) for text in candidates}
    except DialogueError as err:  # the turn itself will say what is wrong with Rasa
        log.warning("readings not compared: %s", err.code)
        return transcript.text
    return most_understood(candidates, parses)
