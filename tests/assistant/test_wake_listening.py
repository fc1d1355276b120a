"""The local microphone loop listens for its wake word, on the real models: microWakeWord's
okay_nabu and Whisper, with voices synthesised by festival / espeak-ng. Every test reads back
what was decoded and what reached the dialogue: a command in one breath with the wake word, a
question's answer without it (and nothing after a plain answer), a spoken "stop" during a
reply, and a room full of other talk that never acts."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.events import Event, IntentParsed, ListeningChanged, Reply, ReplyReady
from assistant.turns import EventBus, TurnEngine
from assistant.voice import is_stop, microphone_loop
from audio.base import AudioChunk, Expect, Recognition, SpeakerState, Transcriber, Transcript
from audio.earcon import Chimes, Earcon, tone
from audio.factory import build_transcriber
from audio.fakes import ListAudioSource
from audio.formats import join, silence, split
from audio.settings import SpeechSettings, SpeechSetup
from audio.synthetic import synthesize
from audio.tts import CollectingSink
from audio.vad import Endpointer
from audio.wakeword import MicroWakeWordDetector, WakeGate

ROOT = Path(__file__).resolve().parents[2]
WAKE = "okay nabu, "


class Asking:
    """A conversation that asks "which one?" after a line with "milk" and answers anything
    else plainly; it records every line it is sent."""

    expecting_pin = False

    def __init__(self) -> None:
        self.sent: list[str] = []

    def reading(self, transcript: Transcript) -> str:
        return transcript.text

    def exchange(
        self, text: str, extra: dict[str, Any] | None = None
    ) -> tuple[str, IntentParsed, ReplyReady]:
        self.sent.append(text)
        if "milk" in text.lower() and len(self.sent) == 1:
            reply = Reply("Which one? Whole milk or skimmed milk?", "utter_product_choices")
        else:
            reply = Reply("Added it.", "utter_added_items")
        return text, IntentParsed(text, "add_to_basket", 0.9), ReplyReady((reply,))


class Counting:
    """The real transcriber, counting the utterances it was given."""

    def __init__(self, inner: Transcriber) -> None:
        self.inner = inner
        self.name = inner.name
        self.decoded: list[float] = []  # seconds of audio of each utterance decoded
        self.heard: list[str] = []

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> Recognition:
        return CountedRecognition(self, self.inner.start(speaker, expect))

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        raise AssertionError("the loop streams its utterances")


class CountedRecognition:
    def __init__(self, owner: Counting, inner: Recognition) -> None:
        self.owner, self.inner, self.seconds = owner, inner, 0.0

    def accept(self, chunk: AudioChunk) -> str | None:
        self.seconds += chunk.duration_s
        return self.inner.accept(chunk)

    def finish(self) -> Transcript:
        transcript = self.inner.finish()
        self.owner.decoded.append(self.seconds)
        self.owner.heard.append(transcript.text)
        return transcript


class PlayingSpeaker:
    """A reply "plays" until ``stop()`` (a long reply the customer talks over)."""

    def __init__(self) -> None:
        self.spoken: list[str] = []
        self.stopped = threading.Event()
        self.stopped.set()

    def speak(self, text: str) -> None:
        self.spoken.append(text)
        self.stopped.clear()

    def stop(self) -> None:
        self.stopped.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self.stopped.is_set()


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    speech = SpeechSettings(shop_lm=False, correction=False)
    return build_transcriber(SpeechSetup(speech, ROOT, ROOT / "nlu_data"))


@pytest.fixture(scope="module")
def say(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache = tmp_path_factory.mktemp("voices")
    return lambda text, voice="kal": synthesize(text, voice, cache)


def run(
    stream: AudioChunk, transcriber: Transcriber, speaker: Any = None, chimes: Chimes | None = None
) -> tuple[Asking, Counting, list[Event]]:
    conversation, counting = Asking(), Counting(transcriber)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    engine = TurnEngine(conversation, speaker, bus, transcriber=counting)
    gate = WakeGate(MicroWakeWordDetector("okay_nabu"), preroll_s=0.4, window_s=6.0)
    source = ListAudioSource(split(stream, 20))
    microphone_loop(engine, source, Endpointer(), gate, chimes=chimes)
    return conversation, counting, events


def indicator(events: list[Event]) -> list[tuple[bool, str]]:
    return [(e.listening, e.reason) for e in events if isinstance(e, ListeningChanged)]


def test_a_command_in_one_breath_with_the_wake_word_and_nothing_said_before_it(
    say: Any, transcriber: Transcriber
) -> None:
    room = say("remove the eggs from my basket")
    command = say(WAKE + "add two litres of milk")
    stream = join([silence(500), room, silence(800), command, silence(1500)])
    conversation, counting, events = run(stream, transcriber)
    assert len(conversation.sent) == 1
    assert "milk" in conversation.sent[0].lower()
    assert "egg" not in " ".join(counting.heard).lower()  # what came before was never decoded
    assert len(counting.decoded) == 1
    assert counting.decoded[0] < command.duration_s + 1.0  # the command, not the room
    assert indicator(events)[:2] == [(True, "wake"), (False, "end_of_utterance")]


def test_a_questions_answer_needs_no_wake_word_but_after_a_plain_answer_it_does(
    say: Any, transcriber: Transcriber
) -> None:
    stream = join(
        [
            silence(300),
            say(WAKE + "add some milk"),
            silence(1200),
            say("the first one"),  # the answer to "which one?": no wake word
            silence(1500),
            say("add a dozen eggs"),  # after "Added it.": ignored without the wake word
            silence(1500),
        ]
    )
    conversation, counting, events = run(stream, transcriber)
    assert len(conversation.sent) == 2, conversation.sent
    assert "first" in conversation.sent[1].lower()
    assert len(counting.decoded) == 2  # the eggs were never decoded
    assert (True, "follow_up") in indicator(events)
    assert indicator(events)[-1][0] is False


def test_a_chime_when_it_wakes_and_when_it_stops_listening(
    say: Any, transcriber: Transcriber
) -> None:
    """On a fake output device: up on the wake word, down at the end of the utterance, up
    for the question's window and down when it closes unanswered."""
    output = CollectingSink()
    chimes = Chimes(output)
    stream = join([silence(300), say(WAKE + "add some milk"), silence(7500)])
    _, _, events = run(stream, transcriber, chimes=chimes)
    chimes.flush()
    sounds = {tone(e).data: e for e in Earcon}
    assert [sounds[c.data] for c in output.chunks] == [
        Earcon.LISTENING,
        Earcon.DONE,
        Earcon.LISTENING,
        Earcon.DONE,
    ]
    assert indicator(events) == [
        (True, "wake"),
        (False, "end_of_utterance"),
        (True, "follow_up"),
        (False, "window_closed"),
    ]


def test_the_follow_up_window_closes_after_its_seconds(say: Any, transcriber: Transcriber) -> None:
    stream = join(
        [
            silence(300),
            say(WAKE + "add some milk"),
            silence(7500),  # the window (6 s) passes in silence
            say("the first one"),
            silence(1500),
        ]
    )
    conversation, counting, events = run(stream, transcriber)
    assert len(conversation.sent) == 1
    assert len(counting.decoded) == 1
    assert (False, "window_closed") in indicator(events)


def test_a_spoken_stop_during_a_reply_stops_it_and_reaches_no_dialogue(
    say: Any, transcriber: Transcriber
) -> None:
    speaker = PlayingSpeaker()
    stream = join(
        [silence(300), say(WAKE + "add a dozen eggs"), silence(1000), say("stop"), silence(1500)]
    )
    conversation, counting, _ = run(stream, transcriber, speaker)
    assert speaker.spoken == ["Added it."]
    assert speaker.stopped.is_set(), counting.heard
    assert len(conversation.sent) == 1  # "stop" stopped the reply, it was no turn
    assert [is_stop(text) for text in counting.heard] == [False, True]


def test_a_room_of_other_talk_is_never_decoded_and_never_acts(
    say: Any, transcriber: Transcriber
) -> None:
    talk = [
        "add a dozen eggs to my basket",
        "yes please",
        "checkout and place the order",
        "the weather tomorrow will be sunny with light winds",
        "remove the milk",
    ]
    voices = ("kal", "slt", "espeak-us")
    stream = join([join([say(t, v), silence(600)]) for v in voices for t in talk])
    assert stream.duration_s > 25
    conversation, counting, events = run(stream, transcriber)
    assert conversation.sent == []
    assert counting.decoded == []
    assert indicator(events) == []


def test_stop_words() -> None:
    assert all(is_stop(t) for t in ("Stop.", "cancel!", "Be quiet", "stop talking"))
    assert not any(is_stop(t) for t in ("stop the order", "cancel my pickup", "add milk"))


def test_the_listening_indicator_lines() -> None:
    from assistant.channels import protocol as p
    from assistant.channels.device import indicator
    from assistant.channels.terminal import listening_line

    assert listening_line(ListeningChanged(True, "wake", 6.0)) == "● listening (wake, 6 s)"
    assert listening_line(ListeningChanged(True, "follow_up", 6.0)) == (
        "● listening (follow up, 6 s)"
    )
    assert listening_line(ListeningChanged(False, "end_of_utterance")) == "○ not listening"
    assert listening_line(ListeningChanged(False, "muted")) == "✕ muted: not listening"
    assert indicator(p.Listening(True, "follow_up", 6.0)) == "● listening (follow up, 6 s)"
    assert indicator(p.Muted(True)) == "✕ muted: nothing leaves this device"
    assert indicator(p.Pong()) is None
