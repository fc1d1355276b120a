"""A spoken PIN in noise: where its digits are, and which reading of it to believe.

A customer says a PIN one digit at a time, with a short pause after each. Whisper, reading the
whole utterance, most often goes wrong in noise by *dropping* a digit ("6897" heard as "897",
"7799" as "799"), rarely by writing a wrong one. The pauses tell how many digits were said:
``digit_segments`` finds the loud stretches of the utterance (frames whose level is more than a
third of the way, on a log scale, from the quiet frames' level to the loud frames'), which at
10 dB SNR counted the digits of all 60 development PINs right (WebRTC's VAD, at 10 dB, counted
6 of 60 right: it hears the noise as speech). ``pick_pin`` then prefers a reading with that many
digits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audio.base import RATE, WIDTH

FRAME = RATE * 30 // 1000  # 30 ms frames (samples)
LOUD_FRACTION = 1 / 3  # a frame is speech above this point from the quiet level to the loud
MIN_GAP_FRAMES = 4  # 120 ms of quiet ends a digit (customers pause ~250 ms)
MIN_DIGIT_FRAMES = 3  # 90 ms: anything shorter is a click, not a digit
PIN_DIGITS = (4, 8)  # how long a PIN can be (the service's rule)


def digit_segments(pcm: bytes) -> list[tuple[int, int]]:
    """(start, end) in bytes of each loud stretch of ``pcm`` (16 kHz mono 16-bit)."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % WIDTH], dtype="<i2")
    frames = samples.size // FRAME
    if frames < 5:
        return []
    x = samples[: frames * FRAME].astype(np.float64).reshape(frames, FRAME)
    level = np.log(np.sqrt((x**2).mean(axis=1)) + 1.0)
    quiet, loud = np.percentile(level, 10), np.percentile(level, 95)
    flags = level > quiet + (loud - quiet) * LOUD_FRACTION
    segments: list[tuple[int, int]] = []
    start: int | None = None
    end = gap = 0
    for i, speech in enumerate([*flags, *([False] * MIN_GAP_FRAMES)]):
        if speech:
            start = i if start is None else start
            end, gap = i + 1, 0
            continue
        gap += 1
        if start is not None and gap >= MIN_GAP_FRAMES:
            if end - start >= MIN_DIGIT_FRAMES:
                segments.append((start * FRAME * WIDTH, end * FRAME * WIDTH))
            start = None
    return segments


def pick_pin(readings: Sequence[tuple[str, float]], digits_said: int) -> str | None:
    """Of (digits, confidence) readings, the most confident with ``digits_said`` digits, else
    the most confident of a PIN's length. None when no reading is a PIN's length but the pauses
    counted one: the caller then reads the digits one by one."""
    counted = PIN_DIGITS[0] <= digits_said <= PIN_DIGITS[1]
    fitting = [r for r in readings if len(r[0]) == digits_said] if counted else []
    pins = [r for r in readings if PIN_DIGITS[0] <= len(r[0]) <= PIN_DIGITS[1]]
    if fitting or pins:
        return max(fitting or pins, key=lambda r: r[1])[0]
    if counted:
        return None
    return max(readings, key=lambda r: r[1])[0] if readings else ""
