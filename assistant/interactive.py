"""`python run_assistant.py [--text]`: the assistant for one customer on this machine.

Starts what it needs (commerce service, action server, Rasa) on the embedded defaults, then
listens on the default microphone and speaks on the default speaker. Where there is no
microphone it says so and falls back to text mode; where there is no speaker, replies are
printed only.
"""

from __future__ import annotations

import argparse
import logging
import sys

from assistant import speech as factory
from assistant.channels.terminal import TerminalDisplay, keyboard_lines, text_mode
from assistant.chat import ChatSession, ConversationToken, customer_subject
from assistant.dialogue import RasaDialogue
from assistant.errors import CODED_ERRORS
from assistant.events import Event, as_dict
from assistant.services import running
from assistant.settings import Settings
from assistant.training import train
from assistant.turns import EventBus, SpeechClock, TurnEngine
from assistant.voice import microphone_loop, warm_up
from audio import devices
from audio.base import Speaker
from audio.earcon import Chimes

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", action="store_true", help="type instead of speaking")
    parser.add_argument("--customer", default="alice", help="who is shopping (default: alice)")
    parser.add_argument("--store", help="a kiosk's store id (default: the customer's home store)")
    parser.add_argument(
        "--no-barge-in", action="store_true", help="do not stop speaking when the customer talks"
    )
    parser.add_argument(
        "--no-earcons", action="store_true", help="no chime when it starts or stops listening"
    )


def log_event(event: Event) -> None:
    log.info("event %s", as_dict(event))


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    train(settings)
    bus = EventBus()
    bus.subscribe(TerminalDisplay())
    bus.subscribe(log_event)
    clock = SpeechClock(bus)
    speaker: Speaker | None
    try:
        speaker = factory.build_speaker(settings, on_event=clock)
    except CODED_ERRORS as err:
        say(f"No speaker here ({err.message}): replies are printed only.")
        speaker = None
    text = args.text
    if not text:
        try:
            devices.check_input(settings.speech.input_device)
        except CODED_ERRORS as err:
            say(f"No microphone here ({err.message}). Switching to text mode: type your requests.")
            text = True
    # it may listen for days: its token expires within hours and is renewed before it does;
    # every one is revoked when the assistant stops
    with (
        running(settings) as stack,
        ConversationToken(stack.settings, args.customer) as token,
    ):
        d = stack.settings.dialogue
        dialogue = RasaDialogue.of(d)
        session = ChatSession(
            stack.settings,
            dialogue,
            token.value,
            args.store,
            renew=token.current,
            subject=customer_subject(stack.settings, token.value),
        )
        try:
            spoken_by = speaker or _SilentSpeaker()
            speech_clock = clock if speaker is not None else None
            if text:
                say("Text mode: type a request and press Enter; Ctrl-D ends.")
                text_mode(
                    TurnEngine(session, spoken_by, bus, speech_clock), keyboard_lines(session)
                )
            else:
                transcriber = factory.build_transcriber(stack.settings)
                warm_up(transcriber, session)  # before it says it is listening
                engine = TurnEngine(session, spoken_by, bus, speech_clock, transcriber=transcriber)
                wake = factory.build_wake_gate(stack.settings)
                phrase = wake.detector.model.replace("_", " ")
                say(f"Say '{phrase}', then something like 'add two litres of milk'. Ctrl-C ends.")
                chimes = Chimes(
                    devices.SoundDeviceSink(settings.speech.output_device),
                    enabled=speaker is not None and settings.speech.earcons and not args.no_earcons,
                )
                microphone_loop(
                    engine,
                    devices.MicrophoneSource(settings.speech.input_device),
                    factory.build_endpointer(stack.settings),
                    wake,
                    barge_in=not args.no_barge_in,
                    chimes=chimes,
                )
        finally:
            dialogue.close()
            close = getattr(speaker, "close", None)
            if close is not None:
                close()
    return 0


class _SilentSpeaker:
    """No sound device: replies are only printed (the display shows them)."""

    def speak(self, text: str) -> None:
        pass

    def stop(self) -> None:
        pass

    def wait(self, timeout_s: float | None = None) -> bool:
        return True
