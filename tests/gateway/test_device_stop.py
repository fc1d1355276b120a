"""The reference device's own parts, on the real models: a bare spoken "stop" stops the reply
it plays (and sentences with the word inside do not), the gateway is told and the question's
window stays shut; a chime when it starts and stops listening, on a fake output device."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest

from assistant.channels import protocol as p
from assistant.channels.device import DeviceClient, MicrophoneStream, ReplyPlayer
from assistant.voice import paced
from audio.base import AudioChunk
from audio.earcon import Chimes, Earcon, tone
from audio.formats import join, silence, split
from audio.stopword import StopWordSpotter
from audio.synthetic import synthesize
from audio.tts import CollectingSink
from audio.wakeword import MicroWakeWordDetector, WakeGate


class RealTimeSink:
    """A speaker that takes as long as the audio lasts, in 50 ms writes (stops between)."""

    def __init__(self) -> None:
        self.played_s = 0.0

    def play(self, chunk: AudioChunk, stop: threading.Event) -> None:
        for piece in split(chunk, 50):
            if stop.is_set():
                return
            time.sleep(piece.duration_s)
            self.played_s += piece.duration_s


class FakeClient:
    """Records what the device would send to the gateway."""

    def __init__(self) -> None:
        self.audio_s = 0.0
        self.sent: list[p.Message] = []

    def send_audio(self, chunk: AudioChunk, real_time: bool = True) -> None:
        self.audio_s += chunk.duration_s

    def send(self, message: p.Message) -> None:
        self.sent.append(message)


@pytest.fixture(scope="module")
def say(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache: Path = tmp_path_factory.mktemp("voices")
    return lambda text, voice="kal": join([silence(300), synthesize(text, voice, cache)])


def play_while_heard(heard: AudioChunk) -> tuple[bool, ReplyPlayer, RealTimeSink]:
    """A 6-second reply plays while the microphone hears ``heard`` (in real time)."""
    sink = RealTimeSink()
    player = ReplyPlayer(sink, StopWordSpotter())

    def microphone() -> None:
        while not player.playing.is_set():
            time.sleep(0.01)
        for chunk in paced(split(join([heard, silence(1500)]), 30)):
            player.hear(chunk)

    listening = threading.Thread(target=microphone)
    listening.start()
    stopped = player.play(silence(6000))
    listening.join()
    return stopped, player, sink


def test_a_bare_stop_stops_the_reply(say: Any) -> None:
    stopped, player, sink = play_while_heard(say("stop"))
    assert stopped
    assert player.heard_stop == "stop"
    assert sink.played_s < 4.0  # of 6 s


def test_a_sentence_with_stop_inside_does_not(say: Any) -> None:
    stopped, player, sink = play_while_heard(say("please stop by the store tomorrow"))
    assert not stopped
    assert player.heard_stop is None
    assert sink.played_s == pytest.approx(6.0, abs=0.1)


def test_the_device_chimes_when_listening_starts_and_ends_and_a_stop_shuts_the_window(
    say: Any,
) -> None:
    client, output = FakeClient(), CollectingSink()
    chimes = Chimes(output)
    mic = MicrophoneStream(
        cast(DeviceClient, client), WakeGate(MicroWakeWordDetector(), preroll_s=2.0), chimes=chimes
    )
    for chunk in split(join([say("okay nabu, add a dozen eggs"), silence(500)]), 30):
        mic.feed(chunk)
    chimes.flush()
    assert [c.data for c in output.chunks] == [tone(Earcon.LISTENING).data]
    assert client.audio_s > 0  # woken: the audio went to the gateway
    mic.heard(p.Listening(False, "end_of_utterance"))
    chimes.flush()
    assert [c.data for c in output.chunks][1:] == [tone(Earcon.DONE).data]
    mic.reply_stopped()  # the customer said "stop" over "which one?"
    assert client.sent[-1] == p.Stopped()
    mic.heard(p.Listening(True, "follow_up", 6.0))  # the window the gateway had opened
    assert not mic.gate.awake
    chimes.close()
    assert len(output.chunks) == 2
