"""Text to speech: pyttsx3 driving espeak-ng, on one dedicated worker thread fed by a queue.

``QueueSpeaker.speak(text)`` returns at once; the worker creates the pyttsx3 engine on its own
thread (pyttsx3 engines belong to the thread that made them), splits the text into sentences
and synthesises them one at a time, so the first sentence plays while the rest are still
text. ``stop()`` is barge-in: the queue is dropped and the sentence playing is cut within one
50 ms write. Audio goes to a sink — the sound device, a WAV file, or a collector — and
``stream(text)`` hands the synthesised sentences back as ``AudioChunk``s (for a gateway that
streams reply audio to devices).

pyttsx3's espeak driver plays ``say()`` through ``aplay``; we use its ``save_to_file`` path
instead (one WAV per sentence, 22.05 kHz mono 16-bit) and play the audio ourselves.
"""

from __future__ import annotations

import logging
import queue
import re
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from audio.base import AudioChunk
from audio.errors import AudioError, SpeechOutputError
from audio.formats import join, read_wav, write_wav

log = logging.getLogger(__name__)

# espeak-ng is one library instance per process: serialise every use of it.
_ESPEAK_LOCK = threading.Lock()
# the voice, rate and volume each (shared, per-process) pyttsx3 engine has now
_APPLIED: weakref.WeakKeyDictionary[Any, dict[str, object]] = weakref.WeakKeyDictionary()
# longest wait for espeak-ng to finish one sentence (it takes milliseconds; a stuck library hangs)
_SYNTHESIS_TIMEOUT_S = 30.0

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences (and clauses after ``;``/``:``) to synthesise one at a time."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


class Synthesizer(Protocol):
    def synthesize(self, text: str) -> AudioChunk: ...


class Pyttsx3Synthesizer:
    """pyttsx3 with its espeak(-ng) driver. Use it on one thread only (the one that made it)."""

    def __init__(self, voice: str = "en-us", rate: int = 170, volume: float = 1.0) -> None:
        try:
            import pyttsx3
            import pyttsx3.drivers.espeak as espeak_driver
            from pyttsx3.drivers import _espeak
        except (ImportError, OSError) as err:
            raise SpeechOutputError(
                "tts-unavailable",
                f"pyttsx3's espeak driver cannot load libespeak-ng ({err}); "
                "install the Debian packages of requirements/debian.txt",
            ) from err
        # The driver prints "Audio saved to ..." on every file; keep stdout for our output.
        espeak_driver.print = lambda *args, **kwargs: None
        self._properties = {"voice": voice, "rate": rate, "volume": volume}
        self._espeak = _espeak
        with _ESPEAK_LOCK:
            try:
                self._engine = pyttsx3.init("espeak")
                self._apply()
            except (RuntimeError, ValueError) as err:
                raise SpeechOutputError("tts-unavailable", f"pyttsx3/espeak-ng: {err}") from err
        self._folder = Path(tempfile.mkdtemp(prefix="tts-"))
        self._count = 0

    def _apply(self) -> None:
        # pyttsx3 shares one engine per driver in a process: set ours when another changed them.
        if _APPLIED.get(self._engine) == self._properties:
            return
        # A new engine holds property changes back until its first loop; run them now, each
        # straight into espeak-ng (no ``runAndWait`` of their own: that would re-synthesise the
        # driver's last text in the background).
        self._engine.proxy.setBusy(False)
        for name, value in self._properties.items():
            self._engine.setProperty(name, value)
        # espeak-ng takes parameter changes on its own thread, and the driver cancels whatever
        # espeak-ng still has queued when the next synthesis starts: let it take them first.
        deadline = time.monotonic() + _SYNTHESIS_TIMEOUT_S
        while self._espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.001)
        _APPLIED[self._engine] = dict(self._properties)

    def synthesize(self, text: str) -> AudioChunk:
        if not text.strip():
            raise SpeechOutputError("tts-failed", "nothing to say: the text is empty")
        self._count += 1
        path = self._folder / f"{self._count}.wav"
        # espeak-ng synthesises on its own thread: ``runAndWait`` can return before the driver has
        # written the file, so wait for the driver's end-of-utterance notice (sent once it has).
        finished = threading.Event()
        with _ESPEAK_LOCK:
            token = self._engine.connect("finished-utterance", lambda **_: finished.set())
            try:
                self._apply()
                self._engine.save_to_file(text, str(path))
                self._engine.runAndWait()
                done = finished.wait(_SYNTHESIS_TIMEOUT_S)
            finally:
                self._engine.disconnect(token)
        if not done:
            path.unlink(missing_ok=True)
            raise SpeechOutputError(
                "tts-failed", f"espeak-ng gave no audio for {text!r} in {_SYNTHESIS_TIMEOUT_S} s"
            )
        try:
            return read_wav(path)
        except AudioError as err:
            raise SpeechOutputError("tts-failed", f"no audio for {text!r}: {err.message}") from err
        finally:
            path.unlink(missing_ok=True)


class AudioSink(Protocol):
    def play(self, chunk: AudioChunk, stop: threading.Event) -> None:
        """Output ``chunk``; return early when ``stop`` is set."""
        ...


class WavFileSink:
    """Collects what is spoken and writes it to one WAV file (rewritten after each sentence)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.chunks: list[AudioChunk] = []

    def play(self, chunk: AudioChunk, stop: threading.Event) -> None:
        self.chunks.append(chunk)
        write_wav(self.path, join(self.chunks))


class CollectingSink:
    """Keeps the chunks in memory (tests, or a caller that sends them elsewhere)."""

    def __init__(self) -> None:
        self.chunks: list[AudioChunk] = []

    def play(self, chunk: AudioChunk, stop: threading.Event) -> None:
        self.chunks.append(chunk)


class TtsEventType(StrEnum):
    SPEECH_STARTED = "speech-started"
    SPEECH_DONE = "speech-done"


@dataclass(frozen=True)
class SpeechStarted:
    """The first sentence of a reply is ready to play."""

    text: str
    first_audio_ms: float  # from speak() to the first sentence's audio
    type: TtsEventType = TtsEventType.SPEECH_STARTED


@dataclass(frozen=True)
class SpeechDone:
    text: str
    interrupted: bool
    total_ms: float
    type: TtsEventType = TtsEventType.SPEECH_DONE


TtsEvent = SpeechStarted | SpeechDone


@dataclass
class _Job:
    text: str
    sentences: list[str]
    generation: int
    queued_at: float = field(default_factory=time.perf_counter)
    out: queue.Queue[AudioChunk | None] | None = None  # stream(): chunks go here, not the sink


class QueueSpeaker:
    """A ``Speaker`` over any synthesiser and sink, with one worker thread.

    Args:
        synthesizer_factory: called once, on the worker thread, to make the synthesiser.
        sink: where audio goes (``SoundDeviceSink``, ``WavFileSink``, ``CollectingSink``).
        on_event: receives ``SpeechStarted`` / ``SpeechDone`` (on the worker thread).
    """

    def __init__(
        self,
        synthesizer_factory: Callable[[], Synthesizer],
        sink: AudioSink,
        on_event: Callable[[TtsEvent], None] | None = None,
    ) -> None:
        self._factory = synthesizer_factory
        self.sink = sink
        self._on_event = on_event
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._generation = 0
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0
        self._ready = threading.Event()
        self._failure: AudioError | None = None
        self.first_audio_ms: list[float] = []
        self._thread = threading.Thread(target=self._run, name="tts-worker", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    # -- the Speaker interface -------------------------------------------------------------
    def speak(self, text: str) -> None:
        self._submit(text, None)

    def stop(self) -> None:
        """Barge-in: stop the sentence playing and drop everything queued."""
        with self._idle:
            self._generation += 1
            self._stop.set()
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                self._finish(job, interrupted=True)

    def wait(self, timeout_s: float | None = None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout_s)

    # -- reply audio as chunks -------------------------------------------------------------
    def stream(self, text: str) -> Iterator[AudioChunk]:
        """Synthesise ``text`` and yield one ``AudioChunk`` per sentence as each is ready."""
        out: queue.Queue[AudioChunk | None] = queue.Queue()
        self._submit(text, out)
        while (chunk := out.get()) is not None:
            yield chunk

    def close(self) -> None:
        self.stop()
        self._jobs.put(None)
        self._thread.join(timeout=5)

    @property
    def error(self) -> AudioError | None:
        """The last synthesis or output failure on the worker (logged, not raised there)."""
        return self._failure

    # -- the worker ------------------------------------------------------------------------
    def _submit(self, text: str, out: queue.Queue[AudioChunk | None] | None) -> None:
        sentences = split_sentences(text)
        with self._idle:
            self._pending += 1
            job = _Job(text, sentences, self._generation, out=out)
        self._jobs.put(job)

    def _finish(self, job: _Job, interrupted: bool) -> None:
        if job.out is not None:
            job.out.put(None)
        if self._on_event is not None:
            total = (time.perf_counter() - job.queued_at) * 1000
            self._on_event(SpeechDone(job.text, interrupted, total))
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        try:
            synthesizer = self._factory()
        except AudioError as err:
            self._failure = err
            self._ready.set()
            return
        self._ready.set()
        while (job := self._jobs.get()) is not None:
            interrupted = False
            with self._idle:
                if job.generation != self._generation:
                    interrupted = True
                else:
                    self._stop.clear()
            for index, sentence in enumerate(job.sentences):
                if interrupted or job.generation != self._generation:
                    interrupted = True
                    break
                try:
                    chunk = synthesizer.synthesize(sentence)
                    if index == 0:
                        first_ms = (time.perf_counter() - job.queued_at) * 1000
                        self.first_audio_ms.append(first_ms)
                        if self._on_event is not None:
                            self._on_event(SpeechStarted(job.text, first_ms))
                    if job.out is not None:
                        job.out.put(chunk)
                    else:
                        self.sink.play(chunk, self._stop)
                except AudioError as err:
                    log.error("speech output failed: %s", err.message)
                    self._failure = err
                    interrupted = True
                    break
                if self._stop.is_set():
                    interrupted = True
                    break
            self._finish(job, interrupted)


def speak_to_wav(text: str, path: Path, voice: str = "en-us", rate: int = 170) -> Path:
    """Synthesise ``text`` into a WAV file (a one-off helper around ``QueueSpeaker``)."""
    speaker = QueueSpeaker(lambda: Pyttsx3Synthesizer(voice, rate), WavFileSink(path))
    try:
        speaker.speak(text)
        speaker.wait()
        if speaker.error is not None:
            raise speaker.error
    finally:
        speaker.close()
    return path


def build_speaker(
    voice: str = "en-us",
    rate: int = 170,
    volume: float = 1.0,
    sink: AudioSink | None = None,
    device: str | int | None = None,
    on_event: Callable[[TtsEvent], None] | None = None,
) -> QueueSpeaker:
    """A pyttsx3 speaker to ``sink``, or to the sound device (``no-audio-device`` if none)."""
    if sink is None:
        from audio.devices import SoundDeviceSink

        device_sink = SoundDeviceSink(device)
        device_sink.check()
        sink = device_sink
    return QueueSpeaker(lambda: Pyttsx3Synthesizer(voice, rate, volume), sink, on_event)
