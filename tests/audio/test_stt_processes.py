"""Recognition in worker processes (``audio.stt_processes``): the real recogniser stacks
(pocketsphinx + shop LM + noise suppression + correction, and Whisper) in spawned processes,
on synthesised speech and real recordings."""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.errors import SpeechToTextError
from audio import factory
from audio.base import AudioChunk, Expect, SpeakerState
from audio.formats import split
from audio.settings import SpeechSetup
from audio.stt_processes import ProcessTranscriber

Speak = Callable[[str, str], AudioChunk]


@pytest.fixture(scope="module")
def settings(speech_setup: SpeechSetup) -> SpeechSetup:
    return replace(speech_setup, speech=replace(speech_setup.speech, engine="pocketsphinx"))


@pytest.fixture(scope="module")
def workers(settings: SpeechSetup) -> Iterator[ProcessTranscriber]:
    transcriber = ProcessTranscriber(settings, processes=2, sessions=4)
    yield transcriber
    transcriber.close()


def stream(transcriber: ProcessTranscriber, audio: AudioChunk) -> str:
    recognition = transcriber.start()
    for chunk in split(audio, 100):
        recognition.accept(chunk)
    return recognition.finish().text


def test_workers_hear_what_the_recogniser_hears_in_process(
    workers: ProcessTranscriber, settings: SpeechSetup, speak: Speak
) -> None:
    audio = speak("add two litres of milk to my basket", "kal")
    in_process = factory.build_transcriber(settings).transcribe(audio)
    assert in_process.text == "add two litres of milk to my basket"
    assert workers.transcribe(audio).text == in_process.text
    assert stream(workers, audio) == in_process.text
    assert workers.name == "pocketsphinx"
    assert len(set(workers.processes)) == 2
    assert os.getpid() not in workers.processes


def test_partials_arrive_while_audio_is_still_coming(
    workers: ProcessTranscriber, speak: Speak
) -> None:
    audio = speak("book a pickup at the riverside store tomorrow at five", "kal")
    recognition = workers.start()
    partials = []
    for chunk in split(audio, 100):
        partial = recognition.accept(chunk)
        if partial:
            partials.append(partial)
        threading.Event().wait(0.03)  # a device sends in real time; the worker keeps up
    final = recognition.finish()
    assert partials, "no partial transcript came back while the audio arrived"
    assert final.text.startswith("book a pickup")


def test_utterances_at_once_go_to_different_processes_and_stay_apart(
    workers: ProcessTranscriber, speak: Speak
) -> None:
    sentences = ["where is my order", "do you have basmati rice", "what is in my basket"]
    audio = [speak(s, "kal") for s in sentences]
    first, second = workers.start(), workers.start()
    assert first.worker_pid != second.worker_pid  # the least busy worker takes the next one
    first.finish()
    second.finish()

    results: dict[int, str] = {}

    def talk(i: int) -> None:
        results[i] = stream(workers, audio[i % len(audio)])

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [results[i] for i in range(6)] == sentences * 2


def test_an_abandoned_utterance_is_dropped_in_its_worker(
    workers: ProcessTranscriber, speak: Speak
) -> None:
    recognition = workers.start()
    recognition.accept(speak("where is my order", "kal"))
    del recognition  # the device went away mid-utterance
    gc.collect()
    assert all(w.load == 0 for w in workers._workers)
    assert workers.transcribe(speak("where is my order", "kal")).text == "where is my order"


def test_a_worker_that_dies_fails_its_utterance_and_is_replaced(
    settings: SpeechSetup, speak: Speak
) -> None:
    transcriber = ProcessTranscriber(settings, processes=1)
    try:
        audio = speak("where is my order", "kal")
        recognition = transcriber.start()
        recognition.accept(audio)
        dead = recognition.worker_pid
        assert dead is not None
        os.kill(dead, signal.SIGKILL)
        with pytest.raises(SpeechToTextError) as failed:
            recognition.finish()
        assert failed.value.code == "stt-failed"
        assert transcriber.transcribe(audio).text == "where is my order"
        assert transcriber.processes != [dead]
    finally:
        transcriber.close()


def test_a_worker_that_cannot_load_its_model_says_which(
    settings: SpeechSetup, tmp_path: Path
) -> None:
    missing = replace(
        settings, speech=replace(settings.speech, engine="vosk", vosk_model=str(tmp_path / "no"))
    )
    with pytest.raises(SpeechToTextError) as failed:
        ProcessTranscriber(missing, processes=1)
    assert failed.value.code == "stt-model-missing"
    assert "models download" in failed.value.message


def test_a_conversations_speaker_state_travels_with_its_utterances(
    workers: ProcessTranscriber, speak: Speak
) -> None:
    """Whichever worker decodes a conversation's utterance starts from what its earlier
    utterances taught (pocketsphinx's cepstral mean, one for each of the twin decoders)."""
    speaker = SpeakerState()
    recognition = workers.start(speaker)
    recognition.accept(speak("hello there", "kal"))
    recognition.finish()
    assert set(speaker.values) == {"pocketsphinx-cmn", "pocketsphinx-cmn-suppressed"}
    learned = dict(speaker.values)

    states = [SpeakerState(dict(learned)) for _ in range(2)]
    recognitions = [workers.start(state) for state in states]  # one on each worker
    assert recognitions[0].worker_pid != recognitions[1].worker_pid
    audio = speak("what is in my basket", "kal")
    for recognition in recognitions:
        recognition.accept(audio)
    assert [r.finish().text for r in recognitions] == ["what is in my basket"] * 2
    before = [float(v) for v in learned["pocketsphinx-cmn"].split(",")]
    after = [[float(v) for v in s.values["pocketsphinx-cmn"].split(",")] for s in states]
    assert after[0] != before, "the utterance taught the state something"
    assert after[1] == pytest.approx(after[0], abs=0.05), "the same, whichever worker decoded"


def test_whisper_in_workers_hears_what_it_hears_in_process_and_pins_as_digits(
    settings: SpeechSetup, speak: Speak, real_pin: Callable[[str], AudioChunk]
) -> None:
    whisper = replace(settings, speech=replace(settings.speech, engine="whisper"))
    audio = speak("add two litres of milk to my basket", "slt")
    in_process = factory.build_transcriber(whisper).transcribe(audio)
    assert in_process.text == "add two litres of milk to my basket"
    transcriber = ProcessTranscriber(whisper, processes=1, sessions=2)
    try:
        assert transcriber.name == "whisper-tiny.en"
        assert stream(transcriber, audio) == in_process.text
        recognition = transcriber.start(expect=Expect.PIN)
        for chunk in split(real_pin("5260"), 100):
            recognition.accept(chunk)
        assert recognition.finish().text == "5260"
    finally:
        transcriber.close()
