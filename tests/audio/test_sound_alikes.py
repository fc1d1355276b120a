"""Sound-alike correction on the real shop language model (the NLU sentences and the seeded
catalog): known words heard for shop words that sound the same are put back; sentences the
shop says are left alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from audio import factory
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
    assert made and made[0].gain >= alikes.margin


@pytest.mark.parametrize(
    "said",
    [
        "cancel my order",
        "add two pears",
        "what is in my basket",
        "is the harbour store open now",
        "add a tin of tomatoes",
        "remove a kilo of apples",
        "i can sell you nothing",  # not a shop sentence, but nothing in it sounds like one
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
