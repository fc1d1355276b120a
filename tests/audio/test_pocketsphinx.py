"""The real pocketsphinx engine on synthesised customer speech (festival voices)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audio.base import AudioChunk, SpeakerState
from audio.formats import split
from audio.shop_lm import ShopModel
from audio.stt_pocketsphinx import PocketsphinxTranscriber
from audio.synthetic import mix_noise
from audio.text import word_errors

Speak = Callable[[str, str], AudioChunk]


def error_rates(
    engines: list[PocketsphinxTranscriber], sentences: list[str], voice: str, speak: Speak
) -> list[float]:
    """Each engine's word error rate over ``sentences`` spoken by ``voice`` (same audio)."""
    errors = [0] * len(engines)
    for sentence in sentences:
        audio = speak(sentence, voice)
        for i, engine in enumerate(engines):
            errors[i] += word_errors(sentence, engine.transcribe(audio).text)
    words = sum(len(sentence.split()) for sentence in sentences)
    return [e / words for e in errors]


@pytest.fixture(scope="module")
def shop_engine(shop: ShopModel) -> PocketsphinxTranscriber:
    return PocketsphinxTranscriber(shop)


@pytest.fixture(scope="module")
def general_engine() -> PocketsphinxTranscriber:
    return PocketsphinxTranscriber(None)


def test_milk_is_heard_with_the_shop_lm(shop_engine: PocketsphinxTranscriber, speak: Speak) -> None:
    transcript = shop_engine.transcribe(speak("add two litres of milk to my basket", "slt"))
    assert "milk" in transcript.text.split()
    assert "basket" in transcript.text.split()
    assert transcript.engine == "pocketsphinx"
    assert transcript.decode_ms > 0


def test_catalog_words_missing_from_cmudict_are_recognised(
    shop_engine: PocketsphinxTranscriber, speak: Speak
) -> None:
    transcript = shop_engine.transcribe(speak("do you have basmati rice", "kal"))
    assert "basmati" in transcript.text.split()


def test_shop_lm_beats_the_general_model(
    shop_engine: PocketsphinxTranscriber, general_engine: PocketsphinxTranscriber, speak: Speak
) -> None:
    sentences = [
        "do you have basmati rice",
        "book a pickup at the riverside store tomorrow at five",
        "remove the chickpeas from my basket",
    ]
    shop_wer, general_wer = error_rates([shop_engine, general_engine], sentences, "slt", speak)
    assert shop_wer <= 0.15
    assert shop_wer < general_wer


def test_streaming_gives_partials_before_the_end(
    shop_engine: PocketsphinxTranscriber, speak: Speak
) -> None:
    audio = speak("where is my order", "kal")
    recognition = shop_engine.start()
    partials = [p for p in (recognition.accept(b) for b in split(audio, 100)) if p]
    final = recognition.finish()
    assert partials, "no partial transcript while the audio arrived"
    assert final.text == "where is my order"
    assert final.decode_ms > 0


def test_silence_gives_an_empty_transcript(shop_engine: PocketsphinxTranscriber) -> None:
    from audio.formats import silence

    assert shop_engine.transcribe(silence(500)).text == ""


def test_robotic_voice_with_digital_silence(
    shop_engine: PocketsphinxTranscriber, speak: Speak
) -> None:
    # espeak-ng pads with exact zeros; without dither pocketsphinx heard "i am" here
    sentence = "can you say that again"
    transcript = shop_engine.transcribe(speak(sentence, "espeak-us"))
    assert word_errors(sentence, transcript.text) <= 1, transcript.text


def test_a_noise_floor_rescues_a_too_clean_robotic_voice(shop: ShopModel, speak: Speak) -> None:
    """espeak-ng's voice has digital silence and empty bands; with no floor under it the
    features go wild (audio/noise_floor.py)."""
    sentences = [
        "add a dozen eggs to my basket",
        "what is in my basket",
        "book a pickup for tomorrow morning",
        "put two loaves of sourdough bread in my basket",
        "order my usual shopping",
        "cancel my pickup please",
    ]
    with_floor = PocketsphinxTranscriber(shop, noise_floor_rms=20)
    without = PocketsphinxTranscriber(shop, noise_floor_rms=0)
    floor_wer, bare_wer = error_rates([with_floor, without], sentences, "espeak-us", speak)
    print(f"espeak-ng WER: {bare_wer:.2f} bare, {floor_wer:.2f} with floor")
    assert floor_wer < bare_wer
    assert floor_wer <= 0.2


def stream_with(
    engine: PocketsphinxTranscriber, audio: AudioChunk, speaker: SpeakerState | None
) -> str:
    recognition = engine.start(speaker)
    for chunk in split(audio, 50):
        recognition.accept(chunk)
    return recognition.finish().text


def cmn(speaker: SpeakerState) -> list[float]:
    return [float(v) for v in speaker.values["pocketsphinx-cmn"].split(",")]


def test_a_conversation_starts_from_its_own_voice_not_the_last_one_the_decoder_heard(
    shop: ShopModel, speak: Speak
) -> None:
    """One decoder serves two conversations in turn; what conversation B's noisy room taught
    it does not reach conversation A's next utterance."""
    engine = PocketsphinxTranscriber(shop, pool_size=1)  # every utterance gets the same decoder
    a = SpeakerState()
    stream_with(engine, speak("hello there", "kal"), a)
    learned = dict(a.values)
    assert cmn(a)[0] != 0.0

    first = SpeakerState(dict(learned))
    text = stream_with(engine, speak("what is in my basket", "kal"), first)
    stream_with(engine, mix_noise(speak("where is my order", "slt"), 5.0), SpeakerState())
    again = SpeakerState(dict(learned))
    assert stream_with(engine, speak("what is in my basket", "kal"), again) == text
    assert cmn(again) == pytest.approx(cmn(first), abs=0.05)
    assert text == "what is in my basket"
