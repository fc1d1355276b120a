"""Earcons (numpy tones, played on a fake output device at the right events) and the device's
own spotter of a bare spoken "stop" (pocketsphinx keyword spotting, synthesised voices)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from audio.base import AudioChunk
from audio.earcon import Chimes, Earcon, tone
from audio.formats import join, silence, split
from audio.stopword import StopWordSpotter
from audio.synthetic import synthesize
from audio.tts import CollectingSink

Say = Callable[[str, str], AudioChunk]


def played(sink: CollectingSink) -> list[Earcon]:
    """Which earcons a fake output device was given, in order."""
    sounds = {tone(e).data: e for e in Earcon}
    return [sounds[chunk.data] for chunk in sink.chunks]


def test_the_earcons_are_short_quiet_and_different() -> None:
    up, down = tone(Earcon.LISTENING), tone(Earcon.DONE)
    assert (up.rate, up.width, up.channels) == (16000, 2, 1)
    assert 0.1 < up.duration_s < 0.2
    samples = np.frombuffer(up.data, dtype="<i2")
    assert 0 < np.abs(samples).max() < 0.3 * 32767
    assert abs(int(samples[0])) < 200
    assert abs(int(samples[-1])) < 200
    assert up.data != down.data


def test_a_chime_when_listening_starts_and_when_it_ends_and_none_around_a_reply() -> None:
    sink = CollectingSink()
    chimes = Chimes(sink)
    chimes.listening(True, "wake")
    chimes.listening(False, "end_of_utterance")
    chimes.listening(True, "reply")  # listening for "stop" over a reply: no chime
    chimes.listening(False, "end_of_utterance")
    chimes.listening(True, "follow_up")
    chimes.listening(False, "window_closed")
    chimes.flush()
    assert played(sink) == [Earcon.LISTENING, Earcon.DONE, Earcon.LISTENING, Earcon.DONE]


def test_earcons_switched_off_play_nothing() -> None:
    sink = CollectingSink()
    chimes = Chimes(sink, enabled=False)
    chimes.listening(True, "wake")
    chimes.listening(False, "end_of_utterance")
    chimes.flush()
    assert sink.chunks == []


@pytest.fixture(scope="module")
def say(tmp_path_factory: pytest.TempPathFactory) -> Say:
    cache: Path = tmp_path_factory.mktemp("voices")
    return lambda text, voice: join([silence(400), synthesize(text, voice, cache), silence(800)])


def heard(audio: AudioChunk) -> list[str]:
    """The stop phrases a fresh spotter hears in ``audio`` (a device starts one per reply)."""
    spotter = StopWordSpotter()
    spotter.start()
    found = [said for piece in split(audio, 30) if (said := spotter.process(piece))]
    spotter.stop()
    return found


VOICES = ("kal", "slt", "espeak-us", "espeak-f3")


def test_a_bare_stop_is_heard_in_every_voice(say: Say) -> None:
    for voice in VOICES:
        assert heard(say("stop", voice)) == ["stop"], voice
    # "cancel" and "be quiet" in the festival voices (espeak-ng's American voices say them
    # in ways pocketsphinx's acoustic model often misses: say "stop" to those)
    for voice in ("kal", "slt"):
        for phrase in ("cancel", "be quiet"):
            assert heard(say(phrase, voice)) == [phrase], (voice, phrase)


def test_other_talk_is_not_a_stop_even_with_the_word_inside(say: Say) -> None:
    talk = [
        "the weather tomorrow will be sunny with light winds",
        "add some milk to my basket please",
        "which one would you like, whole or skimmed",
        "please stop by the store tomorrow",
        "I can cancel your pickup if you like",
        "stop the order",
    ]
    found = [heard(say(t, v)) for t in talk for v in VOICES]
    assert sum(map(len, found)) == 0, found
