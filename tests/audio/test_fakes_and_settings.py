from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ConfigError, SpeechConfigError, SpeechToTextError
from assistant.settings import SpeechSettings, load_settings
from audio.base import AudioChunk, Recognition, Speaker, Transcriber
from audio.fakes import FixedTranscriber, ListAudioSource, RecordingSpeaker
from audio.formats import silence


def test_fixed_transcriber_answers_each_utterance_in_turn() -> None:
    fake: Transcriber = FixedTranscriber("add milk", "place the order")
    assert fake.transcribe(silence(100)).text == "add milk"
    recognition: Recognition = fake.start()
    partials = [recognition.accept(silence(30)) for _ in range(4)]
    assert partials == ["place", "place the", "place the order", None]
    assert recognition.finish().text == "place the order"
    assert fake.transcribe(silence(100)).text == "place the order"  # the last one repeats


def test_fixed_transcriber_checks_the_audio_format_like_a_real_engine() -> None:
    with pytest.raises(SpeechToTextError) as err:
        FixedTranscriber("x").transcribe(AudioChunk(44_100, 2, 2, bytes(8)))
    assert err.value.code == "audio-format"


def test_fixed_transcriber_can_fail() -> None:
    fake = FixedTranscriber(fail_with=SpeechToTextError("stt-failed", "boom"))
    with pytest.raises(SpeechToTextError, match="boom"):
        fake.transcribe(silence(30))


def test_recording_speaker_records_and_counts_stops() -> None:
    speaker: Speaker = RecordingSpeaker()
    speaker.speak("hello")
    speaker.stop()
    assert isinstance(speaker, RecordingSpeaker)
    assert speaker.spoken == ["hello"]
    assert speaker.stops == 1
    assert speaker.wait(0)


def test_list_audio_source() -> None:
    chunks = [silence(30), silence(60)]
    assert list(ListAudioSource(chunks).chunks()) == chunks


def test_speech_settings_defaults_and_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.yml", environ={})
    assert settings.speech.engine == "whisper"
    assert settings.speech.whisper_model == "tiny.en"
    assert settings.speech.shop_lm
    path = tmp_path / "a.yml"
    path.write_text("speech:\n  engine: vosk\n  vad_silence_ms: 300\n")
    speech = load_settings(path, environ={}).speech
    assert (speech.engine, speech.vad_silence_ms) == ("vosk", 300)


def test_speech_environment_overrides(tmp_path: Path) -> None:
    env = {
        "SPEECH_ENGINE": "vosk",
        "WHISPER_MODEL": "base",
        "VOSK_MODEL_PATH": "/srv/models/vosk-x",
        "SPEECH_SHOP_LM": "off",
        "SPEECH_VAD_SILENCE_MS": "500",
        "TTS_RATE": "150",
    }
    speech = load_settings(tmp_path / "none.yml", environ=env).speech
    assert speech.engine == "vosk"
    assert speech.whisper_model == "base"
    assert speech.vosk_model == "/srv/models/vosk-x"
    assert speech.shop_lm is False
    assert speech.vad_silence_ms == 500
    assert speech.tts_rate == 150
    with pytest.raises(ConfigError, match="SPEECH_SHOP_LM must be a boolean"):
        load_settings(tmp_path / "none.yml", environ={"SPEECH_SHOP_LM": "maybe"})


@pytest.mark.parametrize(
    ("field", "value"),
    [("engine", "kaldi"), ("whisper_model", "large"), ("whisper_window_s", 2),
     ("vad_silence_ms", 20), ("vad_aggressiveness", 4),
     ("tts_rate", 1000), ("tts_volume", 1.5), ("vosk_model_url", "ftp://x")],
)  # fmt: skip
def test_speech_settings_are_range_checked(field: str, value: object) -> None:
    with pytest.raises(SpeechConfigError) as err:
        SpeechSettings(**{field: value})  # type: ignore[arg-type]
    assert err.value.code == "config-invalid"
