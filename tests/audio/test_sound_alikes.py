"""Sound-alike correction on the real shop language model (the NLU sentences and the seeded
catalog): known words heard for shop words that sound the same are put back; sentences the
shop says are left alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from audio import factory
from audio.base import AudioChunk
from audio.correction import TranscriptCorrector
from audio.settings import SpeechSetup
from audio.shop_lm import CatalogTerms, ShopModel
from audio.sound_alikes import SoundAlikeCorrector, sound_key


@pytest.fixture(scope="module")
def alikes(shop: ShopModel) -> SoundAlikeCorrector:
    return SoundAlikeCorrector(shop.corpus_file.read_text().splitlines(), shop.vocabulary)


def test_words_run_together_sound_alike() -> None:
    assert sound_key("can sell") == sound_key("cancel")
    assert sound_key("a board") == sound_key("abort")
    assert sound_key("pears") != sound_key("peas")


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("can sell my order", "cancel my order"),
        ("can sell that", "cancel that"),
        ("a board the checkout", "abort the checkout"),
    ],
)
def test_known_words_heard_for_shop_words_are_put_back(
    alikes: SoundAlikeCorrector, heard: str, meant: str
) -> None:
    text, made = alikes.corrections(heard)
    assert text == meant
    assert made
    assert made[0].gain >= alikes.margin


@pytest.mark.parametrize(
    "said",
    [
        "cancel my order",
        "add two pears",
        "what is in my basket",
        "is the harbour store open now",
        "add a tin of tomatoes",
        "remove a kilo of apples",
        "do you sell eggs",
        "can i have some bread",
        "xylophone quartet",
    ],
)
def test_what_the_shop_says_and_what_sounds_like_nothing_is_left_alone(
    alikes: SoundAlikeCorrector, said: str
) -> None:
    assert alikes.correct(said) == said


def test_the_corrector_runs_sound_alikes_after_the_catalog_terms(
    shop: ShopModel, terms: CatalogTerms, alikes: SoundAlikeCorrector
) -> None:
    corrector = TranscriptCorrector(terms.all_names(), shop.vocabulary, sound_alikes=alikes)
    assert corrector.correct("can sell the chick peace") == "cancel the chickpeas"
    plain = TranscriptCorrector(terms.all_names(), shop.vocabulary)
    assert plain.correct("can sell the chick peace") == "can sell the chickpeas"


def test_the_margin_setting_turns_it_on_and_off(speech_setup: SpeechSetup) -> None:
    assert factory.build_corrector(speech_setup).correct("can sell my order") == "cancel my order"
    off = replace(speech_setup, speech=replace(speech_setup.speech, sound_alike_margin=0))
    assert factory.build_corrector(off).sound_alikes is None
    assert factory.build_corrector(off).correct("can sell my order") == "can sell my order"


def test_the_margin_is_how_much_likelier_the_shop_must_find_it(shop: ShopModel) -> None:
    sentences = shop.corpus_file.read_text().splitlines()
    strict = SoundAlikeCorrector(sentences, shop.vocabulary, margin=3.0)
    # 2.4 log10 likelier as "i cancel you nothing": over the default margin, under 3
    assert strict.correct("i can sell you nothing") == "i can sell you nothing"
    assert strict.correct("can sell my order") == "cancel my order"  # 7 log10 likelier


@pytest.mark.parametrize(
    ("said", "voice", "whisper_wrote", "meant"),
    [
        ("abort", "slt", "a board", "abort"),
        ("cancel the saturday pickup", "espeak-us", "can sell", "cancel the saturday"),
    ],
)
def test_whisper_s_mishearing_is_put_back_on_the_real_model(
    speech_setup: SpeechSetup,
    speak: Callable[[str, str], AudioChunk],
    said: str,
    voice: str,
    whisper_wrote: str,
    meant: str,
) -> None:
    """Clips the speech bench's development sentences found misheard (one thread there)."""
    whisper = factory.build_transcriber(speech_setup)  # Whisper tiny.en, as the assistant runs
    heard = whisper.transcribe(speak(said, voice))
    assert heard.raw_text is not None
    assert whisper_wrote in heard.raw_text.lower()
    assert heard.text.startswith(meant)
