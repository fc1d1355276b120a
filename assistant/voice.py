"""Spoken conversations: the microphone loop, and a conversation from WAV files.

Both endpoint the audio (VAD), recognise each utterance while it is spoken, send the final
transcript to the dialogue and speak the replies; the pipeline's events go to the bus.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from assistant.errors import SpeechToTextError
from assistant.events import ListeningChanged, PartialTranscript
from assistant.settings import Settings
from assistant.turns import Conversation, EventBus, SpeechClock, TurnEngine
from audio import formats, vad
from audio.base import (
    AudioChunk,
    AudioSource,
    Expect,
    Speaker,
    Transcriber,
    Transcript,
)
from audio.earcon import Chimes
from audio.wakeword import ListenChange, ListenReason, WakeGate

log = logging.getLogger(__name__)

CHUNK_MS = 20  # how files are fed: in the blocks a device would send


@dataclass
class Heard:
    """One utterance as the endpointer and the recogniser saw it."""

    transcript: Transcript
    vad_wait_ms: float  # from the end of speech to the end being decided (stream time)
    decided_at: float  # wall clock when the end was decided
    transcribed_at: float = 0.0  # wall clock when its transcript was ready


def heard_utterances(
    chunks: Iterable[AudioChunk],
    transcriber: Transcriber,
    endpointer: vad.Endpointer,
    bus: EventBus,
    private: Callable[[], bool],
    on_speech_start: Callable[[], None] | None = None,
    after_wake: Callable[[], bool] | None = None,
) -> Iterator[Heard]:
    """The utterances heard in ``chunks``; ``private``: a PIN is awaited; ``after_wake``: the
    audio begins with the wake phrase's end (the gate just opened on it)."""
    decided_at = time.perf_counter()
    vad_wait_ms = 0.0
    expect = lambda: Expect.awaiting(private(), after_wake is not None and after_wake())  # noqa: E731
    for event in vad.listen(chunks, transcriber, endpointer, expect):
        if isinstance(event, vad.SpeechStarted):
            if on_speech_start is not None:
                on_speech_start()
        elif isinstance(event, vad.PartialTranscript):
            if not private():  # a PIN is never shown
                bus.emit(PartialTranscript(event.text))
        elif isinstance(event, vad.SpeechEnded):
            decided_at = time.perf_counter()
            vad_wait_ms = (event.at_s - event.utterance.end_s) * 1000
        elif isinstance(event, vad.UtteranceTranscribed):
            yield Heard(event.transcript, vad_wait_ms, decided_at, time.perf_counter())


# Said while a reply plays, without the wake word, these stop it (and nothing else does).
STOP_WORDS = frozenset(
    {"stop", "cancel", "quiet", "be quiet", "stop talking", "shut up", "enough", "that's enough"}
)


def is_stop(text: str) -> bool:
    """Whether ``text`` is only a request to stop speaking ("Stop.", "cancel!")."""
    words = " ".join(text.lower().replace(",", " ").replace(".", " ").replace("!", " ").split())
    return words in STOP_WORDS


def microphone_loop(
    engine: TurnEngine,
    source: AudioSource,
    endpointer: vad.Endpointer,
    wake: WakeGate,
    barge_in: bool = True,
    chimes: Chimes | None = None,
) -> None:
    """Listen for the wake word, answer, repeat, until the customer says goodbye (or Ctrl-C).
    ``barge_in``: listen for "stop" while a reply plays (off for a speaker the microphone hears
    without echo cancellation); ``chimes``: an earcon when listening starts and stops.

    Nothing of the microphone reaches the recogniser until ``wake`` opens: on the wake word
    (with the moment before it, so "okay nabu add milk" in one breath works), for a follow-up
    window after a reply that asks a question, and while a reply plays (then only a spoken
    "stop" / "cancel" acts: it stops the reply; anything else heard is dropped). The listening
    indicator (``ListeningChanged``) goes to the bus on every opening and closing.
    """
    follow_up = False  # the last reply asked a question: open the window when it is spoken
    replying = False  # the gate is open only to hear "stop" while the reply plays

    def speaking() -> bool:
        return not engine.finish_speaking(timeout_s=0)

    def on_change(change: ListenChange) -> None:
        engine.bus.emit(ListeningChanged(change.listening, str(change.reason), change.window_s))
        if chimes is not None:
            chimes.listening(change.listening, change.reason)

    wake.on_change = on_change

    def gated() -> Iterator[AudioChunk]:
        nonlocal follow_up, replying
        for chunk in source.chunks():
            if replying and not speaking() and not endpointer.in_speech:
                replying = False  # the reply is over: what it asked, or deaf again
                if wake.awake:
                    wake.close(ListenReason.END_OF_UTTERANCE)
                    endpointer.reset()
            if follow_up and not speaking():
                follow_up = False
                if not wake.awake:
                    endpointer.reset()
                    wake.follow_up()
            yield from wake.feed(chunk)

    def on_speech_start() -> None:
        wake.speech_started()

    for heard in heard_utterances(
        gated(),
        _transcriber(engine),
        endpointer,
        engine.bus,
        lambda: engine.conversation.expecting_pin,
        on_speech_start,
        lambda: wake.after_wake,
    ):
        text = heard.transcript.text.strip()
        if replying:
            if is_stop(text):
                engine.barge_in()
                follow_up = False  # stopped: what it asked waits for the wake word
            if not speaking() or is_stop(text):
                replying = False
                wake.close(ListenReason.END_OF_UTTERANCE)
                endpointer.reset()
            continue  # while a reply plays only "stop" acts: nothing reaches the dialogue
        wake.close(ListenReason.END_OF_UTTERANCE)
        endpointer.reset()
        if not text:
            continue  # a cough, a door: not worth a "please repeat"
        turn = engine.spoken(heard.transcript, heard.decided_at, heard.vad_wait_ms)
        if turn.intent == "goodbye":
            engine.finish_speaking(timeout_s=15)
            return
        follow_up = turn.expects_answer
        if barge_in and speaking():
            replying = True
            wake.open(ListenReason.REPLY, 0)  # listens for "stop" while the reply plays
        elif follow_up:
            follow_up = False
            wake.follow_up()


def _transcriber(engine: TurnEngine) -> Transcriber:
    if engine.transcriber is None:
        raise TypeError("spoken turns need a turn engine with a transcriber")
    return engine.transcriber


def paced(chunks: Iterable[AudioChunk]) -> Iterator[AudioChunk]:
    """``chunks`` no faster than a microphone would deliver them."""
    started, heard = time.perf_counter(), 0.0
    for chunk in chunks:
        heard += chunk.duration_s
        time.sleep(max(0.0, started + heard - time.perf_counter()))
        yield chunk


def file_turn(
    engine: TurnEngine, endpointer: vad.Endpointer, path: Path, real_time: bool = False
) -> dict[str, Any]:
    """One spoken turn from a WAV file (any rate / width / channels; converted at the boundary).

    The file is fed in device-sized blocks; every utterance in it is recognised and their
    transcripts make the turn. ``end_of_speech_to_first_audio_ms`` is what a customer would
    wait in real time: the endpointer's silence wait (stream time) plus the work after the
    end was decided (decode tail, dialogue, first sentence of speech).
    """
    audio = formats.read_wav(path)
    heard = list(
        heard_utterances(
            paced(formats.split(audio, CHUNK_MS)) if real_time else formats.split(audio, CHUNK_MS),
            _transcriber(engine),
            endpointer,
            engine.bus,
            lambda: engine.conversation.expecting_pin,
        )
    )
    if heard:
        text = " ".join(h.transcript.text for h in heard if h.transcript.text).strip()
        last = heard[-1]
        transcript = Transcript(
            text, last.transcript.engine, last.transcript.confidence, last.transcript.decode_ms
        )
        vad_wait_ms = last.vad_wait_ms
        # the rest of the file after the utterance (its trailing silence, fed at a
        # microphone's pace with --real-time) is not time the customer waits for an answer
        decided_at = last.decided_at + (time.perf_counter() - last.transcribed_at)
    else:  # no speech found: the dialogue asks the customer to repeat
        transcript = Transcript("", getattr(engine.transcriber, "name", "?"))
        vad_wait_ms, decided_at = 0.0, time.perf_counter()
    turn = engine.spoken(transcript, decided_at, vad_wait_ms)
    timings = turn.timings_ms
    engine.finish_speaking(timeout_s=60)
    return {
        "file": str(path),
        "transcript": turn.transcript,
        "engine": turn.engine,
        "intent": turn.intent,
        "confidence": turn.confidence,
        "replies": turn.replies,
        "responses": turn.responses,
        "duration_s": round(audio.duration_s, 2),
        "decode_ms": round(transcript.decode_ms, 1),
        "end_of_speech_to_first_audio_ms": timings["end_of_speech_to_first_audio"],
        "timings_ms": timings,
    }


def wav_conversation(
    conversation: Conversation,
    transcriber: Transcriber,
    endpointer_factory: Callable[[], vad.Endpointer],
    speaker_factory: Callable[[SpeechClock], tuple[Speaker, Callable[[], list[AudioChunk]]]],
    files: list[Path],
    bus: EventBus,
    reply_audio: bool = False,
    real_time: bool = False,
) -> Iterator[dict[str, Any]]:
    """A conversation from files, one turn per file; reply audio written beside each input
    (``A.reply.wav``) when asked."""
    clock = SpeechClock(bus)
    speaker, take_audio = speaker_factory(clock)
    engine = TurnEngine(conversation, speaker, bus, speech_clock=clock, transcriber=transcriber)
    try:
        for path in files:
            record = file_turn(engine, endpointer_factory(), path, real_time)
            chunks = take_audio()
            if reply_audio and chunks:
                out = path.with_name(path.stem + ".reply.wav")
                formats.write_wav(out, formats.join(chunks))
                record["reply_audio"] = str(out)
            yield record
    finally:
        close = getattr(speaker, "close", None)
        if close is not None:
            close()


def warm_up(transcriber: Transcriber, session: Conversation) -> dict[str, float]:
    """Exercise what a first turn needs before the customer speaks: the recogniser's first
    decode (buffers, threads), Rasa's NLU and dialogue, the action server and the commerce
    service, through a read-only turn of a conversation of its own. Returns the times (ms).

    Without it the first spoken turn of a fresh process waited about 2 s longer than the rest.
    """
    from assistant.chat import ChatSession

    timings: dict[str, float] = {}
    started = time.perf_counter()
    transcriber.transcribe(formats.warm_up_clip())
    timings["recogniser"] = round((time.perf_counter() - started) * 1000, 1)
    if isinstance(session, ChatSession):
        started = time.perf_counter()
        session.dialogue.parse("what is in my basket")
        session.dialogue.turn(
            f"{session.sender}-warm-up", "what is in my basket", dict(session.metadata)
        )
        timings["dialogue"] = round((time.perf_counter() - started) * 1000, 1)
    log.info("warmed up: %s", timings)
    return timings


def chat_wav(
    settings: Settings,
    customer: str,
    store: str | None,
    files: list[Path],
    out: IO[str],
    reply_audio: bool = False,
    engine: str | None = None,
    real_time: bool = False,
) -> None:
    """`chat --customer NAME --wav A.wav B.wav …`: one JSON line per file (turn)."""
    from assistant import speech as factory
    from assistant.chat import customer_conversation
    from audio.tts import CollectingSink

    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise SpeechToTextError("audio-file-missing", f"no such WAV file: {', '.join(missing)}")
    transcriber = factory.build_transcriber(settings, engine=engine)
    bus = EventBus()

    def speaker_factory(clock: SpeechClock) -> tuple[Speaker, Callable[[], list[AudioChunk]]]:
        sink = CollectingSink()
        speaker = factory.build_speaker(settings, sink=sink, on_event=clock)

        def take() -> list[AudioChunk]:
            chunks, sink.chunks = sink.chunks, []
            return chunks

        return speaker, take

    with customer_conversation(settings, customer, store) as session:
        warm_up(transcriber, session)
        for record in wav_conversation(
            session,
            transcriber,
            lambda: factory.build_endpointer(session.settings),
            speaker_factory,
            files,
            bus,
            reply_audio,
            real_time,
        ):
            out.write(json.dumps(record) + "\n")
            out.flush()
