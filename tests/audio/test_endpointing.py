"""The endpointer with the real default recogniser: Whisper's early decode at a pause tells it
whether the customer finished ("add milk") or not ("add" …)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import pytest

from audio import factory
from audio.base import AudioChunk
from audio.completeness import Completeness
from audio.formats import join, silence, split
from audio.settings import SpeechSetup
from audio.synthetic import trimmed
from audio.vad import Endpointer, SpeechEnded, UtteranceTranscribed, listen

Speak = Callable[[str, str], AudioChunk]


@pytest.fixture(scope="module")
def whisper(speech_setup: SpeechSetup) -> factory.Transcriber:
    return factory.build_transcriber(speech_setup)


def endpointer(setup: SpeechSetup, judge: bool = True) -> Endpointer:
    return Endpointer.from_settings(replace(setup.speech, vad_judge=judge))


def paced(parts: list[AudioChunk]) -> Iterator[AudioChunk]:
    """The stream in 20 ms blocks; 100 to 700 ms into each quiet stretch the stream waits for
    the recogniser's early decode (as if it took less than its head start on a free machine)
    without stream time passing."""
    quiet = 0
    for block in split(join(parts), 20):
        rms = float(np.sqrt(np.mean(np.frombuffer(block.data, "<i2").astype(float) ** 2)))
        quiet = quiet + 20 if rms < 300 else 0
        if 100 <= quiet <= 700:
            time.sleep(0.2)
        yield block


def heard(parts: list[AudioChunk], whisper: factory.Transcriber, ep: Endpointer) -> list:
    return list(listen(paced(parts), whisper, ep))


def test_a_whole_request_ends_after_a_short_silence(
    whisper: factory.Transcriber, speech_setup: SpeechSetup, speak: Speak
) -> None:
    """ "add milk" and 250 ms of silence: the request is over before the stream is."""
    speech = trimmed(speak("add milk", "kal"), margin_ms=60)
    events = heard([silence(300), speech, silence(1000)], whisper, endpointer(speech_setup))
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 1
    assert ended[0].utterance.reason == "silence"
    assert ended[0].utterance.words is Completeness.COMPLETE
    assert 0.2 <= ended[0].at_s - ended[0].utterance.end_s < 0.4
    texts = [e.transcript.text for e in events if isinstance(e, UtteranceTranscribed)]
    assert [t.lower().strip(".") for t in texts] == ["add milk"]


def test_a_pause_after_add_does_not_cut_the_customer_off(
    whisper: factory.Transcriber, speech_setup: SpeechSetup, speak: Speak
) -> None:
    """ "add", 500 ms of thought, "milk": one utterance, "add milk"; the fixed 400 ms cuts it."""
    parts = [silence(300), trimmed(speak("add", "kal"), margin_ms=60), silence(500),
             trimmed(speak("milk", "kal"), margin_ms=60), silence(1200)]  # fmt: skip
    events = heard(parts, whisper, endpointer(speech_setup))
    texts = [e.transcript.text for e in events if isinstance(e, UtteranceTranscribed)]
    assert [t.lower().strip(".") for t in texts] == ["add milk"]
    fixed = heard(parts, whisper, endpointer(speech_setup, judge=False))
    assert len([e for e in fixed if isinstance(e, UtteranceTranscribed)]) == 2
