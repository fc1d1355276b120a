"""Fixtures of the speech tests: the shop model built once into a temporary folder, and
synthesised customer utterances (festival / espeak-ng), cached for the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from audio.base import AudioChunk
from audio.shop_lm import ShopModel, ensure_shop_model
from audio.synthetic import available_voices, synthesize

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ShopModel:
    return ensure_shop_model(ROOT, tmp_path_factory.mktemp("speech") / "shop")


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], AudioChunk]:
    """``speak(text, voice)`` -> 16 kHz mono audio; fails if the voice is not installed
    (requirements/debian.txt installs them)."""
    cache = tmp_path_factory.mktemp("voices")
    voices = available_voices()

    def _speak(text: str, voice: str = "kal") -> AudioChunk:
        assert voice in voices, f"voice {voice} missing: install requirements/debian.txt"
        return synthesize(text, voice, cache)

    return _speak


REAL_DIGITS = ROOT / "tests" / "data" / "real-digits"


@pytest.fixture(scope="session")
def real_pin() -> Callable[..., AudioChunk]:
    """``real_pin("5260", speaker="george")`` -> a PIN spoken by a real person (recordings
    shipped in tests/data/real-digits)."""
    from audio.recordings import spoken_pin

    def _pin(digits: str, speaker: str = "george") -> AudioChunk:
        return spoken_pin(REAL_DIGITS, digits, speaker, takes=[19])

    return _pin
