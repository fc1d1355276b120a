"""Speech-to-text in worker processes, so that many conversations decode on every core.

pocketsphinx holds Python's global interpreter lock while it decodes, so one process decodes
one utterance at a time however many threads ask; with several devices talking at once, their
audio waits. ``ProcessTranscriber`` runs the whole recogniser (engine, shop LM, noise
suppression, correction, as ``audio.factory.build_transcriber`` builds it) in a few worker
processes — one per core by default — behind the same ``Transcriber`` interface:

    transcriber = ProcessTranscriber(settings, processes=2, sessions=32)
    recognition = transcriber.start()      # the utterance is pinned to the least busy worker
    recognition.accept(chunk)              # returns at once; the worker decodes meanwhile
    transcript = recognition.finish()      # waits for the worker to catch up
    transcriber.close()

Feeding audio does not wait for the decoder: a partial transcript is returned by a later
``accept`` once the worker has sent it. A worker that dies fails the utterances it held with
``stt-failed``; the next utterance starts a new worker.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import threading
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from audio.base import CHANNELS, RATE, WIDTH, AudioChunk, Expect, SpeakerState, Transcript
from audio.errors import AudioError, SpeechToTextError
from audio.formats import require_engine_format, warm_up_clip

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess

    from audio.settings import SpeechSetup

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0  # loading the models in a new worker
FINISH_TIMEOUT_S = 60.0  # the rest of one utterance (15 s at most) on a busy machine


def default_processes() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


# -- the worker process -------------------------------------------------------------------
def _worker_main(conn: Connection, settings: SpeechSetup, sessions: int) -> None:
    """Build the recogniser, then serve requests until told to stop or the pipe closes.

    Requests: ("start", id, speaker state values, expect) ("accept", id, pcm) ("finish", id)
    ("cancel", id) ("transcribe", id, pcm, expect) ("stop",). Replies: ("ready", engine name) or
    ("failed", code, message) once; then ("partial", id, text) ("settled", id, text, bytes)
    ("done", id, Transcript, speaker state values) ("error", id, code, message).
    """
    from audio import factory

    try:
        # one thread per Whisper decode: the workers already spread over the cores
        transcriber = factory.build_transcriber(settings, sessions=sessions, threads=1)
        if transcriber.name.startswith("whisper"):
            # Ready means warm: Whisper's first decode sets up its buffers and threads.
            # (pocketsphinx has no such cost, and would adapt its cepstral mean to the clip.)
            transcriber.transcribe(warm_up_clip())
    except AudioError as err:
        conn.send(("failed", err.code, err.message))
        return
    conn.send(("ready", transcriber.name))
    recognitions: dict[int, Any] = {}
    speakers: dict[int, SpeakerState] = {}
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the gateway went away
        kind = request[0]
        if kind == "stop":
            return
        rid = request[1]
        try:
            if kind == "start":
                speakers[rid] = SpeakerState(dict(request[2]))
                recognitions[rid] = transcriber.start(speakers[rid], Expect(request[3]))
            elif kind == "accept":
                recognition = recognitions.get(rid)
                if recognition is None:
                    continue  # failed or cancelled earlier: its error was sent then
                partial = recognition.accept(AudioChunk(RATE, WIDTH, CHANNELS, request[2]))
                if partial:
                    conn.send(("partial", rid, partial))
                settled = getattr(recognition, "settled", None)
                words = settled() if settled is not None else None
                if words is not None:  # the endpointer's cue at a pause (audio/vad.py)
                    conn.send(("settled", rid, *words))
            elif kind == "finish":
                recognition = recognitions.pop(rid, None)
                if recognition is not None:
                    transcript = recognition.finish()
                    conn.send(("done", rid, transcript, speakers.pop(rid).values))
            elif kind == "cancel":
                recognition = recognitions.pop(rid, None)
                speakers.pop(rid, None)
                if recognition is not None:
                    with contextlib.suppress(AudioError):
                        recognition.finish()  # gives its decoder back to the pool
            elif kind == "transcribe":
                audio = AudioChunk(RATE, WIDTH, CHANNELS, request[2])
                conn.send(("done", rid, transcriber.transcribe(audio, Expect(request[3])), {}))
        except AudioError as err:
            recognitions.pop(rid, None)
            speakers.pop(rid, None)
            conn.send(("error", rid, err.code, err.message))


# -- the gateway's side -------------------------------------------------------------------
@dataclass
class _Pending:
    """One utterance in a worker, as the gateway sees it."""

    done: threading.Event = field(default_factory=threading.Event)
    partial: str = ""
    # the words before a pause (None while decoded) and the audio heard then (bytes)
    settled: tuple[str | None, int] | None = None
    result: Transcript | None = None
    speaker: dict[str, str] = field(default_factory=dict)  # the state after the utterance
    error: tuple[str, str] | None = None


class _Worker:
    """One recogniser process, its pipe, and a thread reading its replies."""

    def __init__(self, ctx: Any, settings: SpeechSetup, sessions: int, index: int) -> None:
        self.index = index
        self._conn, child = ctx.Pipe()
        self.process: SpawnProcess = ctx.Process(
            target=_worker_main,
            args=(child, settings, sessions),
            name=f"stt-worker-{index}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.pending: dict[int, _Pending] = {}
        self.name = ""
        self.alive = True
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._ready = threading.Event()
        self._failure: tuple[str, str] | None = None
        self._reader = threading.Thread(target=self._read, name=f"stt-reader-{index}", daemon=True)
        self._reader.start()

    def wait_ready(self, timeout_s: float) -> None:
        if not self._ready.wait(timeout_s):
            self.kill()
            raise SpeechToTextError("stt-failed", "a speech recognition worker did not start")
        if self._failure is not None:
            raise SpeechToTextError(*self._failure)

    @property
    def load(self) -> int:
        return len(self.pending)

    def send(self, message: tuple[Any, ...]) -> None:
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, ValueError) as err:  # the worker is gone (its reader fails the rest)
            self.alive = False
            raise SpeechToTextError("stt-failed", "the speech recognition worker stopped") from err

    def begin(self, rid: int) -> _Pending:
        pending = _Pending()
        with self._state_lock:
            if not self.alive:
                raise SpeechToTextError("stt-failed", "the speech recognition worker stopped")
            self.pending[rid] = pending
        return pending

    def forget(self, rid: int) -> None:
        with self._state_lock:
            self.pending.pop(rid, None)

    def _read(self) -> None:
        while True:
            try:
                reply = self._conn.recv()
            except (EOFError, OSError):
                break
            kind = reply[0]
            if kind == "ready":
                self.name = reply[1]
                self._ready.set()
                continue
            if kind == "failed":
                self._failure = (reply[1], reply[2])
                self._ready.set()
                break
            with self._state_lock:
                pending = self.pending.get(reply[1])
            if pending is None:
                continue
            if kind == "partial":
                pending.partial = reply[2]
            elif kind == "settled":
                pending.settled = (reply[2], reply[3])
            elif kind == "done":
                pending.result, pending.speaker = reply[2], reply[3]
                pending.done.set()
            elif kind == "error":
                pending.error = (reply[2], reply[3])
                pending.done.set()
        # the pipe closed: this worker is gone; fail what it held
        with self._state_lock:
            self.alive = False
            held = list(self.pending.values())
        for pending in held:
            if not pending.done.is_set():
                pending.error = ("stt-failed", "the speech recognition worker stopped")
                pending.done.set()
        self._ready.set()
        if self._failure is None and not self.name:
            self._failure = ("stt-failed", "a speech recognition worker stopped while starting")

    def stop(self, timeout_s: float = 5.0) -> None:
        with contextlib.suppress(SpeechToTextError):
            self.send(("stop",))
        self.process.join(timeout_s)
        if self.process.is_alive():
            self.kill()
        self._conn.close()

    def kill(self) -> None:
        self.alive = False
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


class ProcessRecognition:
    """One utterance decoded in a worker process."""

    def __init__(
        self,
        worker: _Worker,
        rid: int,
        speaker: SpeakerState | None = None,
        expect: Expect = Expect.SPEECH,
    ) -> None:
        self._worker = worker
        self._rid = rid
        self._speaker = speaker
        self.worker_pid = worker.process.pid  # which process decodes it (tests, logs)
        self._pending = worker.begin(rid)
        self._shown = ""
        self._finished = False
        try:
            values = dict(speaker.values) if speaker is not None else {}
            worker.send(("start", rid, values, expect.value))
        except SpeechToTextError:
            worker.forget(rid)
            raise
        # an utterance dropped unfinished (its device went away) frees its decoder
        self._finalizer = weakref.finalize(self, _cancel, worker, rid)

    def accept(self, chunk: AudioChunk) -> str | None:
        require_engine_format(chunk)
        if self._finished:
            raise SpeechToTextError("stt-failed", "this utterance is already finished")
        if self._pending.error is not None:
            self._close()
            raise SpeechToTextError(*self._pending.error)
        self._worker.send(("accept", self._rid, chunk.data))
        partial = self._pending.partial
        if partial and partial != self._shown:
            self._shown = partial
            return partial
        return None

    def settled(self) -> tuple[str | None, int] | None:
        """The worker's last word on the words before a pause (``WhisperRecognition.settled``);
        the endpointer checks that it heard the pause in progress."""
        return self._pending.settled

    def finish(self) -> Transcript:
        if self._finished:
            raise SpeechToTextError("stt-failed", "this utterance is already finished")
        try:
            if self._pending.error is None:
                self._worker.send(("finish", self._rid))
            if not self._pending.done.wait(FINISH_TIMEOUT_S):
                raise SpeechToTextError("stt-failed", "speech recognition took too long")
            if self._pending.error is not None:
                raise SpeechToTextError(*self._pending.error)
            assert self._pending.result is not None
            if self._speaker is not None:
                self._speaker.values.update(self._pending.speaker)
            return self._pending.result
        finally:
            self._close()

    def _close(self) -> None:
        self._finished = True
        self._finalizer.detach()
        self._worker.forget(self._rid)


def _cancel(worker: _Worker, rid: int) -> None:
    worker.forget(rid)
    if worker.alive:
        with contextlib.suppress(SpeechToTextError):
            worker.send(("cancel", rid))


class ProcessTranscriber:
    """A ``Transcriber`` whose recognisers run in ``processes`` worker processes.

    Args:
        settings: the speech settings every worker builds its recogniser from.
        processes: how many workers (one per core by default).
        sessions: how many conversations share the transcriber at once (spread over the
            workers; each keeps decoders for its share).

    Raises:
        SpeechToTextError: when a worker cannot build its recogniser (``stt-model-missing``
            for a missing vosk model, as in-process).
    """

    def __init__(
        self, settings: SpeechSetup, processes: int | None = None, sessions: int = 1
    ) -> None:
        self._settings = settings
        self._count = processes or default_processes()
        self._sessions_each = -(-max(1, sessions) // self._count)
        self._ctx = multiprocessing.get_context("spawn")  # the gateway has threads: no fork
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._turn = itertools.count()
        self._workers = [self._spawn(i) for i in range(self._count)]
        try:
            for worker in self._workers:
                worker.wait_ready(START_TIMEOUT_S)
        except SpeechToTextError:
            self.close()
            raise
        self.name = self._workers[0].name

    def _spawn(self, index: int) -> _Worker:
        return _Worker(self._ctx, self._settings, self._sessions_each, index)

    @property
    def processes(self) -> list[int]:
        """The workers' process ids (for tests and monitoring)."""
        return [w.process.pid or 0 for w in self._workers]

    def _pick(self) -> _Worker:
        """The least busy worker (round robin among equals); a dead one is replaced first."""
        with self._lock:
            for i, worker in enumerate(self._workers):
                if not worker.alive or not worker.process.is_alive():
                    log.warning("speech worker %d stopped; starting a new one", worker.index)
                    worker.kill()
                    replacement = self._spawn(worker.index)
                    replacement.wait_ready(START_TIMEOUT_S)
                    self._workers[i] = replacement
            turn = next(self._turn)
            order = sorted(
                range(self._count), key=lambda i: (self._workers[i].load, (i - turn) % self._count)
            )
            return self._workers[order[0]]

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> ProcessRecognition:
        """``speaker``: the conversation's state, sent with the utterance to whichever worker
        decodes it and brought back when it is finished."""
        return ProcessRecognition(self._pick(), next(self._ids), speaker, expect)

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        require_engine_format(audio)
        worker = self._pick()
        rid = next(self._ids)
        pending = worker.begin(rid)
        try:
            worker.send(("transcribe", rid, audio.data, expect.value))
            if not pending.done.wait(FINISH_TIMEOUT_S):
                raise SpeechToTextError("stt-failed", "speech recognition took too long")
        finally:
            worker.forget(rid)
        if pending.error is not None:
            raise SpeechToTextError(*pending.error)
        assert pending.result is not None
        return pending.result

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
