"""The noise floor put under too-clean audio before pocketsphinx hears it."""

from __future__ import annotations

import numpy as np

from audio.noise_floor import NoiseFloor


def pcm(samples: np.ndarray) -> bytes:
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


def rms(data: bytes) -> float:
    return float(np.sqrt(np.mean(np.frombuffer(data, dtype="<i2").astype(np.float64) ** 2)))


def test_digital_silence_gets_noise_at_the_floor_level() -> None:
    out = NoiseFloor(20)(bytes(3200))
    assert 18 < rms(out) < 22


def test_audio_already_that_noisy_is_left_alone() -> None:
    noise = pcm(np.random.default_rng(1).normal(0, 200, 3200))
    assert NoiseFloor(20)(noise) == noise


def test_only_the_missing_power_is_added() -> None:
    hiss = pcm(np.random.default_rng(2).normal(0, 12, 16000))
    out = NoiseFloor(20)(hiss)
    assert 18 < rms(out) < 22  # 12² + 16² = 20², not 12 + 20


def test_the_floor_follows_the_utterance_so_far_and_is_repeatable() -> None:
    floor = NoiseFloor(20)
    tone = pcm(3000 * np.sin(np.arange(16000) / 5))
    assert floor(tone) == tone  # loud and no quiet frames yet: nothing missing
    silence_after = floor(bytes(6400))  # 20 quiet frames of 120: now the floor is 0
    assert rms(silence_after) > 10
    again = NoiseFloor(20)
    again(tone)
    assert again(bytes(6400)) == silence_after


def test_off_and_empty() -> None:
    assert NoiseFloor(0)(bytes(320)) == bytes(320)
    assert NoiseFloor(20)(b"") == b""
