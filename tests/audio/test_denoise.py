"""Noise suppression in front of the recogniser: the SNR estimate, the suppressor and the
spectral gate, the choice between the transcripts (with a fake engine), and the real
pocketsphinx on noisy speech."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from audio import formats
from audio.base import AudioChunk, Expect, SpeakerState, Transcript
from audio.denoise import DenoisingTranscriber, NoiseSuppressor, snr_db, spectral_gate
from audio.shop_lm import ShopModel
from audio.stt_pocketsphinx import PocketsphinxTranscriber
from audio.synthetic import mix_noise, pink_noise

Speak = Callable[[str, str], AudioChunk]
SENTENCE = "add a dozen eggs to my basket"


def padded(audio: AudioChunk) -> AudioChunk:
    """Speech as the endpointer hands it over: a little pre-roll and tail around it."""
    return formats.join([formats.silence(300), audio, formats.silence(300)])


def rms(data: bytes) -> float:
    return float(np.sqrt(np.mean(np.frombuffer(data, dtype="<i2").astype(np.float64) ** 2)))


def test_the_snr_estimate_tells_clean_from_noisy_speech(speak: Speak) -> None:
    clean = padded(speak(SENTENCE, "kal"))
    assert snr_db(clean.data) > 40
    assert 18 < snr_db(mix_noise(clean, 20.0).data) < 30
    assert snr_db(mix_noise(clean, 10.0).data) < 18
    assert snr_db(b"\x01\x00" * 100) == float("inf"), "too short to tell counts as clean"


def test_the_suppressor_takes_any_chunk_sizes_and_removes_steady_noise() -> None:
    noise = pink_noise(2.0, seed=1).data
    suppressor = NoiseSuppressor()
    out = b"".join(suppressor.process(noise[i : i + 1234]) for i in range(0, len(noise), 1234))
    assert len(noise) - len(out) < 320, "everything but the last partial 10 ms frame comes out"
    assert rms(out[16000:]) < 0.5 * rms(noise[16000:]), "steady noise is taken down"


def test_the_spectral_gate_removes_steady_noise_and_keeps_the_length(speak: Speak) -> None:
    noise = pink_noise(2.0, seed=2).data
    noisy = mix_noise(padded(speak(SENTENCE, "kal")), 10.0, seed=4)
    for stationary in (True, False):
        gated = spectral_gate(noise, stationary)
        assert len(gated) == len(noise)
        assert rms(gated) < 0.5 * rms(noise)
        speech = spectral_gate(noisy.data, stationary)
        assert snr_db(speech) > snr_db(noisy.data) + 10, "speech stands out"
    assert spectral_gate(b"\x01\x00" * 100) == b"\x01\x00" * 100, "too short to gate"


class _Engine:
    """A fake engine: every recognition reports how loud the audio it was given was."""

    name = "fake"

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> _Recognition:
        return _Recognition()

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        return Transcript(f"rms {rms(audio.data):.0f}", self.name)


class _Recognition:
    def __init__(self) -> None:
        self.audio = b""

    def accept(self, chunk: AudioChunk) -> str | None:
        self.audio += chunk.data
        return f"partial rms {rms(self.audio):.0f}"

    def finish(self) -> Transcript:
        return Transcript(f"rms {rms(self.audio):.0f}", "fake", decode_ms=1.0)


@pytest.mark.parametrize(("snr", "suppressed"), [(None, False), (20.0, True), (10.0, True)])
def test_the_transcript_of_suppressed_audio_counts_only_when_the_utterance_is_noisy(
    speak: Speak, snr: float | None, suppressed: bool
) -> None:
    audio = padded(speak(SENTENCE, "kal"))
    if snr is not None:
        audio = mix_noise(audio, snr)
    engine = DenoisingTranscriber(_Engine(), _Engine(), [_Engine(), _Engine()], snr_threshold_db=30)
    as_heard = f"rms {rms(audio.data):.0f}"
    gated = (
        (
            f"rms {rms(spectral_gate(audio.data)):.0f}",
            f"rms {rms(spectral_gate(audio.data, False)):.0f}",
        )
        if suppressed
        else ()
    )
    whole = engine.transcribe(audio)
    assert (whole.text != as_heard) is suppressed
    assert whole.alternatives == gated, "noisy audio also has the gated audio's reading"
    recognition = engine.start()
    partials = [recognition.accept(chunk) for chunk in formats.split(audio, 100)]
    assert partials[-1] == f"partial {as_heard}", "partials are of the audio as heard"
    final = recognition.finish()
    assert (final.text != as_heard) is suppressed
    assert final.alternatives == gated
    assert final.decode_ms == (4.0 if suppressed else 2.0), "every recognition's time counts"


def test_pocketsphinx_hears_a_noisy_kitchen_with_suppression(shop: ShopModel, speak: Speak) -> None:
    # Twelve noises at 10 dB, each heard by fresh recognisers (pocketsphinx adapts to what it
    # has heard, so one case alone depends on the shop LM of the day): plain pocketsphinx gets
    # the sentence almost never, with suppression almost always, streamed or whole.
    audio = padded(speak(SENTENCE, "kal"))
    plain, whole, streamed = 0, 0, 0
    for seed in range(12):
        noisy = mix_noise(audio, 10.0, seed=seed)
        plain += PocketsphinxTranscriber(shop).transcribe(noisy).text == SENTENCE
        denoising = DenoisingTranscriber(
            PocketsphinxTranscriber(shop),
            PocketsphinxTranscriber(shop),
            [PocketsphinxTranscriber(shop)],
        )
        whole += denoising.transcribe(noisy).text == SENTENCE
        recognition = denoising.start()
        for chunk in formats.split(noisy, 100):
            recognition.accept(chunk)
        streamed += recognition.finish().text == SENTENCE
    assert plain <= 2, "the test needs hard cases"
    assert whole >= 9
    assert streamed >= 9


def test_the_gated_audio_can_hear_what_the_suppressor_missed(shop: ShopModel, speak: Speak) -> None:
    # at 10 dB WebRTC's suppressor leaves some words wrong that the spectral gate gets right
    # (and the other way round): noisy speech carries both readings
    denoising = DenoisingTranscriber(
        PocketsphinxTranscriber(shop),
        PocketsphinxTranscriber(shop),
        [PocketsphinxTranscriber(shop), PocketsphinxTranscriber(shop)],
    )
    rescued = []
    for said, voice in [("repeat my last order", "slt"), ("what can i make for dinner", "kal"),
                        ("reserve a pickup slot for this evening", "kal")]:  # fmt: skip
        for seed in range(4):
            heard = denoising.transcribe(mix_noise(padded(speak(said, voice)), 10.0, seed=seed))
            if heard.text != said and said in heard.alternatives:
                rescued.append((said, voice, seed))
    assert rescued, "no noisy utterance the suppressor got wrong was heard right by the gate"
    said, voice, seed = rescued[0]
    recognition = denoising.start(SpeakerState())
    for chunk in formats.split(mix_noise(padded(speak(said, voice)), 10.0, seed=seed), 100):
        recognition.accept(chunk)
    streamed = recognition.finish()
    assert said in (streamed.text, *streamed.alternatives), "streamed speech has both readings"
