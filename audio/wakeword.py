"""The home device's wake word: a detector that listens to every chunk, and a gate that lets
audio through only once the wake word has been heard.

detector = MicroWakeWordDetector.from_settings(settings.speech)   # okay_nabu unless configured
gate = WakeGate(detector, preroll_s=0.15)
for chunk in microphone:
    for audio in gate.feed(chunk):   # nothing until the wake word; then the pre-roll and after
        ...                          # endpoint, decode, send
gate.close()                         # end of turn: deaf again until the next wake word

The detector is microWakeWord (``pymicro-wakeword``: TFLite models trained on many synthetic
voices, 16 kHz mono 16-bit, one feature vector per 10 ms, one inference per 30 ms). Audio before
the wake word is never passed on: the gate keeps only the last ``preroll_s`` of it, in memory,
so a command said in the same breath ("okay nabu add milk") reaches the recogniser whole. The
pre-roll holds the end of the wake phrase too: the first utterance after a wake is read as
following the phrase (``gate.after_wake``, ``Expect.AFTER_WAKE``), so "nabu" is not taken for
words.

As configured (``from_settings``) the model listens twice to the same stream, and either wakes
it: once after WebRTC's automatic gain (a quiet or far voice is brought up to speech level),
once after WebRTC's noise suppression and gain (speech in a noisy room); each averages its last
three scores (the package's models average five: a short "okay nabu" run on into a command
peaks too briefly for that). ``bench/bench_wakeword.py`` chose the thresholds on half of its
wake utterances (README, "Wake word").
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk
from audio.denoise import NoiseSuppressor
from audio.errors import SpeechToTextError
from audio.formats import require_engine_format

if TYPE_CHECKING:
    from audio.settings import SpeechSettings

BUILTIN_MODELS = ("okay_nabu", "hey_jarvis", "hey_mycroft", "alexa")
STEP_BYTES = RATE * WIDTH // 100  # 10 ms: the feature step of microWakeWord
MODEL_MISSING = "wakeword-model-missing"
REARM_FRACTION = 0.5  # after a wake, the score must fall below this share of the threshold
GAIN_DBFS = 20  # WebRTC's automatic gain in front of the detector (Home Assistant's default)
SUPPRESSION = 3  # WebRTC's noise suppression (0-4) in front of the second listener
MERGE_S = 1.0  # wakes of two listeners this close together are one wake


class WakeWordError(SpeechToTextError):
    """The wake word detector cannot be built (``wakeword-model-missing``)."""


@dataclass(frozen=True)
class WakeDetection:
    """The wake word was heard: ``t_s`` is where it was decided, in seconds of the stream
    the detector was fed (the end of the 10 ms step that crossed the threshold)."""

    t_s: float
    model: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"t_s": round(self.t_s, 3), "model": self.model, "score": round(self.score, 3)}


class WakeWordDetector(Protocol):
    """Listens to a continuous stream of 16 kHz mono 16-bit chunks of any size."""

    model: str

    def process(self, chunk: AudioChunk) -> list[WakeDetection]:
        """Feed audio; the wake words decided in it (usually none, at most one per utterance)."""
        ...

    def reset(self) -> None:
        """Forget what was heard (the stream's clock keeps running)."""
        ...


def wake_phrase(model: str, root: Path | None = None) -> str:
    """The words of ``model``'s wake word ("Okay Nabu"), from its config ("" if it has none)."""
    phrase = json.loads(model_config(model, root).read_text()).get("wake_word", "")
    return phrase.strip() if isinstance(phrase, str) else ""


def _missing(model: str, why: str) -> WakeWordError:
    return WakeWordError(
        MODEL_MISSING,
        f"wake word model {model!r} {why}: set speech.wake_word_model (WAKE_WORD_MODEL) to one "
        f"of {', '.join(BUILTIN_MODELS)} or the path of a microWakeWord model's .json "
        "(its .tflite beside it); the packaged models come with pymicro-wakeword, which "
        "scripts/setup.sh installs from requirements/app.lock",
    )


def model_config(model: str, root: Path | None = None) -> Path:
    """The JSON config of ``model`` (a packaged name or a path); ``wakeword-model-missing``
    if there is none or its .tflite is not beside it."""
    if model in BUILTIN_MODELS:
        try:
            import pymicro_wakeword
        except ImportError as err:
            raise _missing(model, "cannot be loaded (pymicro-wakeword is not installed)") from err
        config = Path(pymicro_wakeword.__file__).parent / "models" / f"{model}.json"
    elif model.endswith(".json"):
        config = Path(model)
        if root is not None and not config.is_absolute():
            config = root / config
    else:
        raise _missing(model, "is not a known model")
    try:
        tflite = config.parent / json.loads(config.read_text())["model"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise _missing(model, f"has no readable config at {config}") from err
    if not tflite.is_file():
        raise _missing(model, f"has no model file at {tflite}")
    return config


class WakeTrigger:
    """Turns a stream of scores into wakes: one when the score rises above the threshold,
    then none until it has fallen below ``REARM_FRACTION`` of it (one wake per utterance)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._armed = True

    def update(self, score: float) -> bool:
        if score < self.threshold * REARM_FRACTION:
            self._armed = True
        elif score > self.threshold and self._armed:
            self._armed = False
            return True
        return False


class MicroWakeWordDetector:
    """microWakeWord on streamed audio; fires once per wake word (it re-arms when the score
    falls back below the threshold).

    Args:
        model: a packaged model name (``okay_nabu`` …) or the path of a model's .json.
        threshold: the averaged score that wakes it (0-1); ``None`` = the model's own cutoff.
        root: where a relative model path is anchored.
    """

    def __init__(
        self,
        model: str = "okay_nabu",
        threshold: float | None = None,
        root: Path | None = None,
        window: int | None = None,
        gain_dbfs: int = 0,
        suppression: int = 0,
    ) -> None:
        """``window``: how many of the network's scores are averaged (``None``: the model's
        own, 5 for okay_nabu); ``gain_dbfs`` / ``suppression``: WebRTC's automatic gain and
        noise suppression on the audio before the detector hears it (0: off)."""
        config = model_config(model, root)
        from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures

        try:
            self._net = MicroWakeWord.from_config(config)
        except (OSError, ValueError) as err:
            raise _missing(model, f"could not be loaded ({err})") from err
        if window is not None:  # the package reads the window size from the model's JSON only
            self._net.sliding_window_size = window
            self._net._probabilities = deque(maxlen=window)
        self._front = NoiseSuppressor(suppression, gain_dbfs) if gain_dbfs or suppression else None
        self._features = MicroWakeWordFeatures()
        self.model = Path(model).stem if model.endswith(".json") else model
        self.threshold = self._net.probability_cutoff if threshold is None else threshold
        self._pending = b""  # less than one 10 ms step, waiting for the rest
        self._samples = 0  # samples fed so far: the stream's clock
        self._steps = 0  # feature vectors since the network's state was cleared
        self._trigger = WakeTrigger(self.threshold)

    @classmethod
    def from_settings(cls, speech: SpeechSettings, root: Path | None = None) -> WakeWordDetector:
        """The configured wake word: the model after automatic gain
        (``wake_word_threshold``), and unless ``wake_word_denoised_threshold`` is 0 the same
        model after noise suppression and gain; either wakes it."""
        window = speech.wake_word_window or None  # 0 = the model's own
        threshold = speech.wake_word_threshold or None  # 0 = the model's own cutoff
        listening = cls(speech.wake_word_model, threshold, root, window, GAIN_DBFS)
        if not speech.wake_word_denoised_threshold:
            return listening
        denoised = cls(
            speech.wake_word_model,
            speech.wake_word_denoised_threshold,
            root,
            window,
            GAIN_DBFS,
            SUPPRESSION,
        )
        return EitherDetector((listening, denoised))

    def process(self, chunk: AudioChunk) -> list[WakeDetection]:
        return [
            WakeDetection(t_s, self.model, score)
            for t_s, score in self.scores(chunk)
            if self._trigger.update(score)
        ]

    def scores(self, chunk: AudioChunk) -> Iterator[tuple[float, float]]:
        """Feed audio; the network's averaged score each time it runs (every 30 ms), with the
        stream time it was decided at (for benchmarks: ``process`` is what listens)."""
        data = require_engine_format(chunk).data
        data = self._pending + (self._front.process(data) if self._front is not None else data)
        whole = len(data) - len(data) % STEP_BYTES
        self._pending = data[whole:]
        for start in range(0, whole, STEP_BYTES):
            self._samples += STEP_BYTES // WIDTH
            for features in self._features.process_streaming(data[start : start + STEP_BYTES]):
                score = self._net.process_streaming_prob(features) or 0.0
                self._steps += 1
                if self._steps % self._net.stride == 0:  # it runs once per ``stride`` steps
                    yield self._samples / RATE, score

    def reset(self) -> None:
        self._net.reset()
        self._features.reset()
        self._pending = b""
        self._steps = 0
        self._trigger = WakeTrigger(self.threshold)


class EitherDetector:
    """Several detectors on the same stream (the same model behind different front ends):
    a wake when any of them wakes, one per ``MERGE_S``."""

    def __init__(self, detectors: tuple[WakeWordDetector, ...]) -> None:
        self.detectors = detectors
        self.model = detectors[0].model
        self._last = -MERGE_S

    def process(self, chunk: AudioChunk) -> list[WakeDetection]:
        found = sorted(
            (d for detector in self.detectors for d in detector.process(chunk)),
            key=lambda d: d.t_s,
        )
        wakes = []
        for wake in found:
            if wake.t_s - self._last >= MERGE_S:
                wakes.append(wake)
                self._last = wake.t_s
        return wakes

    def reset(self) -> None:
        for detector in self.detectors:
            detector.reset()


def detect(detector: WakeWordDetector, audio: AudioChunk) -> list[WakeDetection]:
    """Every wake word in a whole clip, fed in 10 ms steps as a device would."""
    found = detector.process(audio)
    # a second of silence after the clip lets a wake word at its very end be decided
    return found + detector.process(AudioChunk(RATE, WIDTH, CHANNELS, bytes(RATE * WIDTH)))


class ListenReason(StrEnum):
    """Why the gate opened or closed (what a listening indicator shows)."""

    WAKE = "wake"  # the wake word was heard
    FOLLOW_UP = "follow_up"  # a question waits for its answer: no wake word needed
    REPLY = "reply"  # a reply plays: listening for a spoken "stop"
    END_OF_UTTERANCE = "end_of_utterance"  # the customer finished speaking
    WINDOW_CLOSED = "window_closed"  # nobody spoke in time after the wake or the question
    MUTED = "muted"  # the microphone is muted: nothing is heard at all


@dataclass(frozen=True)
class ListenChange:
    """The gate opened (``listening``) or closed; ``window_s``: how long it waits for speech
    to start before it closes again."""

    listening: bool
    reason: ListenReason
    window_s: float | None = None


class WakeGate:
    """Passes no audio until the wake word; then the last ``preroll_s`` before it was decided
    (the end of the wake phrase and whatever of the command was already said) and everything
    after, until ``close()``. Before the wake word only that much audio is kept, in memory.

    Once open, speech must start within ``window_s`` seconds of audio (``speech_started()``)
    or the gate closes again by itself. ``follow_up()`` opens it without the wake word (a
    question was asked); ``mute()`` drops every chunk unheard (not even the detector hears
    it) until ``mute(False)``. ``on_change`` hears every opening and closing.
    """

    def __init__(
        self,
        detector: WakeWordDetector,
        preroll_s: float = 0.15,
        window_s: float = 6.0,
        on_change: Callable[[ListenChange], None] | None = None,
    ) -> None:
        self.detector = detector
        self._preroll = int(preroll_s * RATE) * WIDTH
        self._ring = bytearray()  # the latest audio, ending at ``self._fed``
        self._fed = 0  # bytes fed to the detector
        self.window_s = window_s
        self._window_left: int | None = None  # bytes of audio left for speech to start
        self.on_change = on_change
        self.awake = False
        self.reason: ListenReason | None = None  # why it is open (None while closed)
        self.muted = False
        self.wakes: list[WakeDetection] = []

    def feed(self, chunk: AudioChunk) -> list[AudioChunk]:
        """The audio to pass on for ``chunk``: none while asleep or muted, the pre-roll and
        the rest of the chunk on waking, the chunk itself while awake."""
        if self.muted:
            return []
        found = self.detector.process(chunk)  # runs while awake too: one clock for the stream
        self._fed += len(chunk.data)
        if self.awake:
            if self._window_left is not None:
                self._window_left -= len(chunk.data)
                if self._window_left <= 0:
                    self.close(ListenReason.WINDOW_CLOSED)
                    return []
            return [chunk]
        self._ring += chunk.data
        if not found:
            del self._ring[: max(0, len(self._ring) - self._preroll - STEP_BYTES)]
            return []
        wake = found[0]
        self.wakes.append(wake)
        ring_start = self._fed - len(self._ring)
        start = int(wake.t_s * RATE) * WIDTH - self._preroll - ring_start
        audio = bytes(self._ring[max(0, start) :])
        self._ring.clear()
        self.open(ListenReason.WAKE)
        return [AudioChunk(RATE, WIDTH, CHANNELS, audio)]

    def feed_all(self, chunks: Iterable[AudioChunk]) -> list[AudioChunk]:
        return [out for chunk in chunks for out in self.feed(chunk)]

    def speech_started(self) -> None:
        """The customer is speaking: the gate stays open until ``close()``."""
        self._window_left = None

    @property
    def after_wake(self) -> bool:
        """Open on the wake word: what comes through begins with the wake phrase's end."""
        return self.awake and self.reason is ListenReason.WAKE

    def follow_up(self, window_s: float | None = None, delay_s: float = 0.0) -> None:
        """A question was asked: open without the wake word, for ``window_s`` (default: the
        gate's own) unless speech starts in it; nothing happens when muted or with 0 s.
        ``delay_s``: audio that may come before the window starts (a device streaming while
        the question is played to it)."""
        seconds = self.window_s if window_s is None else window_s
        if seconds > 0:
            self.open(ListenReason.FOLLOW_UP, seconds, delay_s)

    def open(
        self, reason: ListenReason, window_s: float | None = None, delay_s: float = 0.0
    ) -> None:
        """Open without the wake word (``window_s`` 0: until ``close()``); not when muted."""
        if self.muted:
            return
        seconds = self.window_s if window_s is None else window_s
        self._ring.clear()
        self.awake = True
        self.reason = reason
        self._window_left = int((seconds + delay_s) * RATE) * WIDTH if seconds > 0 else None
        self._notify(ListenChange(True, reason, seconds if seconds > 0 else None))

    def close(self, reason: ListenReason = ListenReason.END_OF_UTTERANCE) -> None:
        """End of turn: deaf again until the next wake word."""
        was_awake = self.awake
        self.awake = False
        self.reason = None
        self._window_left = None
        self._ring.clear()
        self.detector.reset()
        if was_awake:
            self._notify(ListenChange(False, reason))

    def mute(self, muted: bool = True) -> None:
        """Muted: every chunk is dropped unheard (the open gate closes first)."""
        if muted and not self.muted:
            self.close(ListenReason.MUTED)
            self.muted = True
        elif not muted:
            self.muted = False

    def _notify(self, change: ListenChange) -> None:
        if self.on_change is not None:
            self.on_change(change)
