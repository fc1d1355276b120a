"""The sound-device layer with fake PortAudio streams (no microphone or speaker needed)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from assistant.errors import SpeechOutputError, SpeechToTextError
from audio import devices
from audio.base import AudioChunk
from audio.devices import MicrophoneSource, SoundDeviceSink
from audio.formats import silence


class FakeInputStream:
    def __init__(self, blocks: int, overflow_at: int = -1, fail_at: int = -1) -> None:
        self.blocks, self.overflow_at, self.fail_at = blocks, overflow_at, fail_at
        self.reads: list[int] = []
        self.started = self.stopped = self.closed = False

    def start(self) -> None:
        self.started = True

    def read(self, frames: int) -> tuple[Any, bool]:
        n = len(self.reads)
        if n == self.fail_at:
            raise RuntimeError("device unplugged")
        self.reads.append(frames)
        return bytearray(n.to_bytes(2, "little") * frames), n == self.overflow_at

    def stop(self) -> None:
        self.stopped = True

    def close(self) -> None:
        self.closed = True


def test_microphone_yields_16k_mono_blocks_and_closes_the_stream() -> None:
    stream = FakeInputStream(blocks=5, overflow_at=2)
    opened: list[tuple[Any, int]] = []

    def factory(device: Any, blocksize: int) -> FakeInputStream:
        opened.append((device, blocksize))
        return stream

    mic = MicrophoneSource(device="2", block_ms=30, stream_factory=factory)
    chunks: list[AudioChunk] = []
    for chunk in mic.chunks():
        chunks.append(chunk)
        if len(chunks) == 5:
            mic.close()
    assert opened == [("2", 480)]
    assert len(chunks) == 5
    assert all((c.rate, c.width, c.channels, len(c.data)) == (16_000, 2, 1, 960) for c in chunks)
    assert chunks[3].data[:2] == (3).to_bytes(2, "little")
    assert mic.overflows == 1
    assert stream.started
    assert stream.stopped
    assert stream.closed


def test_a_failing_device_is_an_error_with_a_code_and_the_stream_is_closed() -> None:
    stream = FakeInputStream(blocks=5, fail_at=1)
    mic = MicrophoneSource(stream_factory=lambda device, blocksize: stream)
    with pytest.raises(SpeechToTextError) as err:
        list(mic.chunks())
    assert err.value.code == "audio-device-failed"
    assert stream.closed


def test_no_input_device_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice

    def no_devices(*args: Any, **kwargs: Any) -> Any:
        raise sounddevice.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sounddevice, "query_devices", no_devices)
    with pytest.raises(SpeechToTextError) as err:
        list(MicrophoneSource().chunks())
    assert err.value.code == "no-audio-device"
    assert "input" in err.value.message
    with pytest.raises(SpeechOutputError) as out_err:
        SoundDeviceSink().check()
    assert out_err.value.code == "no-audio-device"


def test_device_numbers_from_settings_become_indices() -> None:
    assert devices._device("3") == 3
    assert devices._device("USB Mic") == "USB Mic"


class FakeOutputStream:
    def __init__(self, stop_after: int = -1, stop: threading.Event | None = None) -> None:
        self.writes: list[bytes] = []
        self.aborted = self.stopped = self.closed = False
        self.stop_after, self.stop_event = stop_after, stop

    def start(self) -> None: ...

    def write(self, data: Any) -> bool:
        self.writes.append(bytes(data))
        if len(self.writes) == self.stop_after and self.stop_event is not None:
            self.stop_event.set()  # the customer barges in while this block plays
        return False

    def stop(self) -> None:
        self.stopped = True

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True


def test_playback_writes_the_whole_clip_in_small_blocks() -> None:
    stream = FakeOutputStream()
    formats: list[tuple[int, int]] = []

    def factory(device: Any, rate: int, channels: int) -> FakeOutputStream:
        formats.append((rate, channels))
        return stream

    clip = AudioChunk(22_050, 2, 1, bytes(22_050 * 2))  # one second
    SoundDeviceSink(stream_factory=factory).play(clip, threading.Event())
    assert formats == [(22_050, 1)]
    assert b"".join(stream.writes) == clip.data
    assert len(stream.writes) == 20
    assert stream.stopped
    assert stream.closed
    assert not stream.aborted


def test_barge_in_cuts_playback_within_a_block() -> None:
    stop = threading.Event()
    stream = FakeOutputStream(stop_after=3, stop=stop)
    SoundDeviceSink(stream_factory=lambda d, r, c: stream).play(silence(1000), stop)
    assert len(stream.writes) == 3
    assert stream.aborted
    assert stream.closed
