"""pocketsphinx 5: the embedded default recogniser. Its wheel ships an English acoustic model,
a general language model and the CMU dictionary, so it works on a fresh machine.

With the shop model (``audio.shop_lm``) it decodes against the shop's trigram LM and a
dictionary that covers every word of it; without, against the bundled general LM.

Decoders are not thread-safe and take a moment to load, so the transcriber keeps a small pool:
each utterance (``start()`` or ``transcribe()``) borrows one and gives it back when done.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from audio.base import AudioChunk, Expect, SpeakerState, Transcript
from audio.errors import SpeechToTextError
from audio.formats import require_engine_format
from audio.noise_floor import NoiseFloor
from audio.shop_lm import ShopModel

log = logging.getLogger(__name__)
# pocketsphinx keeps process-wide state (logging, config) while a decoder initialises.
_INIT_LOCK = threading.Lock()


def model_path() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us" / "en-us"


class PocketsphinxRecognition:
    """One utterance decoded as its audio arrives; partials come from the running hypothesis.

    From a conversation's second utterance on (``speaker`` holds its state), the decoder's
    front end starts afresh and its live cepstral mean from where the conversation's last
    utterance left it, so what a pooled decoder learned from another conversation's voice or
    room does not carry over. A conversation's first utterance starts from the decoder's
    running estimate, which serves a new voice better than the model's default. Measured on
    half the speech benchmark's sentences streamed per voice, against carrying whatever the
    decoder heard last: WER clean 7.3 % -> 6.9 %, pink noise at 10 dB 35.8 % -> 30.8 %.
    """

    def __init__(
        self, owner: PocketsphinxTranscriber, decoder: Any, speaker: SpeakerState | None = None
    ) -> None:
        self._owner = owner
        self._decoder: Any | None = decoder
        self._speaker = speaker
        self._partial = ""
        self._heard = 0  # bytes fed
        self._decode_s = 0.0
        self._floor = NoiseFloor(owner.noise_floor_rms)
        if speaker is not None and owner.state_key in speaker.values:
            decoder.reinit_feat()  # drops what the front end kept of the last stream
            decoder.set_cmn(speaker.values[owner.state_key])
        decoder.start_utt()

    def accept(self, chunk: AudioChunk) -> str | None:
        require_engine_format(chunk)
        decoder = self._active()
        started = time.perf_counter()
        try:
            decoder.process_raw(self._floor(chunk.data), False, False)
            hyp = decoder.hyp()
        except RuntimeError as err:
            self._release()
            raise SpeechToTextError("stt-failed", f"pocketsphinx: {err}") from err
        self._decode_s += time.perf_counter() - started
        self._heard += len(chunk.data)
        text = hyp.hypstr if hyp is not None else ""
        if text and text != self._partial:
            self._partial = text
            return text
        return None

    def settled(self) -> tuple[str, int] | None:
        """The partial: pocketsphinx decodes as it is fed, so it covers all the audio."""
        return (self._partial, self._heard) if self._partial else None

    def finish(self) -> Transcript:
        decoder = self._active()
        started = time.perf_counter()
        try:
            decoder.end_utt()
            transcript = self._owner._transcript(decoder)
            if self._speaker is not None:
                self._speaker.values[self._owner.state_key] = decoder.get_cmn()
        except RuntimeError as err:
            raise SpeechToTextError("stt-failed", f"pocketsphinx: {err}") from err
        finally:
            self._release()
        decode_ms = (self._decode_s + time.perf_counter() - started) * 1000
        return Transcript(transcript.text, transcript.engine, transcript.confidence, decode_ms)

    def _active(self) -> Any:
        if self._decoder is None:
            raise SpeechToTextError("stt-failed", "this utterance is already finished")
        return self._decoder

    def _release(self) -> None:
        if self._decoder is not None:
            self._owner._give_back(self._decoder)
            self._decoder = None


class PocketsphinxTranscriber:
    """Whole-utterance and streaming recognition with pocketsphinx.

    Args:
        shop: the shop LM and dictionary; None decodes with the bundled general model.
        language_weight: pocketsphinx's ``lw`` with the shop LM (the general LM keeps its own).
        noise_floor_rms: audio quieter than this (16-bit RMS) between words gets noise up to it
            (``audio.noise_floor``); 0 = off.
        pool_size: decoders kept for concurrent utterances (one transcriber may serve many
            sessions: the gateway shares one, so a new session costs no model loading).
        preload: decoders loaded now rather than on the first utterances.
        state_key: where a conversation's ``SpeakerState`` keeps this engine's cepstral mean
            (the noise-suppressed twin of an engine keeps its own).
    """

    def __init__(
        self,
        shop: ShopModel | None = None,
        language_weight: float = 8.0,
        pool_size: int = 2,
        preload: int = 1,
        noise_floor_rms: float = 20.0,
        state_key: str = "pocketsphinx-cmn",
    ) -> None:
        self.noise_floor_rms = noise_floor_rms
        self.state_key = state_key
        self.name = "pocketsphinx" if shop is not None else "pocketsphinx-general"
        self._config: dict[str, Any] = {
            "hmm": str(model_path()),
            "samprate": 16000,
            "loglevel": "FATAL",
            # synthetic and gated audio has runs of exact digital zeros, which wreck the
            # log-energy features; half-bit dither halved espeak-ng WER in our benchmark
            "dither": True,
        }
        if shop is not None:
            self._config.update(lm=str(shop.arpa), dict=str(shop.dictionary), lw=language_weight)
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._created = 0
        self._pool_size = pool_size
        self._lock = threading.Lock()
        for _ in range(max(1, preload)):  # load now: fail early, not on the first word
            self._give_back(self._new_decoder())

    def _new_decoder(self) -> Any:
        from pocketsphinx import Decoder

        try:
            with _INIT_LOCK:  # two decoders initialising at once can fail in the C library
                decoder = Decoder(**self._config)
        except (RuntimeError, ValueError) as err:
            raise SpeechToTextError(
                "stt-model-missing",
                f"pocketsphinx could not load its model ({err}); reinstall with scripts/setup.sh",
            ) from err
        with self._lock:
            self._created += 1
        return decoder

    def _borrow(self) -> Any:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            return self._new_decoder()

    def _give_back(self, decoder: Any) -> None:
        if self._pool.qsize() < self._pool_size:
            self._pool.put(decoder)

    def _transcript(self, decoder: Any) -> Transcript:
        hyp = decoder.hyp()
        if hyp is None:
            return Transcript("", self.name, None)
        # ``prob`` is the posterior of the best path in the lattice, in [0, 1].
        confidence = min(1.0, max(0.0, float(hyp.prob)))
        return Transcript(" ".join(hyp.hypstr.split()), self.name, confidence)

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> PocketsphinxRecognition:
        """``expect`` is accepted for the interface: the shop LM is not restricted to digits
        (a PIN is read from its words)."""
        return PocketsphinxRecognition(self, self._borrow(), speaker)

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        require_engine_format(audio)
        decoder = self._borrow()
        started = time.perf_counter()
        try:
            decoder.start_utt()
            decoder.process_raw(NoiseFloor(self.noise_floor_rms)(audio.data), False, True)
            decoder.end_utt()
            transcript = self._transcript(decoder)
        except RuntimeError as err:
            raise SpeechToTextError("stt-failed", f"pocketsphinx: {err}") from err
        finally:
            self._give_back(decoder)
        decode_ms = (time.perf_counter() - started) * 1000
        return Transcript(transcript.text, self.name, transcript.confidence, decode_ms)
