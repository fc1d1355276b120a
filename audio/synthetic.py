"""Synthesised customer utterances for tests and benchmarks (never used at run time).

Voices: festival's diphone and HTS voices (``text2wave``; Debian ``festival``,
``festvox-kallpc16k``, ``festvox-us-slt-hts``) sound closer to people than espeak-ng's,
which are kept as a hard case. Noise is pink noise made by sox, mixed in at an exact
signal-to-noise ratio measured over the speech.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from audio.base import AudioChunk
from audio.errors import AudioError
from audio.formats import load_wav, read_wav, to_engine_format, write_wav

VOICES: dict[str, tuple[str, ...]] = {
    "kal": ("text2wave", "-eval", "(voice_kal_diphone)"),
    "slt": ("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)"),
    "espeak-us": ("espeak-ng", "-v", "en-us", "-s", "160"),
    "espeak-f3": ("espeak-ng", "-v", "en-us+f3", "-s", "160"),
}


# festival's lexicon is American: it reads British spellings letter by letter ("litres" comes
# out as "lighter is"). People say these words the American way, so the voices get that.
FESTIVAL_RESPELLINGS = {
    "litre": "liter",
    "litres": "liters",
    "millilitre": "milliliter",
    "millilitres": "milliliters",
    "centre": "center",
    "yoghurt": "yogurt",
    "yoghurts": "yogurts",
}
_WORD = re.compile(r"[A-Za-z]+")


def spoken_form(text: str, voice: str) -> str:
    """What ``voice`` is given to say for ``text`` (festival gets British words respelled)."""
    if VOICES.get(voice, ("",))[0] != "text2wave":
        return text
    return _WORD.sub(lambda m: FESTIVAL_RESPELLINGS.get(m.group(0).lower(), m.group(0)), text)


class SynthesisError(AudioError):
    pass


def available_voices() -> list[str]:
    out = []
    for name, command in VOICES.items():
        if shutil.which(command[0]) is None:
            continue
        if command[0] == "text2wave":
            voice = command[2].strip("()").removeprefix("voice_")
            if not list(Path("/usr/share/festival/voices").glob(f"*/{voice}")):
                continue
        out.append(name)
    return out


def synthesize(text: str, voice: str = "kal", cache: Path | None = None) -> AudioChunk:
    """``text`` spoken by ``voice``, as 16 kHz mono 16-bit (cached under ``cache`` if given)."""
    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}; known: {', '.join(VOICES)}")
    text = spoken_form(text, voice)
    key = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:20]
    cached = cache / f"{voice}-{key}.wav" if cache else None
    if cached is not None and cached.exists():
        return read_wav(cached)
    command = VOICES[voice]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.wav"
        if command[0] == "text2wave":
            args = [*command, "-o", str(out)]
            result = subprocess.run(  # noqa: S603 - fixed synthesiser commands
                args, input=text, capture_output=True, text=True, timeout=60, check=False
            )
        else:
            args = [*command, "-w", str(out), text]
            result = subprocess.run(  # noqa: S603
                args, capture_output=True, text=True, timeout=60, check=False
            )
        if result.returncode != 0 or not out.exists():
            raise SynthesisError("synthesis-failed", f"{command[0]}: {result.stderr.strip()}")
        audio = load_wav(out)
    if cached is not None:
        write_wav(cached, audio)
    return audio


def trimmed(chunk: AudioChunk, level: int = 500, margin_ms: int = 0) -> AudioChunk:
    """The clip (16 kHz mono) without the synthesiser's own leading and trailing silence
    (``margin_ms`` of it kept each side)."""
    samples = np.frombuffer(chunk.data, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > level)
    if not loud.size:
        return AudioChunk(chunk.rate, chunk.width, chunk.channels, b"")
    margin = 16 * margin_ms
    start, end = max(0, loud[0] - margin), min(samples.size, loud[-1] + 1 + margin)
    return AudioChunk(16_000, 2, 1, samples[start:end].tobytes())


def pink_noise(seconds: float, seed: int = 0) -> AudioChunk:
    """Pink noise from sox (16 kHz mono 16-bit)."""
    sox = shutil.which("sox")
    if sox is None:
        raise SynthesisError("synthesis-failed", "sox is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "noise.wav"
        subprocess.run(  # noqa: S603
            [sox, "-R", "-n", "-r", "16000", "-b", "16", "-c", "1", str(out),
             "synth", f"{seconds:.3f}", "pinknoise", "vol", "0.5"],
            check=True, capture_output=True, timeout=60, env={"SOX_OPTS": ""},
        )  # fmt: skip
        noise = read_wav(out)
    # sox's -R makes it repeatable; shift by the seed so different clips get different noise
    data = np.frombuffer(noise.data, dtype="<i2")
    data = np.roll(data, (seed * 7919) % max(1, data.size))
    return AudioChunk(16000, 2, 1, data.astype("<i2").tobytes())


def mix_noise(speech: AudioChunk, snr_db: float, seed: int = 0) -> AudioChunk:
    """``speech`` with pink noise at ``snr_db`` (speech power over noise power)."""
    speech = to_engine_format(speech)
    clean = np.frombuffer(speech.data, dtype="<i2").astype(np.float64)
    noise = np.frombuffer(pink_noise(speech.duration_s + 0.1, seed).data, dtype="<i2")
    noise = noise[: clean.size].astype(np.float64)
    voiced = np.abs(clean) > 0.02 * np.max(np.abs(clean)) if clean.size else clean
    p_speech = float(np.mean(clean[voiced] ** 2)) if np.any(voiced) else 0.0
    p_noise = float(np.mean(noise**2)) or 1.0
    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    mixed = np.clip(np.round(clean + gain * noise), -32768, 32767).astype("<i2")
    return AudioChunk(16000, 2, 1, mixed.tobytes())
