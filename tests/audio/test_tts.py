"""Text to speech: pyttsx3 + espeak-ng on a worker thread, sentence by sentence, barge-in."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from assistant.errors import SpeechOutputError
from audio.base import AudioChunk, Speaker
from audio.formats import read_wav, rms_dbfs, silence, to_engine_format
from audio.tts import (
    CollectingSink,
    Pyttsx3Synthesizer,
    QueueSpeaker,
    SpeechDone,
    SpeechStarted,
    TtsEvent,
    WavFileSink,
    speak_to_wav,
    split_sentences,
)

REPLY = (
    "I found three kinds of semi skimmed milk. The first is one pint for sixty five pence. "
    "The second is two pints for one pound ten. The third is four pints for one pound "
    "sixty five. Which one would you like?"
)


def test_split_sentences() -> None:
    assert split_sentences("Hello there. Two litres?  Yes!\nDone; thanks") == [
        "Hello there.", "Two litres?", "Yes!", "Done;", "thanks",
    ]  # fmt: skip


def test_say_to_a_wav_file_gives_real_speech(tmp_path: Path) -> None:
    path = speak_to_wav(
        "Your order is ready for pickup at the Riverside store.", tmp_path / "r.wav"
    )
    audio = read_wav(path)
    assert (audio.rate, audio.width, audio.channels) == (22_050, 2, 1)
    assert 2.0 < audio.duration_s < 8.0
    assert rms_dbfs(audio) > -35  # not silence


def test_spoken_reply_is_recognised_back(tmp_path: Path) -> None:
    from audio.stt_pocketsphinx import PocketsphinxTranscriber

    audio = to_engine_format(read_wav(speak_to_wav("where is my order", tmp_path / "w.wav")))
    assert "order" in PocketsphinxTranscriber(None).transcribe(audio).text


def test_first_sentence_is_ready_before_the_whole_reply() -> None:
    events: list[TtsEvent] = []
    sink = CollectingSink()
    speaker = QueueSpeaker(Pyttsx3Synthesizer, sink, on_event=events.append)
    try:
        speaker.speak(REPLY)
        assert speaker.wait(30)
    finally:
        speaker.close()
    started = [e for e in events if isinstance(e, SpeechStarted)]
    done = [e for e in events if isinstance(e, SpeechDone)]
    assert len(sink.chunks) == 5  # one chunk per sentence
    assert len(started) == 1
    assert len(done) == 1
    assert not done[0].interrupted
    assert started[0].first_audio_ms < done[0].total_ms
    assert sink.chunks[0].duration_s < sum(c.duration_s for c in sink.chunks) / 2


def test_reply_audio_as_chunks_for_a_gateway() -> None:
    speaker = QueueSpeaker(Pyttsx3Synthesizer, CollectingSink())
    try:
        chunks = list(speaker.stream("Hello. How can I help?"))
    finally:
        speaker.close()
    assert len(chunks) == 2
    assert all(isinstance(c, AudioChunk) for c in chunks)
    assert all(rms_dbfs(c) > -35 for c in chunks)


class SlowSynthesizer:
    """Half a second per sentence: slow enough to barge in on."""

    def __init__(self) -> None:
        self.thread = threading.current_thread().name
        self.spoken: list[str] = []

    def synthesize(self, text: str) -> AudioChunk:
        time.sleep(0.5)
        self.spoken.append(text)
        return silence(100)


def test_barge_in_stops_speech_and_drops_the_queue() -> None:
    synthesizers: list[SlowSynthesizer] = []

    def factory() -> SlowSynthesizer:
        synthesizers.append(SlowSynthesizer())
        return synthesizers[-1]

    events: list[TtsEvent] = []
    speaker: Speaker = QueueSpeaker(factory, CollectingSink(), on_event=events.append)
    assert isinstance(speaker, QueueSpeaker)
    try:
        speaker.speak("One. Two. Three. Four.")
        speaker.speak("A second reply. With two sentences.")
        time.sleep(0.7)  # "One." is out, "Two." is being made
        started = time.perf_counter()
        speaker.stop()
        assert speaker.wait(2)
        assert time.perf_counter() - started < 1.0
        spoken = list(synthesizers[0].spoken)
        assert spoken[:1] == ["One."]
        assert len(spoken) <= 2
        assert [e.interrupted for e in events if isinstance(e, SpeechDone)] == [True, True]
        speaker.speak("After the barge-in.")  # the speaker goes on working
        assert speaker.wait(3)
        assert synthesizers[0].spoken[-1] == "After the barge-in."
        assert synthesizers[0].thread == "tts-worker"  # made on the worker thread
    finally:
        speaker.close()


def test_wav_sink_writes_what_was_spoken(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "out.wav")
    speaker = QueueSpeaker(Pyttsx3Synthesizer, sink)
    try:
        speaker.speak("Added. Anything else?")
        assert speaker.wait(10)
    finally:
        speaker.close()
    assert read_wav(sink.path).duration_s == pytest.approx(sum(c.duration_s for c in sink.chunks))


def test_a_synthesizer_that_cannot_start_is_an_error() -> None:
    def broken() -> Pyttsx3Synthesizer:
        raise SpeechOutputError("tts-unavailable", "no espeak")

    with pytest.raises(SpeechOutputError, match="no espeak"):
        QueueSpeaker(broken, CollectingSink())


def test_rate_and_voice_settings_are_applied() -> None:
    text = "Your pickup is booked for tomorrow at five."
    fast = Pyttsx3Synthesizer(rate=320).synthesize(text)
    slow = Pyttsx3Synthesizer(rate=120).synthesize(text)
    assert fast.duration_s < slow.duration_s * 0.6  # the later engine did not change the first
    british = Pyttsx3Synthesizer(voice="en-gb", rate=320).synthesize(text)
    assert british.data != fast.data


def test_engines_taking_turns_keep_their_own_settings_and_leave_nothing_behind() -> None:
    # pyttsx3 shares one espeak engine per process. Changing its settings once re-synthesised the
    # previous sentence in the background (rewriting a deleted file, racing the next sentence),
    # and a synthesis starting while espeak-ng still had the new rate queued cancelled the rate.
    engines = {320: Pyttsx3Synthesizer(rate=320), 120: Pyttsx3Synthesizer(rate=120),
               170: Pyttsx3Synthesizer(rate=170)}  # fmt: skip
    durations: dict[int, list[float]] = {rate: [] for rate in engines}
    for rate in [320, 120, 320, 170, 120, 170, 320, 120, 120, 170, 320, 170]:
        chunk = engines[rate].synthesize("How can I help?")
        assert rms_dbfs(chunk) > -35
        durations[rate].append(chunk.duration_s)
    time.sleep(0.3)  # what a background synthesis would need to write its file
    assert not [f for e in engines.values() for f in e._folder.iterdir()]
    for rate, heard in durations.items():
        assert max(heard) - min(heard) < 0.05, (rate, heard)
    assert durations[320][0] < durations[170][0] < durations[120][0]


def test_nothing_to_say_is_an_error_not_a_wait() -> None:
    with pytest.raises(SpeechOutputError, match="nothing to say"):
        Pyttsx3Synthesizer().synthesize("")
