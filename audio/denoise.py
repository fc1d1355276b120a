"""Noise suppression in front of the recogniser, used only where the audio is noisy.

WebRTC's noise suppressor (``webrtc-noise-gain``, the one Home Assistant's voice pipeline
uses) lifts recognition in a noisy kitchen or shop a lot, and costs a little on clean audio.
So each utterance is recognised twice at once — as heard, and suppressed — and the
utterance's own signal-to-noise estimate picks which transcript counts. Measured with
``bench/bench_speech.py`` (pocketsphinx + shop LM, WER on 44 sentences x 3 voices):
clean 12.3 % as heard vs 21.2 % suppressed; pink noise at 20 dB 8.7 % vs 7.2 %; at 10 dB
44.9 % vs 25.7 %.

Filters hear noisy speech differently: WebRTC's suppressor and two spectral gates
(``noisereduce``: a per-frequency noise threshold from the utterance itself, stationary and
non-stationary) each get words right the others miss. Noisy utterances are therefore also
recognised through both gates, and those readings go with the transcript as alternatives for
the dialogue to choose from (``assistant/readings.py``). ``bench/bench_speech.py`` at 10 dB:
WER 32.2 % → 23.5 %, intent accuracy 71.1 % answering the suppressed reading alone → 82.9 %
answering the reading Rasa is surest of.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audio.base import (
    CHANNELS,
    RATE,
    WIDTH,
    AudioChunk,
    Expect,
    Recognition,
    SpeakerState,
    Transcriber,
    Transcript,
    settled_words,
)
from audio.formats import require_engine_format

FRAME_BYTES = RATE // 100 * WIDTH  # WebRTC's audio processing works on 10 ms frames
SNR_FRAME = RATE // 50  # 20 ms frames for the SNR estimate
EARLY_BYTES = RATE * WIDTH * 8 // 10  # after 0.8 s (pre-roll and speech) clean audio is plain
LEVEL = 3  # WebRTC noise suppression: 0 (off) .. 4 (strongest); 3 did best below 20 dB
GATE_MIN_SAMPLES = RATE // 4  # the spectral gate's windows need a quarter second at least


def snr_db(audio: bytes) -> float:
    """A rough signal-to-noise ratio of one utterance (pre-roll and tail included): the loud
    frames' level over the quiet frames' level. Clean speech measures 45 dB and more; speech
    with pink noise mixed in at 20 dB about 22-25 dB, at 10 dB about 12-16 dB."""
    samples = np.frombuffer(audio[: len(audio) - len(audio) % WIDTH], dtype="<i2")
    frames = samples.size // SNR_FRAME
    if frames < 5:
        return float("inf")  # too short to tell: treat as clean
    x = samples[: frames * SNR_FRAME].astype(np.float64).reshape(frames, SNR_FRAME)
    rms = np.sqrt((x**2).mean(axis=1)) + 1.0
    return float(20 * np.log10(np.percentile(rms, 95) / np.percentile(rms, 10)))


class NoiseSuppressor:
    """WebRTC noise suppression over a stream (any chunk sizes; 10 ms frames inside)."""

    def __init__(self, level: int = LEVEL, gain_dbfs: int = 0) -> None:
        """``gain_dbfs``: WebRTC's automatic gain as well (0: off, suppression only)."""
        from webrtc_noise_gain import AudioProcessor

        self._processor = AudioProcessor(gain_dbfs, level)
        self._carry = b""

    def process(self, data: bytes) -> bytes:
        data = self._carry + data
        whole = len(data) - len(data) % FRAME_BYTES
        self._carry = data[whole:]
        return b"".join(
            self._processor.Process10ms(data[i : i + FRAME_BYTES]).audio
            for i in range(0, whole, FRAME_BYTES)
        )


def spectral_gate(audio: bytes, stationary: bool = True) -> bytes:
    """``audio`` (16 kHz mono 16-bit) through a spectral gate: each frequency's noise level is
    estimated from the utterance itself — over all of it (``stationary``), or as it moves
    (a smoothed running level) — and what stays below it is removed."""
    import noisereduce

    samples = np.frombuffer(audio[: len(audio) - len(audio) % WIDTH], dtype="<i2")
    if samples.size < GATE_MIN_SAMPLES:
        return audio
    gated = noisereduce.reduce_noise(
        y=samples.astype(np.float32), sr=RATE, stationary=stationary, n_jobs=1
    )
    return np.clip(np.round(gated), -32768, 32767).astype("<i2").tobytes()


# the gates whose readings go with a noisy utterance's transcript, in this order
GATES: tuple[bool, ...] = (True, False)  # stationary, then non-stationary


class DenoisingRecognition:
    def __init__(
        self, owner: DenoisingTranscriber, speaker: SpeakerState | None, expect: Expect
    ) -> None:
        self._owner = owner
        self._expect = expect
        self._heard = owner.inner.start(speaker, expect)
        self._suppressed = owner.suppressed_engine.start(speaker, expect)
        self._suppressor = NoiseSuppressor(owner.level)
        self._speaker = speaker
        self._audio = bytearray()
        self._clean = False  # decided early: the suppressed stream is not needed
        self._looked = False

    def accept(self, chunk: AudioChunk) -> str | None:
        self._audio += chunk.data
        partial = self._heard.accept(chunk)
        if not self._clean:
            cleaned = self._suppressor.process(chunk.data)
            if cleaned:
                self._suppressed.accept(AudioChunk(RATE, WIDTH, CHANNELS, cleaned))
            if not self._looked and len(self._audio) >= EARLY_BYTES:
                self._looked = True  # clearly clean: spare the second decoder the rest
                self._clean = snr_db(bytes(self._audio)) >= self._owner.snr_threshold_db + 10
        return partial  # partials come from the audio as heard (the choice is made at the end)

    def settled(self) -> tuple[str | None, int] | None:
        return settled_words(self._heard)

    def finish(self) -> Transcript:
        heard = self._heard.finish()
        suppressed = self._suppressed.finish()
        audio = bytes(self._audio)
        noisy = not self._clean and snr_db(audio) < self._owner.snr_threshold_db
        decode_ms = heard.decode_ms + suppressed.decode_ms
        if not noisy:
            return Transcript(heard.text, heard.engine, heard.confidence, decode_ms)
        gated = self._owner.gated(audio, self._speaker, self._expect)
        return _with_alternatives(suppressed, gated, decode_ms)


def _with_alternatives(
    suppressed: Transcript, gated: list[Transcript], decode_ms: float
) -> Transcript:
    alternatives: list[str] = []
    for reading in gated:
        if reading.text and reading.text != suppressed.text and reading.text not in alternatives:
            alternatives.append(reading.text)
    return Transcript(
        suppressed.text, suppressed.engine, suppressed.confidence,
        decode_ms + sum(r.decode_ms for r in gated), alternatives=tuple(alternatives),
    )  # fmt: skip


class DenoisingTranscriber:
    """Wraps an engine: utterances quieter than ``snr_threshold_db`` over their own noise are
    recognised from noise-suppressed audio, with the spectrally gated audio's readings as
    alternatives.

    ``suppressed_engine`` is a second instance of the same engine for the suppressed audio:
    decoders adapt to the audio they hear (pocketsphinx's live cepstral mean), so one that
    just heard noise must not be lent to the suppressed stream, nor the other way round;
    ``gated_engines`` likewise, one for each of the first ``len(gated_engines)`` ``GATES``.
    """

    def __init__(
        self,
        inner: Transcriber,
        suppressed_engine: Transcriber,
        gated_engines: Sequence[Transcriber],
        snr_threshold_db: float = 30.0,
        level: int = LEVEL,
    ) -> None:
        self.inner = inner
        self.suppressed_engine = suppressed_engine
        self.gated_engines = list(zip(GATES, gated_engines, strict=False))
        self.name = inner.name
        self.snr_threshold_db = snr_threshold_db
        self.level = level

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> Recognition:
        return DenoisingRecognition(self, speaker, expect)

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        require_engine_format(audio)
        if snr_db(audio.data) >= self.snr_threshold_db:
            return self.inner.transcribe(audio, expect)
        cleaned = NoiseSuppressor(self.level).process(audio.data)
        suppressed = self.suppressed_engine.transcribe(
            AudioChunk(RATE, WIDTH, CHANNELS, cleaned), expect
        )
        gated = self.gated(audio.data, None, expect)
        return _with_alternatives(suppressed, gated, suppressed.decode_ms)

    def gated(
        self, audio: bytes, speaker: SpeakerState | None, expect: Expect = Expect.SPEECH
    ) -> list[Transcript]:
        """What each gate's decoder hears in the ``audio`` through its gate."""
        out = []
        for stationary, engine in self.gated_engines:
            recognition = engine.start(speaker, expect)
            gated = spectral_gate(audio, stationary)
            recognition.accept(AudioChunk(RATE, WIDTH, CHANNELS, gated))
            out.append(recognition.finish())
        return out
