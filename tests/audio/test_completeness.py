"""Whether the words so far are a whole request, and the endpointer's wait that follows."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audio.base import AudioChunk
from audio.completeness import Completeness, judge
from audio.formats import join, silence, split
from audio.vad import Endpointer, SpeechEnded

Speak = Callable[[str, str], AudioChunk]


@pytest.mark.parametrize(
    "text",
    [
        "add milk",
        "Add two pints of milk.",
        "what's in my basket?",
        "yes",
        "the first one",
        "two",  # the answer to "how many?"
        "remove the bananas please",
        "what do you have",
        "thank you very much",
        "book a pickup at five",
    ],
)
def test_whole_requests_are_complete(text: str) -> None:
    assert judge(text) is Completeness.COMPLETE


@pytest.mark.parametrize(
    "text",
    [
        "add",
        "Add, um...",
        "add um",
        "can I have",
        "I'd like",
        "add milk and",
        "two bottles of",
        "remove the",
        "add two",
        "add 3",
        "how much",
        "Add a…",
        "I want some",
    ],
)
def test_unfinished_requests_are_incomplete(text: str) -> None:
    assert judge(text) is Completeness.INCOMPLETE


@pytest.mark.parametrize("text", ["", "  ", "...", "?"])
def test_no_words_is_unknown(text: str) -> None:
    assert judge(text) in (Completeness.UNKNOWN, Completeness.INCOMPLETE)
    assert judge("") is Completeness.UNKNOWN


def ended_after(speak: Speak, words: str | None) -> SpeechEnded:
    """Endpoint "add milk" + 2 s of silence, telling the endpointer ``words`` at the pause."""
    stream = join([silence(300), speak("add milk", "kal"), silence(2000)])
    endpointer = Endpointer(silence_ms=400, complete_silence_ms=240, incomplete_silence_ms=800)
    for block in split(stream, 20):
        for event in endpointer.feed(block):
            if isinstance(event, SpeechEnded):
                return event
        if words is not None and endpointer.pause_start() is not None:
            endpointer.words_so_far(words)
    raise AssertionError("the utterance never ended")


def test_the_wait_follows_what_the_words_are(speak: Speak) -> None:
    fixed = ended_after(speak, None)
    complete = ended_after(speak, "add milk")
    incomplete = ended_after(speak, "add, um...")
    wait = {e: (e.at_s - e.utterance.end_s) for e in (fixed, complete, incomplete)}
    assert wait[fixed] == pytest.approx(0.42, abs=0.05)
    assert wait[complete] == pytest.approx(0.24, abs=0.05)
    assert wait[incomplete] == pytest.approx(0.81, abs=0.05)
    assert fixed.utterance.words is Completeness.UNKNOWN
    assert complete.utterance.words is Completeness.COMPLETE
    assert incomplete.utterance.words is Completeness.INCOMPLETE


def test_speech_after_the_pause_forgets_the_words(speak: Speak) -> None:
    """Judged incomplete at the first pause, the second (untold) waits the fixed silence."""
    stream = join([silence(300), speak("add", "kal"), silence(300), speak("milk", "kal"),
                   silence(1500)])  # fmt: skip
    endpointer = Endpointer(silence_ms=400, complete_silence_ms=240, incomplete_silence_ms=800)
    told = False
    ended: list[SpeechEnded] = []
    for block in split(stream, 20):
        ended += [e for e in endpointer.feed(block) if isinstance(e, SpeechEnded)]
        if not told and endpointer.pause_start() is not None:
            endpointer.words_so_far("add")
            told = True
    assert len(ended) == 1
    assert ended[0].at_s - ended[0].utterance.end_s == pytest.approx(0.42, abs=0.05)


def test_words_being_decoded_are_waited_for(speak: Speak) -> None:
    """The recogniser is still decoding at the fixed silence: the endpointer waits for its
    words, then ends at once if they are a whole request."""
    stream = join([silence(300), speak("add milk", "kal"), silence(2000)])
    endpointer = Endpointer(silence_ms=400, complete_silence_ms=210, incomplete_silence_ms=800)
    ended: list[SpeechEnded] = []
    for block in split(stream, 20):
        ended += [e for e in endpointer.feed(block) if isinstance(e, SpeechEnded)]
        pause = endpointer.pause_start()
        if pause is not None and not ended:
            waited = len(endpointer.current_audio()) - pause
            endpointer.words_so_far("add milk" if waited >= 16 * 2 * 600 else None)
    assert len(ended) == 1
    assert ended[0].at_s - ended[0].utterance.end_s == pytest.approx(0.6, abs=0.05)
    assert ended[0].utterance.words is Completeness.COMPLETE
