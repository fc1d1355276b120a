"""Audio formats at the boundary: read and write WAV, convert to the engines' 16 kHz / 16-bit /
mono once, or refuse with an error that names the format expected and the one given.

Resampling uses libsoxr (the ``soxr`` package), the resampler of SoX; ``StreamConverter``
keeps its filter state between chunks so a device stream can be converted block by block.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import soxr

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk
from audio.errors import SpeechToTextError

SUPPORTED_WIDTHS = (1, 2, 3, 4)  # bytes per sample: 8-bit unsigned, 16/24/32-bit signed
MAX_CHANNELS = 8
RATE_RANGE = (8_000, 192_000)


def describe(rate: int, width: int, channels: int) -> str:
    """``16000 Hz, 16-bit, mono`` — the words the format errors use."""
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels} channels")
    return f"{rate} Hz, {width * 8}-bit, {layout}"


ENGINE_FORMAT = describe(RATE, WIDTH, CHANNELS)


def format_error(chunk: AudioChunk, why: str = "") -> SpeechToTextError:
    got = describe(chunk.rate, chunk.width, chunk.channels)
    extra = f" ({why})" if why else ""
    return SpeechToTextError(
        "audio-format", f"expected {ENGINE_FORMAT} PCM audio, got {got}{extra}"
    )


def is_engine_format(chunk: AudioChunk) -> bool:
    return (chunk.rate, chunk.width, chunk.channels) == (RATE, WIDTH, CHANNELS)


def require_engine_format(chunk: AudioChunk) -> AudioChunk:
    """Return ``chunk`` if the engines can take it as it is; raise ``audio-format`` if not."""
    if not is_engine_format(chunk):
        raise format_error(chunk)
    if len(chunk.data) % WIDTH:
        raise format_error(chunk, f"{len(chunk.data)} bytes is not a whole number of samples")
    return chunk


def _check_convertible(chunk: AudioChunk) -> None:
    if chunk.width not in SUPPORTED_WIDTHS:
        raise format_error(chunk, f"sample width must be one of {SUPPORTED_WIDTHS} bytes")
    if not 1 <= chunk.channels <= MAX_CHANNELS:
        raise format_error(chunk, f"1 to {MAX_CHANNELS} channels can be converted")
    if not RATE_RANGE[0] <= chunk.rate <= RATE_RANGE[1]:
        raise format_error(chunk, f"rates from {RATE_RANGE[0]} to {RATE_RANGE[1]} Hz")
    if len(chunk.data) % (chunk.width * chunk.channels):
        raise format_error(chunk, f"{len(chunk.data)} bytes is not a whole number of frames")


def _to_float_mono(chunk: AudioChunk) -> np.ndarray:
    """Samples as float32 in [-1, 1), channels averaged."""
    raw = chunk.data
    if chunk.width == 1:  # WAV's 8-bit PCM is unsigned
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif chunk.width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif chunk.width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    else:
        samples = (np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(
            np.float32
        )
    if chunk.channels > 1:
        samples = samples.reshape(-1, chunk.channels).mean(axis=1)
    return samples


def _float_to_int16(samples: np.ndarray) -> bytes:
    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")
    return scaled.tobytes()


def to_engine_format(chunk: AudioChunk) -> AudioChunk:
    """Convert a whole clip to 16 kHz, 16-bit, mono; ``audio-format`` error if it cannot."""
    if is_engine_format(chunk):
        return require_engine_format(chunk)
    _check_convertible(chunk)
    samples = _to_float_mono(chunk)
    if chunk.rate != RATE and samples.size:
        samples = soxr.resample(samples, chunk.rate, RATE, quality="HQ")
    return AudioChunk(RATE, WIDTH, CHANNELS, _float_to_int16(samples))


class StreamConverter:
    """Converts a continuous stream of chunks of one input format, keeping resampler state."""

    def __init__(self, rate: int, width: int, channels: int) -> None:
        self.source = (rate, width, channels)
        _check_convertible(AudioChunk(rate, width, channels, b""))
        self._resampler = (
            soxr.ResampleStream(rate, RATE, 1, dtype="float32", quality="HQ")
            if rate != RATE
            else None
        )

    def convert(self, chunk: AudioChunk, last: bool = False) -> AudioChunk:
        if (chunk.rate, chunk.width, chunk.channels) != self.source:
            raise format_error(chunk, f"this stream was opened as {describe(*self.source)}")
        _check_convertible(chunk)
        if is_engine_format(chunk):
            return chunk
        samples = _to_float_mono(chunk)
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples, last=last)
        return AudioChunk(RATE, WIDTH, CHANNELS, _float_to_int16(samples))


def read_wav(path: Path | str) -> AudioChunk:
    """Read a PCM WAV file as it is (no conversion); ``audio-format`` error if unreadable."""
    try:
        with wave.open(str(path), "rb") as wav:
            return AudioChunk(
                wav.getframerate(),
                wav.getsampwidth(),
                wav.getnchannels(),
                wav.readframes(wav.getnframes()),
            )
    except FileNotFoundError as err:
        raise SpeechToTextError("audio-missing", f"no such audio file: {path}") from err
    except (wave.Error, EOFError) as err:
        raise SpeechToTextError(
            "audio-format",
            f"{path} is not a PCM WAV file ({err}); expected {ENGINE_FORMAT} PCM WAV",
        ) from err


def load_wav(path: Path | str) -> AudioChunk:
    """A WAV file in the engines' format, converted once here if it is not."""
    return to_engine_format(read_wav(path))


def wav_bytes(chunk: AudioChunk) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(chunk.channels)
        wav.setsampwidth(chunk.width)
        wav.setframerate(chunk.rate)
        wav.writeframes(chunk.data)
    return buffer.getvalue()


def write_wav(path: Path | str, chunk: AudioChunk) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(chunk))
    return path


def join(chunks: Iterable[AudioChunk]) -> AudioChunk:
    """Concatenate chunks of one format."""
    chunks = list(chunks)
    if not chunks:
        return AudioChunk(RATE, WIDTH, CHANNELS, b"")
    first = chunks[0]
    for chunk in chunks[1:]:
        if (chunk.rate, chunk.width, chunk.channels) != (first.rate, first.width, first.channels):
            raise format_error(chunk, "cannot join chunks of different formats")
    return AudioChunk(first.rate, first.width, first.channels, b"".join(c.data for c in chunks))


def split(chunk: AudioChunk, ms: int) -> Iterator[AudioChunk]:
    """Cut a clip into blocks of ``ms`` milliseconds (the last one may be shorter)."""
    frame = chunk.width * chunk.channels
    step = max(1, chunk.rate * ms // 1000) * frame
    for start in range(0, len(chunk.data), step):
        yield AudioChunk(chunk.rate, chunk.width, chunk.channels, chunk.data[start : start + step])


def silence(ms: int, rate: int = RATE) -> AudioChunk:
    return AudioChunk(rate, WIDTH, CHANNELS, bytes(rate * ms // 1000 * WIDTH))


def warm_up_clip() -> AudioChunk:
    """What a recogniser decodes once before its first customer (buffers, threads, caches):
    300 ms of silence and a second of quiet noise, nothing it could hear as words."""
    noise = np.random.default_rng(0).normal(0, 30, RATE).astype("<i2")
    return join([silence(300), AudioChunk(RATE, WIDTH, CHANNELS, noise.tobytes())])


def rms_dbfs(chunk: AudioChunk) -> float:
    """Loudness of 16-bit audio in dB below full scale (-inf for digital silence)."""
    if chunk.width != 2:
        raise format_error(chunk, "loudness is measured on 16-bit audio")
    samples = np.frombuffer(chunk.data, dtype="<i2").astype(np.float64)
    if not samples.size:
        return float("-inf")
    rms = float(np.sqrt(np.mean(samples**2)))
    return 20 * float(np.log10(rms / 32768.0)) if rms > 0 else float("-inf")
