"""The wake word on its real models (pymicro-wakeword's okay_nabu, hey_jarvis) with synthesised
voices: it wakes on the phrase and not on other speech, in chunks of any size; the gate passes
nothing before the wake word and hands a command said in the same breath to the real recogniser;
the CLI's JSON, the settings and a missing model's error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np
import pytest

import run_assistant
from assistant.errors import ConfigError, SpeechConfigError
from assistant.settings import SpeechSettings, load_settings
from audio.base import CHANNELS, RATE, WIDTH, AudioChunk, Expect
from audio.fakes import FixedWakeWord
from audio.formats import split, write_wav
from audio.settings import SpeechSetup
from audio.wakeword import (
    EitherDetector,
    ListenChange,
    ListenReason,
    MicroWakeWordDetector,
    WakeGate,
    WakeWordDetector,
    WakeWordError,
    detect,
)

Speak = Callable[[str, str], AudioChunk]
VOICES = ("kal", "slt", "espeak-us")
UNRELATED = (
    "what time does the riverside store open on sunday",
    "add a dozen eggs and two litres of milk to my basket",
    "book a pickup for tomorrow at five pm, then read my order back",
)


def silence(seconds: float) -> AudioChunk:
    return AudioChunk(RATE, WIDTH, CHANNELS, bytes(int(RATE * seconds) * WIDTH))


def join(*clips: AudioChunk) -> AudioChunk:
    return AudioChunk(RATE, WIDTH, CHANNELS, b"".join(clip.data for clip in clips))


def ramp(seconds: float, start: int = 0) -> AudioChunk:
    """Audio whose every sample says where it was in the stream (sample n has value n)."""
    samples = np.arange(start, start + int(RATE * seconds)) % 30000
    return AudioChunk(RATE, WIDTH, CHANNELS, samples.astype("<i2").tobytes())


@pytest.fixture(scope="module")
def settings(speech_setup: SpeechSetup) -> SpeechSetup:
    return speech_setup


# --- the detector on real models -------------------------------------------------------------


@pytest.mark.parametrize("voice", VOICES)
def test_the_wake_phrase_wakes_it_once(speak: Speak, voice: str) -> None:
    phrase = speak("okay nabu", voice)
    detector: WakeWordDetector = MicroWakeWordDetector()
    found = detect(detector, join(silence(0.5), phrase, silence(0.5)))
    assert len(found) == 1
    assert found[0].model == "okay_nabu"
    assert found[0].score > 0.85  # the model's own cutoff, the default
    # decided while "nabu" ends: inside the phrase, or just after it
    assert 0.5 + 0.4 * phrase.duration_s < found[0].t_s < 0.5 + phrase.duration_s + 0.3


@pytest.mark.parametrize("voice", VOICES)
def test_the_wake_phrase_before_a_command_wakes_it(speak: Speak, voice: str) -> None:
    audio = join(silence(0.3), speak("okay nabu, add milk to my basket", voice), silence(0.3))
    assert len(detect(MicroWakeWordDetector(), audio)) == 1


@pytest.mark.parametrize("voice", VOICES)
def test_other_speech_does_not_wake_it(speak: Speak, voice: str) -> None:
    talk = join(*(join(speak(text, voice), silence(0.4)) for text in UNRELATED))
    assert talk.duration_s > 8
    assert detect(MicroWakeWordDetector(), talk) == []


def test_chunks_of_any_size_hear_it_at_the_same_moment(speak: Speak) -> None:
    audio = join(silence(0.7), speak("okay nabu", "slt"), silence(1.0))
    whole = detect(MicroWakeWordDetector(), audio)
    detector = MicroWakeWordDetector()
    odd = [d for piece in split(audio, 37) for d in detector.process(piece)]  # 37 ms blocks
    tiny = MicroWakeWordDetector()
    samples = [d for i in range(0, len(audio.data), 6) for d in tiny.process(
        AudioChunk(RATE, WIDTH, CHANNELS, audio.data[i : i + 6]))]  # fmt: skip
    assert len(whole) == 1
    assert [d.t_s for d in odd] == [d.t_s for d in samples] == [d.t_s for d in whole]


def test_another_packaged_model_and_a_threshold(speak: Speak) -> None:
    jarvis = join(silence(0.5), speak("hey jarvis", "slt"), silence(0.5))
    nabu = join(silence(0.5), speak("okay nabu", "slt"), silence(0.5))
    assert [d.model for d in detect(MicroWakeWordDetector("hey_jarvis"), jarvis)] == ["hey_jarvis"]
    assert detect(MicroWakeWordDetector("hey_jarvis"), nabu) == []
    assert detect(MicroWakeWordDetector("okay_nabu"), jarvis) == []
    assert detect(MicroWakeWordDetector(threshold=0.999), nabu) == []  # nothing scores that


def test_after_a_reset_it_wakes_again(speak: Speak) -> None:
    phrase = join(silence(0.3), speak("okay nabu", "kal"), silence(0.6))
    detector = MicroWakeWordDetector()
    first = detect(detector, phrase)
    detector.reset()
    second = detect(detector, phrase)
    assert len(first) == len(second) == 1
    assert second[0].t_s > first[0].t_s + phrase.duration_s  # one clock for the whole stream


# --- the gate ---------------------------------------------------------------------------------


def test_the_gate_passes_nothing_before_the_wake_word_then_the_preroll_and_after() -> None:
    fake = FixedWakeWord(at_s=[2.0])
    gate = WakeGate(fake, preroll_s=0.4)
    stream = ramp(3.0)
    passed = gate.feed_all(split(stream, 30))
    assert gate.awake
    assert [w.t_s for w in gate.wakes] == [2.0]
    heard = np.frombuffer(b"".join(c.data for c in passed), dtype="<i2")
    # exactly the stream from 0.4 s before the wake to its end: nothing earlier
    assert heard[0] == int(1.6 * RATE)
    assert heard.size == int(1.4 * RATE)
    assert np.array_equal(heard, np.frombuffer(stream.data, dtype="<i2")[int(1.6 * RATE) :])


def test_the_gate_closes_at_the_end_of_the_turn_and_waits_for_the_next_wake() -> None:
    fake = FixedWakeWord(at_s=[1.0, 4.0])
    gate = WakeGate(fake, preroll_s=0.3)
    assert gate.feed_all(split(ramp(1.5), 20))  # woke at 1.0
    gate.close()
    assert not gate.awake
    assert fake.resets == 1
    assert gate.feed_all(split(ramp(2.0, start=24000), 20)) == []  # 1.5 … 3.5 s: deaf
    passed = gate.feed_all(split(ramp(1.0, start=56000), 20))  # 3.5 … 4.5 s
    heard = np.frombuffer(b"".join(c.data for c in passed), dtype="<i2")
    assert heard[0] == int(3.7 * RATE) % 30000
    assert heard.size == int(0.8 * RATE)


def test_a_wake_word_in_the_first_chunk_passes_what_there_is() -> None:
    gate = WakeGate(FixedWakeWord(at_s=[0.1]), preroll_s=0.5)
    passed = gate.feed(ramp(0.2))
    assert [c.duration_s for c in passed] == [0.2]


def test_once_open_speech_must_start_within_the_window_or_it_closes() -> None:
    changes: list[ListenChange] = []
    fake = FixedWakeWord(at_s=[1.0])
    gate = WakeGate(fake, preroll_s=0.2, window_s=2.0, on_change=changes.append)
    gate.feed_all(split(ramp(1.0), 20))
    assert gate.awake
    passed = gate.feed_all(split(ramp(3.0, start=16000), 20))  # no speech: 2 s, then shut
    assert not gate.awake
    assert sum(c.duration_s for c in passed) == pytest.approx(2.0 - 0.02, abs=0.021)
    assert [(c.listening, c.reason) for c in changes] == [
        (True, ListenReason.WAKE),
        (False, ListenReason.WINDOW_CLOSED),
    ]
    gate.follow_up(1.0)  # a question: open without the wake word ...
    gate.speech_started()  # ... and speech started in time: open until the turn ends
    assert len(gate.feed_all(split(ramp(3.0), 20))) == 150
    gate.close()
    assert changes[-2:] == [
        ListenChange(True, ListenReason.FOLLOW_UP, 1.0),
        ListenChange(False, ListenReason.END_OF_UTTERANCE),
    ]


def test_a_follow_up_window_can_wait_for_the_question_to_be_played() -> None:
    gate = WakeGate(FixedWakeWord(), window_s=6.0)
    gate.follow_up(1.0, delay_s=2.0)  # 2 s of the question playing, then 1 s to answer
    assert len(gate.feed_all(split(ramp(2.9), 20))) == 145
    assert gate.awake
    assert len(gate.feed_all(split(ramp(0.2), 20))) == 4  # then the window is over
    assert not gate.awake


def test_muted_the_gate_drops_everything_unheard() -> None:
    fake = FixedWakeWord(at_s=[0.5])
    gate = WakeGate(fake, preroll_s=0.4)
    gate.mute()
    assert gate.feed_all(split(ramp(1.0), 20)) == []
    gate.follow_up(5.0)
    assert not gate.awake  # no follow-up while muted
    assert gate.wakes == []
    gate.mute(False)
    passed = gate.feed_all(split(ramp(1.0, start=16000), 20))
    # the detector's clock counts only what it heard: the muted second never reached it
    assert [w.t_s for w in gate.wakes] == [0.5]
    heard = np.frombuffer(b"".join(c.data for c in passed), dtype="<i2")
    assert heard[0] == 16000 + int(0.1 * RATE)  # the pre-roll comes from after the mute


def test_what_is_said_before_the_wake_word_never_reaches_the_recogniser(
    speak: Speak, settings: SpeechSetup
) -> None:
    from audio.factory import build_transcriber

    transcriber = build_transcriber(settings)
    for voice in ("slt", "kal"):
        room = speak("the weather is lovely today, remove the eggs", voice)
        command = speak("okay nabu, add milk to my basket", voice)  # one breath
        stream = join(silence(0.5), room, silence(0.6), command, silence(1.0))
        gate = WakeGate(MicroWakeWordDetector.from_settings(settings.speech))
        passed = gate.feed_all(split(stream, 30))
        assert len(gate.wakes) == 1
        start = 0.5 + room.duration_s + 0.6
        assert start < gate.wakes[0].t_s < start + command.duration_s
        heard = transcriber.transcribe(join(*passed), Expect.AFTER_WAKE).text
        # the whole command and nothing else: the end of "nabu" in the pre-roll is read as
        # the wake phrase, not as words ("we'll add milk to my basket")
        assert heard == "add milk to my basket", (voice, heard)


@pytest.mark.parametrize("voice", ["kal", "slt"])
def test_the_end_of_the_wake_phrase_is_not_read_as_words(
    speak: Speak, settings: SpeechSetup, voice: str
) -> None:
    from audio.factory import build_transcriber

    transcriber = build_transcriber(settings)
    said = join(
        silence(1.0), speak("okay nabu, is the harbour store open now", voice), silence(0.6)
    )
    gate = WakeGate(MicroWakeWordDetector.from_settings(settings.speech))
    passed = join(*gate.feed_all(split(said, 30)))
    assert gate.after_wake
    # read as any utterance, these pre-rolls came out "blue is the harbour store open now"
    # (kal) and "the other two is the harbour store open now" (slt)
    assert transcriber.transcribe(passed, Expect.AFTER_WAKE).text == "is the harbour store open now"


def test_the_gate_says_when_what_it_passes_follows_the_wake_word() -> None:
    gate = WakeGate(FixedWakeWord(at_s=[0.5]))
    gate.feed_all(split(silence(1.0), 30))
    assert gate.after_wake
    gate.close()
    gate.follow_up(4.0)
    assert gate.awake
    assert not gate.after_wake  # a follow-up answer has no wake phrase in it


def test_the_gate_does_not_open_on_a_stream_of_other_speech(speak: Speak) -> None:
    gate = WakeGate(MicroWakeWordDetector())
    talk = [join(speak(text, voice), silence(0.3)) for voice in VOICES for text in UNRELATED]
    assert [out for clip in talk for out in gate.feed_all(split(clip, 20))] == []
    assert not gate.awake
    assert gate.wakes == []


# --- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "assistant.yml"
    path.write_text("speech:\n  wake_word_model: okay_nabu\n")
    monkeypatch.setattr(run_assistant, "load_settings", lambda: load_settings(path, environ={}))
    return path


def test_the_cli_prints_one_json_line_per_file(
    settings_file: Path, tmp_path: Path, speak: Speak, capsys: pytest.CaptureFixture[str]
) -> None:
    woke = write_wav(tmp_path / "wake.wav", join(silence(1.0), speak("okay nabu", "slt")))
    other = write_wav(tmp_path / "other.wav", speak(UNRELATED[0], "kal"))
    assert run_assistant.main(["wakeword", str(woke), str(other)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(woke), str(other)]
    assert lines[1]["detections"] == []
    [hit] = lines[0]["detections"]
    assert set(hit) == {"t_s", "model", "score"}
    assert hit["model"] == "okay_nabu"
    assert 1.0 < hit["t_s"] < 2.5
    assert 0.4 < hit["score"] <= 1  # the configured threshold (after gain)

    assert run_assistant.main(["wakeword", "--model", "hey_jarvis", str(woke)]) == 0
    assert json.loads(capsys.readouterr().out)["detections"] == []
    assert run_assistant.main(["wakeword", "--threshold", "0.999", str(woke)]) == 0
    assert json.loads(capsys.readouterr().out)["detections"] == []


def test_the_cli_names_a_missing_model_and_a_missing_file(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_wav(tmp_path / "quiet.wav", silence(0.5))
    assert run_assistant.main(["wakeword", "--model", "okay_greenleaf", str(wav)]) == 2
    err = json.loads(capsys.readouterr().err)["error"]
    assert err["code"] == "wakeword-model-missing"
    assert "okay_greenleaf" in err["message"]
    assert "speech.wake_word_model" in err["message"]
    assert run_assistant.main(["wakeword", str(tmp_path / "none.wav"), str(wav)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["error"]["code"] == "audio-missing"
    assert lines[1] == {"file": str(wav), "detections": []}


# --- settings and errors ----------------------------------------------------------------------


def test_a_missing_or_unknown_model_is_a_coded_error_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(WakeWordError) as unknown:
        MicroWakeWordDetector("okay_greenleaf")
    assert unknown.value.code == "wakeword-model-missing"
    assert "okay_nabu, hey_jarvis, hey_mycroft, alexa" in unknown.value.message
    with pytest.raises(WakeWordError, match="no readable config") as absent:
        MicroWakeWordDetector(str(tmp_path / "greenleaf.json"))
    assert absent.value.code == "wakeword-model-missing"
    config = tmp_path / "greenleaf.json"
    config.write_text(json.dumps({"model": "greenleaf.tflite", "micro": {}}))
    with pytest.raises(WakeWordError, match="no model file") as no_tflite:
        MicroWakeWordDetector("greenleaf.json", root=tmp_path)
    assert no_tflite.value.code == "wakeword-model-missing"


def test_wake_word_settings_defaults_environment_and_ranges(tmp_path: Path) -> None:
    speech = load_settings(tmp_path / "none.yml", environ={}).speech
    assert (speech.wake_word_model, speech.wake_word_threshold) == ("okay_nabu", 0.4)
    assert (speech.wake_word_denoised_threshold, speech.wake_word_window) == (0.5, 3)
    both = MicroWakeWordDetector.from_settings(speech)
    assert isinstance(both, EitherDetector)  # after gain, and after noise suppression + gain
    assert [cast(MicroWakeWordDetector, d).threshold for d in both.detectors] == [0.4, 0.5]
    env = {
        "WAKE_WORD_MODEL": "hey_jarvis",
        "WAKE_WORD_THRESHOLD": "0",  # the model's own cutoff
        "WAKE_WORD_DENOISED_THRESHOLD": "0",  # one listener
    }
    speech = load_settings(tmp_path / "none.yml", environ=env).speech
    detector = MicroWakeWordDetector.from_settings(speech)
    assert isinstance(detector, MicroWakeWordDetector)
    assert (detector.model, detector.threshold) == ("hey_jarvis", 0.97)
    for bad in ({"wake_word_threshold": 1.5}, {"wake_word_preroll_ms": 5000}):
        with pytest.raises(SpeechConfigError, match=r"speech\.wake_word"):
            SpeechSettings(**bad)
    with pytest.raises(ConfigError, match="WAKE_WORD_THRESHOLD"):
        load_settings(tmp_path / "none.yml", environ={"WAKE_WORD_THRESHOLD": "high"})
