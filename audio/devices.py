"""The sound-device layer (sounddevice over PortAudio): microphone capture and playback.

Both take a ``stream_factory`` so tests can drive them with a fake stream; the default opens
``sounddevice.RawInputStream`` / ``RawOutputStream``. A machine with no such device gets a
clear ``no-audio-device`` error rather than a PortAudio traceback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk
from audio.errors import AudioError, SpeechOutputError, SpeechToTextError

log = logging.getLogger(__name__)


class InputStream(Protocol):
    """What ``MicrophoneSource`` needs of a stream (``sounddevice.RawInputStream`` has it)."""

    def start(self) -> None: ...
    def read(self, frames: int) -> tuple[Any, bool]: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


class OutputStream(Protocol):
    def start(self) -> None: ...
    def write(self, data: Any) -> bool: ...
    def stop(self) -> None: ...
    def abort(self) -> None: ...
    def close(self) -> None: ...


def _device(value: str | int | None) -> str | int | None:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _sounddevice(error: type[AudioError]) -> Any:
    try:
        import sounddevice
    except OSError as err:  # the PortAudio library itself is missing
        raise error(
            "no-audio-device", f"PortAudio is not installed ({err}); install libportaudio2"
        ) from err
    return sounddevice


def _check_device(kind: str, device: str | int | None, error: type[AudioError]) -> None:
    sd = _sounddevice(error)
    try:
        sd.query_devices(_device(device), kind=kind)
    except (ValueError, sd.PortAudioError) as err:
        which = f"device {device!r}" if device is not None else f"default {kind} device"
        raise error(
            "no-audio-device",
            f"no audio {kind} here: the {which} is not available ({err}); "
            f"set speech.{kind}_device, or use WAV files",
        ) from err


def default_input_stream(device: str | int | None, blocksize: int) -> InputStream:
    _check_device("input", device, SpeechToTextError)
    sd = _sounddevice(SpeechToTextError)
    stream: InputStream = sd.RawInputStream(
        samplerate=RATE, channels=CHANNELS, dtype="int16", blocksize=blocksize,
        device=_device(device),
    )  # fmt: skip
    return stream


def default_output_stream(device: str | int | None, rate: int, channels: int) -> OutputStream:
    _check_device("output", device, SpeechOutputError)
    sd = _sounddevice(SpeechOutputError)
    stream: OutputStream = sd.RawOutputStream(
        samplerate=rate, channels=channels, dtype="int16", device=_device(device)
    )
    return stream


class MicrophoneSource:
    """An ``AudioSource`` of 16 kHz mono 16-bit blocks from a sound device.

    ``chunks()`` yields blocks of ``block_ms`` until ``close()`` is called (from any thread).
    """

    def __init__(
        self,
        device: str | int | None = None,
        block_ms: int = 30,
        stream_factory: Callable[[str | int | None, int], InputStream] = default_input_stream,
    ) -> None:
        self.device = device
        self.block_frames = RATE * block_ms // 1000
        self._factory = stream_factory
        self._closed = threading.Event()
        self.overflows = 0

    def close(self) -> None:
        self._closed.set()

    def chunks(self) -> Iterator[AudioChunk]:
        stream = self._factory(self.device, self.block_frames)
        try:
            stream.start()
            while not self._closed.is_set():
                data, overflowed = stream.read(self.block_frames)
                if overflowed:
                    self.overflows += 1
                    log.warning("microphone overflow: audio was lost (a slow consumer)")
                yield AudioChunk(RATE, WIDTH, CHANNELS, bytes(data))
        except AudioError:
            raise
        except Exception as err:  # PortAudio errors during capture
            raise SpeechToTextError(
                "audio-device-failed", f"microphone capture failed: {err}"
            ) from err
        finally:
            try:
                stream.stop()
            finally:
                stream.close()


class SoundDeviceSink:
    """Plays chunks on a sound device, in 50 ms writes so barge-in stops within one write."""

    def __init__(
        self,
        device: str | int | None = None,
        stream_factory: Callable[
            [str | int | None, int, int], OutputStream
        ] = default_output_stream,
    ) -> None:
        self.device = device
        self._factory = stream_factory

    def check(self) -> None:
        """Fail now (``no-audio-device``) if there is nothing to play on."""
        if self._factory is default_output_stream:
            _check_device("output", self.device, SpeechOutputError)

    def play(self, chunk: AudioChunk, stop: threading.Event) -> None:
        if chunk.width != 2:
            raise SpeechOutputError("audio-format", "playback takes 16-bit audio")
        stream = self._factory(self.device, chunk.rate, chunk.channels)
        step = chunk.rate * chunk.channels * chunk.width // 20
        try:
            stream.start()
            for start in range(0, len(chunk.data), step):
                if stop.is_set():
                    stream.abort()
                    return
                stream.write(chunk.data[start : start + step])
            stream.stop()
        except AudioError:
            raise
        except Exception as err:
            raise SpeechOutputError("audio-device-failed", f"playback failed: {err}") from err
        finally:
            stream.close()


def check_input(device: str | int | None = None) -> None:
    """Fail now (``no-audio-device``) if there is no microphone to listen on."""
    _check_device("input", device, SpeechToTextError)
