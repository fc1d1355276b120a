from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import SpeechToTextError
from audio.base import AudioChunk
from audio.formats import (
    StreamConverter,
    join,
    load_wav,
    read_wav,
    require_engine_format,
    rms_dbfs,
    split,
    to_engine_format,
    write_wav,
)


def sine(rate: int, seconds: float, freq: float, channels: int = 1, width: int = 2) -> AudioChunk:
    t = np.arange(int(rate * seconds)) / rate
    wave_ = 0.5 * np.sin(2 * np.pi * freq * t)
    frames = np.repeat(wave_[:, None], channels, axis=1).reshape(-1)
    if width == 2:
        data = (frames * 32767).astype("<i2").tobytes()
    elif width == 4:
        data = (frames * (2**31 - 1)).astype("<i4").tobytes()
    else:
        ints = (frames * (2**23 - 1)).astype(np.int32)
        data = b"".join(struct.pack("<i", v)[:3] for v in ints)
    return AudioChunk(rate, width, channels, data)


def dominant_hz(chunk: AudioChunk) -> float:
    samples = np.frombuffer(chunk.data, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / chunk.rate)[np.argmax(spectrum)])


def test_cd_quality_stereo_wav_is_converted_once_at_the_boundary(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "cd.wav", sine(44_100, 1.0, 440, channels=2))
    assert read_wav(path).rate == 44_100
    audio = load_wav(path)
    assert (audio.rate, audio.width, audio.channels) == (16_000, 2, 1)
    assert audio.duration_s == pytest.approx(1.0, abs=0.01)
    assert dominant_hz(audio) == pytest.approx(440, abs=3)
    assert rms_dbfs(audio) == pytest.approx(-9.0, abs=0.5)  # 0.5 amplitude sine: -9 dBFS


@pytest.mark.parametrize("width", [3, 4])
def test_24_and_32_bit_audio_become_16_bit(width: int) -> None:
    audio = to_engine_format(sine(48_000, 0.5, 1000, width=width))
    assert (audio.rate, audio.width) == (16_000, 2)
    assert dominant_hz(audio) == pytest.approx(1000, abs=4)


def test_the_engines_refuse_other_formats_naming_expected_and_got() -> None:
    with pytest.raises(SpeechToTextError) as err:
        require_engine_format(sine(44_100, 0.1, 440, channels=2))
    assert err.value.code == "audio-format"
    assert "expected 16000 Hz, 16-bit, mono" in err.value.message
    assert "got 44100 Hz, 16-bit, stereo" in err.value.message


def test_unconvertible_audio_is_refused() -> None:
    with pytest.raises(SpeechToTextError) as err:
        to_engine_format(AudioChunk(16_000, 2, 1, b"\x00\x01\x02"))  # half a sample
    assert err.value.code == "audio-format"
    with pytest.raises(SpeechToTextError, match="4000 Hz"):
        to_engine_format(AudioChunk(4_000, 2, 1, b"\x00\x00"))


def test_a_float_wav_is_refused_with_the_format_expected(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    data = struct.pack("<4f", 0.0, 0.1, -0.1, 0.0)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 3, 1, 16000, 64000, 4, 32) + b"data"
    path.write_bytes(header + struct.pack("<I", len(data)) + data)
    with pytest.raises(SpeechToTextError) as err:
        load_wav(path)
    assert err.value.code == "audio-format"
    assert "16000 Hz, 16-bit, mono" in err.value.message


def test_a_stream_converted_block_by_block_matches_the_whole(tmp_path: Path) -> None:
    clip = sine(44_100, 1.0, 300, channels=2)
    converter = StreamConverter(44_100, 2, 2)
    blocks = list(split(clip, 20))
    parts = [converter.convert(b, last=i == len(blocks) - 1) for i, b in enumerate(blocks)]
    streamed = join(parts)
    whole = to_engine_format(clip)
    assert abs(len(streamed.data) - len(whole.data)) <= 4
    a = np.frombuffer(streamed.data, dtype="<i2")[1000:15000].astype(float)
    b = np.frombuffer(whole.data, dtype="<i2")[1000:15000].astype(float)
    assert np.max(np.abs(a - b)) < 400  # the same signal, no clicks at block edges
    with pytest.raises(SpeechToTextError, match="opened as 44100 Hz"):
        converter.convert(AudioChunk(16_000, 2, 1, b"\x00\x00"))


def test_wav_round_trip(tmp_path: Path) -> None:
    clip = sine(16_000, 0.25, 200)
    path = write_wav(tmp_path / "a.wav", clip)
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (16_000, 2, 1)
    assert read_wav(path) == clip
