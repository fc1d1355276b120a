"""A bare spoken "stop" heard on the device while it plays a reply.

A home device that plays its replies itself cannot send everything it hears to the gateway
(nothing leaves it without the wake word), so it listens for these few words itself with
pocketsphinx's keyword spotting: no language model, only the phrases below matched against
the acoustic model as audio arrives (about 0.1 CPU seconds per second of audio, and only while
a reply plays).

spotter = StopWordSpotter()
spotter.start()                       # a reply starts playing
if spotter.process(chunk):            # 16 kHz mono 16-bit, any size
    ...                               # "stop" / "cancel" / "be quiet", said on its own
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from audio.base import RATE, WIDTH, AudioChunk
from audio.errors import SpeechToTextError
from audio.formats import require_engine_format

# Each phrase with its keyword-spotting threshold (pocketsphinx's scores fall with length).
PHRASES = {"stop": 1e-20, "cancel": 1e-20, "be quiet": 1e-25}
# A phrase counts only when said on its own: the audio just before and just after it is
# quiet (its loudest 20 ms below QUIET_RATIO of the phrase's own level). Keyword spotting
# alone also fires on the words inside sentences ("please stop by the store", "I can cancel
# your pickup"); spoken alone, all three were heard with the same 0.0-0.15 ratios here.
AROUND_S = (0.05, 0.4)  # the quiet checked from 50 ms to 400 ms before and after the phrase
QUIET_RATIO = 0.3
KEPT_S = 3.0
FRAME = RATE // 50  # 20 ms
STEP = RATE // 100  # pocketsphinx's frames: 10 ms


class StopWordSpotter:
    """Keyword spotting for the stop words said alone, on a stream (restarted per reply);
    a phrase is reported 0.4 s after it ends (once the quiet after it was heard)."""

    def __init__(self, phrases: dict[str, float] | None = None) -> None:
        try:
            import pocketsphinx
        except ImportError as err:
            raise SpeechToTextError(
                "stt-model-missing",
                "a spoken stop on the device needs pocketsphinx (scripts/setup.sh installs it)",
            ) from err
        lines = "".join(f"{p} /{t:g}/\n" for p, t in (phrases or PHRASES).items())
        with tempfile.TemporaryDirectory() as tmp:
            keywords = Path(tmp) / "stop.kws"
            keywords.write_text(lines)
            config = pocketsphinx.Config(lm=None, kws=str(keywords), loglevel="FATAL")
            self._decoder: Any = pocketsphinx.Decoder(config)
        self._started = False
        self._audio = np.zeros(0, dtype=np.int16)  # the last KEPT_S, ending at ``_fed``
        self._fed = 0  # samples fed since ``start``
        self._utterance_at = 0  # where the decoder's utterance began (its frames count from)
        self._pending: tuple[str, int, int] | None = None  # phrase, start, end (samples)

    def start(self) -> None:
        """Listen from now on (a reply started playing); forgets what was heard before."""
        self.stop()
        self._decoder.start_utt()
        self._started = True
        self._audio = np.zeros(0, dtype=np.int16)
        self._fed = self._utterance_at = 0
        self._pending = None

    def process(self, chunk: AudioChunk) -> str | None:
        """Feed audio; a stop phrase said on its own, once it is sure."""
        if not self._started:
            self.start()
        data = require_engine_format(chunk).data
        samples = np.frombuffer(data[: len(data) - len(data) % WIDTH], dtype="<i2")
        self._audio = np.concatenate([self._audio, samples])[-int(KEPT_S * RATE) :]
        self._fed += samples.size
        self._decoder.process_raw(samples.tobytes(), False, False)
        hyp = self._decoder.hyp()
        if hyp is not None and hyp.hypstr.strip():
            segments = list(self._decoder.seg())
            start = self._utterance_at + segments[0].start_frame * STEP
            end = self._utterance_at + (segments[-1].end_frame + 1) * STEP
            self._pending = (str(hyp.hypstr.strip()), start, end)
            self._decoder.end_utt()  # one phrase at a time
            self._decoder.start_utt()
            self._utterance_at = self._fed
        if self._pending is None or self._fed < self._pending[2] + AROUND_S[1] * RATE:
            return None
        phrase, start, end = self._pending
        self._pending = None
        return phrase if self._alone(start, end) else None

    def _alone(self, start: int, end: int) -> bool:
        """Whether the audio around [start, end) (samples since ``start()``) is quiet."""
        first = self._fed - self._audio.size  # the sample ``_audio`` begins with
        near, far = (int(s * RATE) for s in AROUND_S)

        def loudest(a: int, b: int) -> float:
            x = self._audio[max(0, a - first) : max(0, b - first)].astype(np.float64)
            frames = [x[i : i + FRAME] for i in range(0, x.size - FRAME + 1, FRAME // 2)]
            return max((float(np.sqrt((f**2).mean())) for f in frames), default=0.0)

        phrase = self._audio[max(0, start - first) : max(0, end - first)].astype(np.float64)
        level = float(np.sqrt((phrase**2).mean())) if phrase.size else 0.0
        quiet = QUIET_RATIO * level
        return (
            level > 0
            and loudest(start - far, start - near) < quiet
            and loudest(end + near, end + far) < quiet
        )

    def stop(self) -> None:
        """The reply ended: stop listening."""
        if self._started:
            self._decoder.end_utt()
            self._started = False
