"""Spoken PINs from recordings of real people saying single digits (the Free Spoken Digit
Dataset's layout: ``{digit}_{speaker}_{take}.wav``), for the tests and the speech benchmark.

    audio = spoken_pin(folder, "5260", "george", takes=[19])
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk
from audio.formats import load_wav

LEAD_IN_S = 0.4  # silence before the first digit
GAP_S = 0.25  # between digits, as a customer reading a PIN pauses


def digit_files(folder: Path, digit: str, speaker: str, takes: Sequence[int]) -> list[Path]:
    files = [folder / f"{digit}_{speaker}_{take}.wav" for take in takes]
    found = [f for f in files if f.is_file()]
    if not found:
        raise FileNotFoundError(f"no recording of {digit} by {speaker} in {folder}")
    return found


def spoken_pin(
    folder: Path,
    digits: str,
    speaker: str,
    takes: Sequence[int],
    rng: random.Random | None = None,
) -> AudioChunk:
    """``digits`` said by ``speaker``, one recording each (a random take of ``takes``, or the
    first), joined with short silences and converted to 16 kHz mono at the boundary."""
    silence = np.zeros(int(GAP_S * RATE), dtype=np.int16)
    parts = [np.zeros(int(LEAD_IN_S * RATE), dtype=np.int16)]
    for digit in digits:
        files = digit_files(folder, digit, speaker, takes)
        path = rng.choice(files) if rng is not None else files[0]
        parts += [np.frombuffer(load_wav(path).data, dtype="<i2"), silence]
    return AudioChunk(RATE, WIDTH, CHANNELS, np.concatenate(parts).astype("<i2").tobytes())
