"""A home session's second wake word stage, on the real okay_nabu model and synthesised speech
(the dialogue and the recogniser are fakes that record what reached them): unwoken audio is
never decoded or sent to the dialogue, the wake word opens one utterance, a question's answer
needs no wake word, mute drops everything, and a kiosk needs no wake word at all."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from assistant.channels import protocol as p
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.link import Control
from assistant.channels.gateway.session import Session
from assistant.channels.gateway.speech import Outgoing, SpeechParts
from assistant.dialogue import RasaDialogue
from assistant.errors import SpeechToTextError
from assistant.events import IntentParsed, Reply, ReplyReady
from assistant.settings import load_settings
from assistant.turns import UNAVAILABLE, UNAVAILABLE_TEXT
from audio.base import AudioChunk
from audio.fakes import FixedTranscriber
from audio.formats import join, silence, split
from audio.synthetic import synthesize
from audio.vad import Endpointer
from audio.wakeword import MicroWakeWordDetector
from tests.gateway.test_session import FakeDirectory


class AskingDialogue:
    """Asks "Which one?" after a line with "milk"; answers anything else plainly."""

    def __init__(self) -> None:
        self.turns: list[str] = []

    def parse(self, text: str) -> dict[str, Any]:
        return {"intent": {"name": "add_to_basket", "confidence": 1.0}}

    def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> Any:
        self.turns.append(text)
        if "milk" in text:
            reply = Reply("Which one? Whole or skimmed?", "utter_product_choices")
        else:
            reply = Reply("Added it.", "utter_added_items")
        return IntentParsed(text, "add_to_basket", 0.9), ReplyReady((reply,))


@pytest.fixture(scope="module")
def say(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache: Path = tmp_path_factory.mktemp("voices")
    return lambda text: join([silence(300), synthesize(text, "kal", cache), silence(1200)])


@pytest.fixture
def home() -> Iterator[tuple[Session, queue.Queue[Outgoing], FixedTranscriber, AskingDialogue]]:
    yield from _session("home")


@pytest.fixture
def kiosk() -> Iterator[tuple[Session, queue.Queue[Outgoing], FixedTranscriber, AskingDialogue]]:
    yield from _session("kiosk")


def _session(
    kind: str,
) -> Iterator[tuple[Session, queue.Queue[Outgoing], FixedTranscriber, AskingDialogue]]:
    directory, dialogue = FakeDirectory(), AskingDialogue()
    transcriber = FixedTranscriber("add milk", "the first one", "add eggs")
    speech = SpeechParts(
        lambda: transcriber,
        Endpointer,
        speaker=None,
        wake_word_factory=lambda: MicroWakeWordDetector("okay_nabu"),
    )
    device = {"kind": kind, "device_id": 1, "store_id": "riverside"}
    device.update(directory._issued("grace"))
    session = Session(
        "s1",
        device,
        "dev_token",
        load_settings(),
        cast(DeviceDirectory, directory),
        cast(RasaDialogue, dialogue),
        speech,
        idle_timeout_s=600,
    )
    out: queue.Queue[Outgoing] = queue.Queue()
    session.attach(out.put, lambda: None)
    yield session, out, transcriber, dialogue
    session.close()


def stream(session: Session, audio: AudioChunk) -> None:
    for frame in split(audio, 50):
        while not session.offer(frame.data):
            time.sleep(0.01)


def messages(out: queue.Queue[Outgoing], quiet_s: float = 2.0) -> list[p.Message]:
    got: list[p.Message] = []
    while True:
        try:
            message = out.get(timeout=quiet_s)
        except queue.Empty:
            return got
        if not isinstance(message, bytes):
            got.append(message)


def indicator(got: list[p.Message]) -> list[tuple[bool, str]]:
    return [(m.listening, m.reason) for m in got if isinstance(m, p.Listening)]


def test_home_audio_without_the_wake_word_is_never_decoded(home: Any, say: Any) -> None:
    session, out, transcriber, dialogue = home
    stream(session, join([say("add two litres of milk"), say("yes, place the order")]))
    session.offer(Control({"type": "end_of_speech"}))
    got = messages(out)
    assert got == [p.TurnDone(None, nothing_heard=True)]
    assert transcriber.utterances == []
    assert transcriber.expected == []
    assert dialogue.turns == []


def test_the_wake_word_opens_one_utterance_then_it_is_deaf_again(home: Any, say: Any) -> None:
    session, out, transcriber, dialogue = home
    stream(session, say("okay nabu, add a dozen eggs"))
    got = messages(out)
    assert len(transcriber.expected) == 1  # one utterance decoded: the one after the wake word
    assert dialogue.turns == ["add milk"]  # what the (fixed) recogniser heard
    # the dialogue asked "which one?": the answer needs no wake word ...
    assert indicator(got) == [(True, "wake"), (False, "end_of_utterance"), (True, "follow_up")]
    assert [m.window_s for m in got if isinstance(m, p.Listening)][-1] == 6.0
    stream(session, say("the first one"))
    got = messages(out)
    assert dialogue.turns == ["add milk", "the first one"]
    # ... but after a plain answer the next words do
    stream(session, say("add a dozen eggs"))
    messages(out)
    assert dialogue.turns == ["add milk", "the first one"]
    assert len(transcriber.expected) == 2


def test_a_reply_the_device_stopped_opens_no_follow_up_window(home: Any, say: Any) -> None:
    """The customer said "stop" over the question on the device: the device says so
    (``stopped``), and the answer then needs the wake word again."""
    session, out, transcriber, dialogue = home
    stream(session, say("okay nabu, add a dozen eggs"))
    assert indicator(messages(out))[-1] == (True, "follow_up")  # "which one?"
    session.offer(Control({"type": "stopped"}))
    assert indicator(messages(out)) == [(False, "end_of_utterance")]
    stream(session, say("the first one"))
    messages(out)
    assert dialogue.turns == ["add milk"]
    assert len(transcriber.expected) == 1  # the answer was never decoded


def test_muted_nothing_is_decoded_even_after_the_wake_word(home: Any, say: Any) -> None:
    session, out, transcriber, dialogue = home
    session.offer(Control({"type": "mute", "muted": True}))
    stream(session, say("okay nabu, add a dozen eggs"))
    assert messages(out) == [p.Muted(True)]
    assert transcriber.expected == []
    assert dialogue.turns == []
    session.offer(Control({"type": "mute", "muted": False}))
    stream(session, say("okay nabu, add a dozen eggs"))
    got = messages(out)
    assert got[0] == p.Muted(False)
    assert dialogue.turns == ["add milk"]


def test_a_kiosk_needs_no_wake_word(kiosk: Any, say: Any) -> None:
    session, out, _transcriber, dialogue = kiosk
    session.offer(Control({"type": "guest"}))
    assert isinstance(messages(out)[0], p.SignedIn)
    stream(session, say("add eggs"))
    got = messages(out)
    assert dialogue.turns == ["add milk"]
    assert indicator(got) == []


def test_an_utterance_the_recogniser_fails_is_an_apology_and_the_session_goes_on(
    kiosk: Any, say: Any
) -> None:
    """A recogniser worker that dies fails the utterance it held (``stt-failed``): the
    customer hears the apology, the session goes on, and the next utterance is heard."""
    session, out, transcriber, dialogue = kiosk
    session.offer(Control({"type": "guest"}))
    assert isinstance(messages(out)[0], p.SignedIn)
    transcriber._fail_with = SpeechToTextError("stt-failed", "the recogniser worker died")
    stream(session, say("add eggs"))
    got = messages(out)
    assert p.Reply(UNAVAILABLE_TEXT, UNAVAILABLE) in got, got
    assert p.TurnDone(None, error="stt-failed") in got, got
    assert dialogue.turns == []
    transcriber._fail_with = None
    stream(session, say("add eggs"))
    messages(out)
    assert dialogue.turns == ["add milk"]
    assert not session.closed.is_set()
