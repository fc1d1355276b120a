"""Fixtures of the speech tests: the shop model built once into a temporary folder, and
synthesised customer utterances (festival / espeak-ng), cached for the session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from audio.base import AudioChunk
from audio.settings import SpeechSettings, SpeechSetup
from audio.shop_lm import CatalogTerms, ShopModel, ensure_shop_model
from audio.synthetic import available_voices, synthesize
from commerce.db import Database
from commerce.services.vocabulary import catalog_vocabulary

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "nlu_data"


@pytest.fixture(scope="session")
def terms(seeded_sqlite_template: Path) -> CatalogTerms:
    """The catalog's names from the service's vocabulary export of a seeded database."""
    db = Database.connect(f"sqlite:///{seeded_sqlite_template}")
    try:
        with db.session() as session:
            return CatalogTerms.from_vocabulary(catalog_vocabulary(session))
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory, terms: CatalogTerms) -> ShopModel:
    return ensure_shop_model(NLU, tmp_path_factory.mktemp("speech") / "shop", terms)


@pytest.fixture(scope="session")
def speech_setup(shop: ShopModel, terms: CatalogTerms) -> SpeechSetup:
    """The default speech settings with the shop model built above: what audio.factory
    builds from."""
    speech = SpeechSettings(shop_lm_dir=str(shop.folder))
    return SpeechSetup(speech=speech, root=ROOT, sentences=NLU, terms=terms)


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
