"""Whisper (faster-whisper's CTranslate2 runtime): the embedded default recogniser.

The models come from pinned packages (``audio.whisper_models``: the packaged tiny.en and base,
checked at load); ``speech.whisper_model_path`` overrides the package.

What this module does beyond calling the model:

* **A short window.** Whisper's encoder was trained on 30 s windows and faster-whisper always
  pads to 30 s; CTranslate2 accepts fewer frames, and the encoder's cost falls with them. An
  utterance is padded to ``window_s`` (15 s by default, longer utterances to their length):
  about a third of the 30 s cost, with the accuracy the benchmark shows
  (``bench/bench_speech.py --whisper-windows``).
* **Decoding while the customer is still talking.** A recognition watches its own audio with
  WebRTC's VAD; when ``early_decode_ms`` of silence follow speech, it decodes what it has on a
  worker thread. If the endpointer then ends the utterance with no speech since, that result is
  the transcript, so at the end of speech only the rest of that decode is left. If the customer
  goes on, the result is a partial transcript and the next pause starts another. While the
  customer speaks, the utterance so far is also decoded every ``partial_interval_ms`` for the
  live transcript a kiosk shows, but only while the engine has no other decode in progress:
  under load (a gateway's busy worker) partials give way to the decodes that end turns.
* **The shop's words.** A prompt built from the catalog's store names and the products the NLU
  sentences name most (``audio.shop_lm.whisper_prompt``) primes the decoder's vocabulary.
* **PIN mode.** With ``Expect.PIN`` every token but the twenty single digits (" 4", "4") is
  suppressed, so the model can only write digits one at a time, primed by a PIN said the way
  customers say one; the transcript's text is exactly the digits heard. A PIN said in noise (the
  utterance's own SNR estimate below 30 dB) is read three times in one batch — as heard,
  through WebRTC's suppressor at its gentlest level, and through a spectral gate — and the
  pauses between its digits tell how many were said (``audio.pin_digits``): the most confident
  reading with that many digits wins, else the most confident of a PIN's length, and if no
  reading is a PIN's length each digit's stretch of audio is read on its own (a clean PIN
  too). On the development take at 10 dB that took exact PINs from 53 to 55 of 60 (what was
  tried and measured is in the README's benchmarks).
* **Noisy speech.** Ordinary speech in noise is read the same three ways; the suppressed and
  gated readings go with the transcript as alternatives, and the dialogue answers the reading
  its NLU is surest of (``assistant/readings.py``), as it does for pocketsphinx.
"""

from __future__ import annotations

import math
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import webrtcvad

from audio.base import RATE, WIDTH, AudioChunk, Expect, SpeakerState, Transcript
from audio.denoise import LEVEL, NoiseSuppressor, snr_db, spectral_gate
from audio.errors import SpeechToTextError
from audio.formats import require_engine_format
from audio.pin_digits import digit_segments, pick_pin
from audio.whisper_models import FIX_COMMAND

FRAME_BYTES = RATE * 30 // 1000 * WIDTH  # the VAD's 30 ms frames
PIN_PROMPT = "My PIN is 4 7 1 9."
NOISY_SNR_DB = 30.0  # below this an utterance is also heard through the noise filters
PIN_SUPPRESSOR_LEVEL = 1  # WebRTC's gentlest: it kept more digits than 3 (49 vs 46 of 60)
DIGIT_WINDOW_S = 5.0  # the window one digit's stretch of audio is read in
DIGIT_PAD = RATE * WIDTH // 10  # 100 ms of audio kept either side of a digit's stretch
MAX_WINDOW_S = 30.0  # Whisper's own window; nothing longer fits its position embeddings
NO_SPEECH_PROB = 0.6  # faster-whisper's defaults for "this was not speech"
NO_SPEECH_LOGPROB = -1.0


@dataclass(frozen=True)
class Decoded:
    text: str
    confidence: float
    decode_s: float
    alternatives: tuple[str, ...] = ()  # other readings of noisy speech


class WhisperTranscriber:
    """Whole-utterance and streaming recognition with a Whisper model on the CPU.

    Args:
        folder: the model folder (``model_dir``).
        name: the model's name, for the transcript's ``engine`` ("whisper-tiny.en").
        prompt: text that primes the decoder with the shop's words ("" for none).
        window_s: the audio window the encoder sees (utterances are padded to it).
        threads: CPU threads per decode.
        beam: beam size (1 = greedy).
        early_decode_ms: silence after speech that starts a decode before the utterance is
            over (0 = decode only when it is over).
        partial_interval_ms: speech between decodes for a partial transcript (0 = none).
        noisy_below_db: speech whose SNR estimate is below this is also read through WebRTC's
            suppressor at ``suppressor_level`` and a spectral gate (0 = never).
        wake_phrase: the home device's wake word ("Okay Nabu"). An utterance that follows it
            (``Expect.AFTER_WAKE``) starts with the phrase's end, kept by the wake gate so that
            a request said in the same breath is heard whole; the decoder is given the phrase as
            the transcript's forced beginning, which it then aligns with that end instead of
            reading it as words ("blue, what's in my basket"), and the phrase is left out.
    """

    def __init__(
        self,
        folder: Path,
        name: str = "tiny.en",
        prompt: str = "",
        window_s: float = 15.0,
        threads: int = 2,
        beam: int = 1,
        early_decode_ms: int = 150,
        partial_interval_ms: int = 1000,
        noisy_below_db: float = NOISY_SNR_DB,
        suppressor_level: int = LEVEL,
        wake_phrase: str = "",
    ) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        try:
            self._model = WhisperModel(
                str(folder), device="cpu", compute_type="int8", cpu_threads=threads
            )
        except (RuntimeError, ValueError, OSError) as err:
            raise SpeechToTextError(
                "stt-model-corrupt", f"Whisper could not load {folder} ({err}); run {FIX_COMMAND}"
            ) from err
        self.name = f"whisper-{name}"
        self.window_s = min(MAX_WINDOW_S, window_s)
        self.beam = beam
        self.noisy_below_db = noisy_below_db
        self.suppressor_level = suppressor_level
        self.early_decode_bytes = RATE * WIDTH * early_decode_ms // 1000
        self.partial_bytes = RATE * WIDTH * partial_interval_ms // 1000
        self._tokenizer = Tokenizer(
            self._model.hf_tokenizer,
            self._model.model.is_multilingual,
            task="transcribe",
            language="en",
        )
        tk = self._tokenizer
        start = [*tk.sot_sequence, tk.no_timestamps]
        self._speech_prompt = (
            [tk.sot_prev, *tk.encode(" " + prompt.strip()), *start] if prompt else start
        )
        self._pin_prompt = [tk.sot_prev, *tk.encode(" " + PIN_PROMPT), *start]
        self._wake_prefix = tk.encode(f" {wake_phrase.strip()},") if wake_phrase.strip() else []
        self._not_digits = _non_digit_tokens(self._model.hf_tokenizer, tk.eot)
        self.decodes = 0  # how many decodes this engine ran (early ones included)
        self._running = 0  # decodes in progress (in this process)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="whisper")
        self._lock = threading.Lock()

    def decode(self, pcm: bytes, expect: Expect = Expect.SPEECH) -> Decoded:
        """Recognise 16 kHz mono 16-bit ``pcm``: the text and the model's confidence in it."""
        pin = expect is Expect.PIN
        started = time.perf_counter()
        if snr_db(pcm) >= (NOISY_SNR_DB if pin else self.noisy_below_db):
            heard = self._decode([pcm], expect)[0]
            if not pin:
                return heard
            text = self._pin_of(pcm, [heard])  # a clean PIN read short: digit by digit
            return Decoded(text, heard.confidence, time.perf_counter() - started)
        level = PIN_SUPPRESSOR_LEVEL if pin else self.suppressor_level
        heard, *others = readings = self._decode(
            [pcm, NoiseSuppressor(level).process(pcm), spectral_gate(pcm)], expect
        )
        if pin:
            text = self._pin_of(pcm, readings)
            confidence = max((r.confidence for r in readings if r.text == text), default=0.0)
            return Decoded(text, confidence, time.perf_counter() - started)
        alternatives = dict.fromkeys(r.text for r in others if r.text and r.text != heard.text)
        return Decoded(
            heard.text, heard.confidence, time.perf_counter() - started, tuple(alternatives)
        )

    def _pin_of(self, pcm: bytes, readings: list[Decoded]) -> str:
        """The PIN's digits: the likeliest reading with as many digits as pauses tell (or of a
        PIN's length), else each digit's stretch of audio read on its own."""
        segments = digit_segments(pcm)
        chosen = pick_pin([(r.text, r.confidence) for r in readings], len(segments))
        if chosen is not None:
            return chosen
        parts = [pcm[max(0, start - DIGIT_PAD) : end + DIGIT_PAD] for start, end in segments]
        digits = self._decode(parts, Expect.PIN, DIGIT_WINDOW_S, one_digit=True)
        return "".join(d.text[:1] for d in digits)

    def _decode(
        self,
        pcms: list[bytes],
        expect: Expect,
        window_s: float | None = None,
        one_digit: bool = False,
    ) -> list[Decoded]:
        """Readings of ``pcms`` (decoded together in one batch)."""
        import ctranslate2

        started = time.perf_counter()
        with self._lock:
            self.decodes += 1
        batch = [np.frombuffer(p, dtype=np.int16).astype(np.float32) / 32768.0 for p in pcms]
        seconds = max(len(samples) for samples in batch) / RATE
        if seconds < 0.1:
            return [Decoded("", 0.0, 0.0) for _ in pcms]
        window = min(MAX_WINDOW_S, max(window_s or self.window_s, math.ceil(seconds + 0.5)))
        features = np.stack([self._features(samples, window) for samples in batch])
        pin = expect is Expect.PIN
        forced = self._wake_prefix if expect is Expect.AFTER_WAKE else []
        prompt = self._pin_prompt if pin else [*self._speech_prompt, *forced]
        # one digit: the end of text is suppressed too, the digit is the first token written
        suppress = [*self._not_digits, self._tokenizer.eot] if one_digit else self._not_digits
        try:
            results = self._model.model.generate(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(features)),
                [prompt] * len(pcms),
                beam_size=self.beam,
                max_length=len(prompt) + (1 if one_digit else 10 if pin else int(16 + 8 * seconds)),
                suppress_tokens=suppress if pin else [-1],
                suppress_blank=True,
                # Short windows make Whisper repeat itself ("place the order. place the
                # order. ..."); digits legitimately repeat, so PINs are left alone.
                repetition_penalty=1.0 if pin else 1.2,
                no_repeat_ngram_size=0 if pin else 5,
                return_scores=True,
                return_no_speech_prob=True,
            )
        except RuntimeError as err:
            raise SpeechToTextError("stt-failed", f"Whisper: {err}") from err
        elapsed = time.perf_counter() - started
        return [self._reading(result, pin, one_digit, elapsed, forced) for result in results]

    def _features(self, samples: np.ndarray, window: float) -> np.ndarray:
        padded = np.zeros(int(window * RATE), dtype=np.float32)
        padded[: min(len(samples), len(padded))] = samples[: len(padded)]
        features: np.ndarray = self._model.feature_extractor(padded, padding=0)
        return features[:, : int(window * 100)]

    def _reading(
        self, result: Any, pin: bool, one_digit: bool, elapsed: float, forced: list[int]
    ) -> Decoded:
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        if forced and tokens[: len(forced)] == forced:
            tokens = tokens[len(forced) :]  # the wake phrase the decoder was given
        text = self._tokenizer.decode(tokens).strip()
        score = float(result.scores[0]) if result.scores else NO_SPEECH_LOGPROB
        speechless = result.no_speech_prob > NO_SPEECH_PROB and score < NO_SPEECH_LOGPROB
        if speechless and not one_digit:  # a digit's stretch was loud: it holds the digit
            text = ""  # a cough, a door, a television: not words
        if pin:
            text = "".join(c for c in text if c.isdigit())
        return Decoded(text, min(1.0, math.exp(score)), elapsed)

    @property
    def idle(self) -> bool:
        """No decode in progress: room for a partial transcript's decode."""
        return self._running == 0

    def submit(self, pcm: bytes, expect: Expect) -> Future[Decoded]:
        return self._pool.submit(self._counted, pcm, expect)

    def _counted(self, pcm: bytes, expect: Expect) -> Decoded:
        with self._lock:
            self._running += 1
        try:
            return self.decode(pcm, expect)
        finally:
            with self._lock:
                self._running -= 1

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> WhisperRecognition:
        """``speaker`` is accepted for the interface: Whisper keeps no state between turns."""
        return WhisperRecognition(self, expect)

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        require_engine_format(audio)
        decoded = self.decode(audio.data, expect)
        return Transcript(
            decoded.text, self.name, decoded.confidence, decoded.decode_s * 1000,
            alternatives=decoded.alternatives,
        )  # fmt: skip


def _non_digit_tokens(hf_tokenizer: Any, eot: int) -> list[int]:
    """Every text token but the single digits, with or without a leading space."""
    return [i for i in range(eot) if re.fullmatch(r" ?\d", hf_tokenizer.decode([i])) is None]


class WhisperRecognition:
    """One utterance: audio collected as it arrives, decoded early at each pause and, for a
    partial transcript on screen, every ``partial_interval`` of speech (one at a time)."""

    def __init__(self, owner: WhisperTranscriber, expect: Expect) -> None:
        self._owner = owner
        self._expect = expect
        self._audio = bytearray()
        self._vad = webrtcvad.Vad(2)
        self._checked = 0  # bytes classified by the VAD so far
        self._voiced_end = 0  # where the last speech frame ends
        self._decodes: list[tuple[int, Future[Decoded]]] = []  # (voiced end covered, decode)
        self._partial_at = 0  # audio bytes when the last partial decode started
        self._shown = ""
        self._finished = False

    def accept(self, chunk: AudioChunk) -> str | None:
        require_engine_format(chunk)
        if self._finished:
            raise SpeechToTextError("stt-failed", "this utterance is already finished")
        self._audio += chunk.data
        while self._checked + FRAME_BYTES <= len(self._audio):
            frame = bytes(self._audio[self._checked : self._checked + FRAME_BYTES])
            self._checked += FRAME_BYTES
            if self._vad.is_speech(frame, RATE):
                self._voiced_end = self._checked
        owner = self._owner
        heard = len(self._audio)
        paused = heard - self._voiced_end >= owner.early_decode_bytes > 0
        speech = self._expect is not Expect.PIN
        if paused and self._voiced_end and self._voiced_end not in (e for e, _ in self._decodes):
            self._submit()  # the customer may be done: have the transcript ready
        elif (
            speech
            and not paused
            and self._voiced_end
            and heard - self._partial_at >= owner.partial_bytes > 0
            and owner.idle  # partials are a nicety: never while another decode is waiting
        ):
            self._partial_at = heard
            self._submit()
        if not speech:
            return None  # a PIN is never shown
        for _, decode in reversed(self._decodes):
            if decode.done():
                try:
                    text = decode.result().text
                except SpeechToTextError:
                    return None  # the final decode will say so
                if text and text != self._shown:
                    self._shown = text
                    return text
                break
        return None

    def settled(self) -> tuple[str | None, int] | None:
        """The words up to the last speech (None while their decode runs; the endpointer's
        cue at a pause), with the audio heard so far (bytes); None without such a decode."""
        ready = [d for end, d in self._decodes if end == self._voiced_end]
        if not ready or (ready[-1].done() and ready[-1].exception() is not None):
            return None
        return (ready[-1].result().text if ready[-1].done() else None), len(self._audio)

    def _submit(self) -> None:
        decode = self._owner.submit(bytes(self._audio), self._expect)
        self._decodes = [*self._decodes[-2:], (self._voiced_end, decode)]

    def finish(self) -> Transcript:
        if self._finished:
            raise SpeechToTextError("stt-failed", "this utterance is already finished")
        self._finished = True
        owner = self._owner
        started = time.perf_counter()
        ready = [d for end, d in self._decodes if end == self._voiced_end]
        # a decode that started after the last word is the transcript; else decode it all now
        decoded = ready[-1].result() if ready else owner._counted(bytes(self._audio), self._expect)
        waited_ms = (time.perf_counter() - started) * 1000
        return Transcript(
            decoded.text, owner.name, decoded.confidence, waited_ms,
            alternatives=decoded.alternatives,
        )  # fmt: skip
