"""Endpointing with webrtcvad on synthesised speech and silence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audio.base import AudioChunk
from audio.fakes import FixedTranscriber
from audio.formats import join, silence, split
from audio.shop_lm import ShopModel
from audio.synthetic import mix_noise, trimmed
from audio.vad import (
    Endpointer,
    PartialTranscript,
    SpeechEnded,
    SpeechStarted,
    UtteranceTranscribed,
    listen,
    utterances,
)

Speak = Callable[[str, str], AudioChunk]


def test_end_of_utterance_is_found_after_the_configured_silence(speak: Speak) -> None:
    speech = speak("add a dozen eggs", "kal")
    stream = join([silence(500), speech, silence(1500)])
    endpointer = Endpointer(silence_ms=400)
    events = [e for block in split(stream, 20) for e in endpointer.feed(block)]
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStarted, SpeechEnded]
    started, ended = events
    assert isinstance(started, SpeechStarted)
    assert isinstance(ended, SpeechEnded)
    speech_end = 0.5 + speech.duration_s
    assert 0.3 <= started.at_s <= 0.75
    # decided about 400 ms after the speech ends (VAD frames are 30 ms; the voice's own
    # trailing silence counts too)
    assert speech_end - 0.2 <= ended.at_s <= speech_end + 0.5
    assert ended.at_s - ended.utterance.end_s == pytest.approx(0.42, abs=0.05)
    assert ended.utterance.reason == "silence"
    assert ended.utterance.audio.duration_s == pytest.approx(speech.duration_s, abs=0.6)


def test_a_longer_silence_setting_waits_longer(speak: Speak) -> None:
    stream = join([silence(300), speak("place the order", "kal"), silence(2000)])
    ends = []
    for ms in (300, 900):
        endpointer = Endpointer(silence_ms=ms)
        ended = [
            e for b in split(stream, 30) for e in endpointer.feed(b) if isinstance(e, SpeechEnded)
        ]
        ends.append(ended[0].at_s)
    assert ends[1] - ends[0] == pytest.approx(0.6, abs=0.07)


def test_two_utterances_and_a_pause_inside_one(speak: Speak) -> None:
    first, second = trimmed(speak("add milk", "kal")), trimmed(speak("and bread", "slt"))
    stream = join([silence(300), first, silence(150), first, silence(1000), second, silence(800)])
    found = list(utterances(split(stream, 30), Endpointer(silence_ms=400)))
    assert len(found) == 2  # the 150 ms pause does not end the first utterance
    assert found[0].audio.duration_s > 2 * first.duration_s * 0.8


def test_silence_and_short_clicks_are_not_utterances() -> None:
    click = AudioChunk(16_000, 2, 1, b"\xff\x7f\x00\x80" * 240)  # 30 ms of full-scale buzz
    stream = join([silence(500), click, silence(1000)])
    assert list(utterances(split(stream, 30), Endpointer(min_speech_ms=150))) == []


def test_max_length_cuts_a_never_ending_utterance(speak: Speak) -> None:
    speech = speak("add two litres of milk and a dozen eggs and some bread", "kal")
    found = list(utterances(split(speech, 30), Endpointer(max_utterance_s=1.0)))
    assert found[0].reason == "max-length"
    assert found[0].audio.duration_s == pytest.approx(1.0, abs=0.1)


def test_speech_in_noise_is_still_endpointed(speak: Speak) -> None:
    speech = join([silence(400), speak("where is my order", "slt"), silence(1200)])
    noisy = mix_noise(speech, snr_db=20, seed=3)
    found = list(utterances(split(noisy, 30), Endpointer(aggressiveness=3)))
    assert len(found) == 1


def test_other_formats_are_converted_at_the_endpointer(speak: Speak) -> None:
    import numpy as np

    speech = join([silence(300), speak("add milk", "kal"), silence(800)])
    samples = np.frombuffer(speech.data, dtype="<i2")
    stereo_32k = np.repeat(np.repeat(samples, 2), 2).astype("<i2").tobytes()  # 32 kHz stereo
    chunk = AudioChunk(32_000, 2, 2, stereo_32k)
    assert len(list(utterances(split(chunk, 30), Endpointer()))) == 1


def test_listen_streams_partials_then_the_transcript(shop: ShopModel, speak: Speak) -> None:
    from audio.stt_pocketsphinx import PocketsphinxTranscriber

    stream = join([silence(300), speak("do you have basmati rice", "kal"), silence(700)])
    events = list(listen(split(stream, 60), PocketsphinxTranscriber(shop), Endpointer()))
    kinds = [e.type.value for e in events]
    assert kinds[0] == "speech-started"
    assert kinds[-2:] == ["speech-ended", "utterance-transcribed"]
    assert any(isinstance(e, PartialTranscript) for e in events)
    final = events[-1]
    assert isinstance(final, UtteranceTranscribed)
    assert "basmati" in final.transcript.text


def test_listen_with_a_fake_transcriber(speak: Speak) -> None:
    stream = join([silence(300), speak("add milk", "kal"), silence(700)])
    events = list(listen(split(stream, 30), FixedTranscriber("add milk"), Endpointer()))
    transcribed = [e for e in events if isinstance(e, UtteranceTranscribed)]
    assert [e.transcript.text for e in transcribed] == ["add milk"]
