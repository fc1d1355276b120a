"""Endpointing: voice-activity detection decides where an utterance starts and ends.

WebRTC's VAD (``webrtcvad-wheels``) classifies 30 ms frames as speech or not; it is a trained
GMM over sub-band energies, so it copes with steady background noise better than an energy
threshold would, and costs microseconds a frame. An utterance starts when 3 of the last 5
frames are speech (a few hundred ms before it are kept, so the first phoneme is not cut) and
ends after ``silence_ms`` of non-speech (400 ms by default, configurable), or at
``max_utterance_s``. Bursts shorter than ``min_speech_ms`` are dropped as noise.

With ``complete_silence_ms`` / ``incomplete_silence_ms`` set, the silence waited for depends on
what was said (``audio/completeness.py``): ``listen`` hands the endpointer, at each pause, the
recogniser's transcript of the words up to it (Whisper's early decode, pocketsphinx's partial),
and a whole request ("add milk") ends after the short wait, an unfinished one ("add, um…") after
the long one; while the recogniser is still decoding them it waits for its answer (as long as
for an unfinished request at most: that decode is the transcript, so ending sooner would not
answer sooner); with nothing coming (no early decode, a PIN, vosk), ``silence_ms`` holds.

    endpointer = Endpointer.from_settings(settings.speech)
    for event in listen(source.chunks(), transcriber, endpointer):
        ...  # SpeechStarted, PartialTranscript, SpeechEnded, UtteranceTranscribed
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import webrtcvad

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
from audio.completeness import Completeness, judge
from audio.formats import StreamConverter, is_engine_format

if TYPE_CHECKING:
    from audio.settings import SpeechSettings

FRAME_MS = 30
FRAME_BYTES = RATE * FRAME_MS // 1000 * WIDTH
START_WINDOW, START_VOICED = 5, 3


def _frames(ms: int | None, default: int) -> int:
    return default if ms is None else max(1, -(-ms // FRAME_MS))


class ListenEventType(StrEnum):
    SPEECH_STARTED = "speech-started"
    PARTIAL_TRANSCRIPT = "partial-transcript"
    SPEECH_ENDED = "speech-ended"
    UTTERANCE_TRANSCRIBED = "utterance-transcribed"


@dataclass(frozen=True)
class Utterance:
    audio: AudioChunk  # 16 kHz mono 16-bit, pre-roll included, trailing silence trimmed
    start_s: float  # stream time of the first speech frame
    end_s: float  # stream time of the last speech frame's end
    reason: str  # "silence", "max-length" or "end-of-stream"
    words: Completeness = Completeness.UNKNOWN  # what the words before the end were judged


@dataclass(frozen=True)
class SpeechStarted:
    at_s: float
    type: ListenEventType = ListenEventType.SPEECH_STARTED


@dataclass(frozen=True)
class SpeechEnded:
    utterance: Utterance
    at_s: float  # stream time when the end was decided (end_s + the silence waited for)
    type: ListenEventType = ListenEventType.SPEECH_ENDED


@dataclass(frozen=True)
class PartialTranscript:
    text: str
    type: ListenEventType = ListenEventType.PARTIAL_TRANSCRIPT


@dataclass(frozen=True)
class UtteranceTranscribed:
    transcript: Transcript
    utterance: Utterance
    type: ListenEventType = ListenEventType.UTTERANCE_TRANSCRIBED


EndpointEvent = SpeechStarted | SpeechEnded
ListenEvent = SpeechStarted | PartialTranscript | SpeechEnded | UtteranceTranscribed


class Endpointer:
    """Feed audio in any block size; get ``SpeechStarted`` / ``SpeechEnded`` events back."""

    def __init__(
        self,
        silence_ms: int = 400,
        aggressiveness: int = 2,
        min_speech_ms: int = 120,
        max_utterance_s: float = 15.0,
        pre_roll_ms: int = 300,
        complete_silence_ms: int | None = None,
        incomplete_silence_ms: int | None = None,
    ) -> None:
        self.silence_frames = max(1, -(-silence_ms // FRAME_MS))
        # the silence to wait for, by what the words so far are (None: the fixed silence)
        self._waits = {
            Completeness.COMPLETE: _frames(complete_silence_ms, self.silence_frames),
            Completeness.INCOMPLETE: _frames(incomplete_silence_ms, self.silence_frames),
            # the words are being decoded: wait for them, as long as for unfinished ones at most
            Completeness.PENDING: _frames(incomplete_silence_ms, self.silence_frames),
            Completeness.UNKNOWN: self.silence_frames,
        }
        self.judges = complete_silence_ms is not None or incomplete_silence_ms is not None
        self._wait = self.silence_frames  # for the pause in progress
        self.heard = Completeness.UNKNOWN  # what the words before the pause in progress are
        self.min_speech_frames = max(1, min_speech_ms // FRAME_MS)
        self.max_frames = max(1, int(max_utterance_s * 1000) // FRAME_MS)
        self._vad = webrtcvad.Vad(aggressiveness)
        self._pre_roll: collections.deque[bytes] = collections.deque(
            maxlen=max(START_WINDOW, pre_roll_ms // FRAME_MS)
        )
        self._recent: collections.deque[bool] = collections.deque(maxlen=START_WINDOW)
        self._pending = b""
        self._converter: StreamConverter | None = None
        self._frames_seen = 0
        self._speech: list[bytes] | None = None  # frames of the utterance in progress
        self._start_frame = 0
        self._trailing = 0  # consecutive non-speech frames at the end of the utterance
        self._voiced = 0  # speech frames in the utterance

    @classmethod
    def from_settings(cls, speech: SpeechSettings) -> Endpointer:
        return cls(
            silence_ms=speech.vad_silence_ms,
            aggressiveness=speech.vad_aggressiveness,
            min_speech_ms=speech.vad_min_speech_ms,
            max_utterance_s=speech.max_utterance_s,
            complete_silence_ms=speech.vad_complete_silence_ms if speech.vad_judge else None,
            incomplete_silence_ms=speech.vad_incomplete_silence_ms if speech.vad_judge else None,
        )

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    def current_audio(self) -> bytes:
        """The audio of the utterance in progress so far (pre-roll included); empty if none."""
        return b"".join(self._speech) if self._speech is not None else b""

    def pause_start(self) -> int | None:
        """Bytes of the utterance's audio before the pause in progress; None while speaking."""
        if self._speech is None or self._trailing == 0:
            return None
        return (len(self._speech) - self._trailing) * FRAME_BYTES

    def words_so_far(self, text: str | None) -> Completeness:
        """The transcript of the words before the pause in progress (None: being decoded):
        wait for the silence that what they are calls for (until speech resumes)."""
        self.heard = judge(text) if text is not None else Completeness.PENDING
        self._wait = self._waits[self.heard]
        return self.heard

    def _seconds(self, frames: int) -> float:
        return frames * FRAME_MS / 1000

    def feed(self, chunk: AudioChunk) -> list[EndpointEvent]:
        """Classify the new audio; return what started or ended in it."""
        if not is_engine_format(chunk):  # converted once, here, with resampler state kept
            if self._converter is None:
                self._converter = StreamConverter(chunk.rate, chunk.width, chunk.channels)
            chunk = self._converter.convert(chunk)
        self._pending += chunk.data
        events: list[EndpointEvent] = []
        while len(self._pending) >= FRAME_BYTES:
            frame, self._pending = self._pending[:FRAME_BYTES], self._pending[FRAME_BYTES:]
            events += self._frame(frame)
        return events

    def _frame(self, frame: bytes) -> list[EndpointEvent]:
        voiced = self._vad.is_speech(frame, RATE)
        index = self._frames_seen
        self._frames_seen += 1
        if self._speech is None:
            self._pre_roll.append(frame)
            self._recent.append(voiced)
            if sum(self._recent) >= START_VOICED:
                self._speech = list(self._pre_roll)
                self._start_frame = index - sum(1 for _ in self._recent) + 1
                self._trailing = 0
                self._voiced = sum(self._recent)
                self._pre_roll.clear()
                self._recent.clear()
                return [SpeechStarted(self._seconds(self._start_frame))]
            return []
        self._speech.append(frame)
        self._voiced += voiced
        self._trailing = 0 if voiced else self._trailing + 1
        if voiced:
            self._wait, self.heard = self.silence_frames, Completeness.UNKNOWN
        if self._trailing >= self._wait:
            return self._end("silence")
        if len(self._speech) >= self.max_frames:
            return self._end("max-length")
        return []

    def _end(self, reason: str) -> list[EndpointEvent]:
        frames = self._speech or []
        self._speech = None
        words, self.heard = self.heard, Completeness.UNKNOWN
        self._wait = self.silence_frames
        keep = len(frames) - self._trailing + min(self._trailing, 3)  # keep ~90 ms of tail
        end_frame = self._frames_seen - self._trailing
        self._trailing = 0
        if self._voiced < self.min_speech_frames:
            return []
        audio = AudioChunk(RATE, WIDTH, CHANNELS, b"".join(frames[:keep]))
        utterance = Utterance(
            audio, self._seconds(self._start_frame), self._seconds(end_frame), reason, words
        )
        return [SpeechEnded(utterance, self._seconds(self._frames_seen))]

    def reset(self) -> None:
        """Forget the audio seen (the stream's clock keeps running): what a closed wake gate
        held back must not become the pre-roll of the next utterance."""
        self._pre_roll.clear()
        self._recent.clear()
        self._pending = b""
        self._speech = None
        self._trailing = 0
        self._voiced = 0
        self._wait, self.heard = self.silence_frames, Completeness.UNKNOWN

    def flush(self) -> list[EndpointEvent]:
        """End of stream: close an utterance in progress."""
        if self._speech is None:
            return []
        if self._pending:
            self._speech.append(self._pending)
            self._pending = b""
        return self._end("end-of-stream")


def utterances(chunks: Iterable[AudioChunk], endpointer: Endpointer) -> Iterator[Utterance]:
    """The utterances of a stream, each as soon as its end is detected."""
    for chunk in chunks:
        for event in endpointer.feed(chunk):
            if isinstance(event, SpeechEnded):
                yield event.utterance
    for event in endpointer.flush():
        if isinstance(event, SpeechEnded):
            yield event.utterance


def listen(
    chunks: Iterable[AudioChunk],
    transcriber: Transcriber,
    endpointer: Endpointer,
    expect: Callable[[], Expect] | None = None,
) -> Iterator[ListenEvent]:
    """Endpoint a stream and recognise each utterance while it is spoken.

    The recogniser is fed from the moment speech starts (pre-roll included), so partial
    transcripts arrive during the utterance and the final one right after its end. What the
    engine learns of the speaker carries over between the stream's utterances only.
    ``expect`` says, as each utterance starts, what the conversation waits for (a PIN).
    """
    recognition: Recognition | None = None
    fed = 0  # bytes of the current utterance already given to the recogniser
    private = False  # a PIN is awaited: its digits are not judged
    speaker = SpeakerState()  # this stream's voice and room, carried between its utterances

    def drain(events: list[EndpointEvent]) -> Iterator[ListenEvent]:
        nonlocal recognition, fed, private
        for event in events:
            if isinstance(event, SpeechStarted):
                wanted = expect() if expect is not None else Expect.SPEECH
                recognition = transcriber.start(speaker, wanted)
                fed, private = 0, wanted is Expect.PIN
                yield event
            else:
                yield event
                if recognition is not None:
                    rest = event.utterance.audio.data[fed:]
                    if rest:
                        recognition.accept(AudioChunk(RATE, WIDTH, CHANNELS, rest))
                    yield UtteranceTranscribed(recognition.finish(), event.utterance)
                recognition = None
        if recognition is not None and endpointer.in_speech:
            audio = endpointer.current_audio()
            new = audio[fed:]
            if new:
                fed = len(audio)
                partial = recognition.accept(AudioChunk(RATE, WIDTH, CHANNELS, new))
                if partial:
                    yield PartialTranscript(partial)
            pause = endpointer.pause_start()
            if endpointer.judges and not private and pause is not None:
                words = settled_words(recognition)
                if words is not None and words[1] >= pause:  # the decode heard the pause
                    endpointer.words_so_far(words[0])

    for chunk in chunks:
        yield from drain(endpointer.feed(chunk))
    yield from drain(endpointer.flush())
