"""``run_assistant.py transcribe`` and ``say``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import run_assistant
from assistant.settings import load_settings
from audio.base import AudioChunk
from audio.formats import read_wav, rms_dbfs, write_wav


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "assistant.yml"
    path.write_text(f"speech:\n  shop_lm_dir: {tmp_path}/speech\n")
    monkeypatch.setattr(run_assistant, "load_settings", lambda: load_settings(path, environ={}))
    return path


def test_transcribe_prints_one_json_line_per_file(
    settings_file: Path,
    tmp_path: Path,
    speak: Callable[[str, str], AudioChunk],
    capsys: pytest.CaptureFixture[str],
) -> None:
    import numpy as np

    first = write_wav(tmp_path / "a.wav", speak("place the order", "kal"))
    audio = speak("where is my order", "slt")
    samples = np.frombuffer(audio.data, dtype="<i2")
    stereo = AudioChunk(16_000, 2, 2, np.repeat(samples, 2).astype("<i2").tobytes())
    second = write_wav(tmp_path / "b.wav", stereo)  # converted at the boundary
    assert run_assistant.main(["transcribe", str(first), str(second)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(first), str(second)]
    assert lines[0]["text"] == "place the order"
    assert lines[1]["text"] == "where is my order"
    assert set(lines[0]) >= {"file", "text", "engine", "duration_s", "decode_ms"}
    assert lines[0]["engine"] == "whisper-tiny.en"  # the default
    assert lines[0]["duration_s"] > 0.5

    args = ["transcribe", "--engine", "pocketsphinx", "--no-shop-lm", "--no-correction"]
    assert run_assistant.main([*args, str(first)]) == 0
    general = json.loads(capsys.readouterr().out)
    assert general["engine"] == "pocketsphinx-general"


def test_transcribe_reports_bad_files_and_fails(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    assert run_assistant.main(["transcribe", str(bad)]) == 1
    line = json.loads(capsys.readouterr().out)
    assert line["error"]["code"] == "audio-format"


def test_transcribe_with_vosk_and_no_model_names_the_fix(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file.write_text(
        f"speech:\n  shop_lm_dir: {tmp_path}/speech\n  vosk_model: {tmp_path}/no-model\n"
    )
    assert run_assistant.main(["transcribe", "--engine", "vosk", str(tmp_path / "x.wav")]) == 2
    error = json.loads(capsys.readouterr().err)["error"]
    assert error["code"] == "stt-model-missing"
    assert "models download" in error["message"]


def test_say_writes_a_wav(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reply.wav"
    assert (
        run_assistant.main(["say", "Two litres of milk added. Anything else?", "-o", str(out)]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["output"] == str(out)
    assert result["first_audio_ms"] < result["total_ms"]
    audio = read_wav(out)
    assert audio.duration_s > 1.5
    assert rms_dbfs(audio) > -35
