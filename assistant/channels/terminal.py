"""The terminal: a small live display of pipeline events, and the keyboard (text) mode."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterable
from typing import IO

from assistant.chat import ChatSession
from assistant.events import (
    ErrorRaised,
    Event,
    IntentParsed,
    Listening,
    ListeningChanged,
    PartialTranscript,
    ReplyReady,
    SpeechDone,
    SpeechStarted,
    TranscriptReady,
)
from assistant.turns import TurnEngine


class TerminalDisplay:
    """Prints one short line per event; partial transcripts overwrite each other on a tty."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout
        self.live = self.out.isatty()
        self._partial = False

    def _line(self, text: str) -> None:
        if self._partial:
            self.out.write("\r\033[K" if self.live else "\n")
            self._partial = False
        self.out.write(text + "\n")
        self.out.flush()

    def __call__(self, event: Event) -> None:
        if isinstance(event, Listening):
            self._line("… listening")
        elif isinstance(event, ListeningChanged):
            self._line(listening_line(event))
        elif isinstance(event, PartialTranscript):
            if self.live:
                self.out.write(f"\r\033[K  {event.text}")
                self.out.flush()
                self._partial = True
        elif isinstance(event, TranscriptReady):
            self._line(f"you: {event.text}")
        elif isinstance(event, IntentParsed):
            confidence = f" {event.confidence:.2f}" if event.confidence is not None else ""
            self._line(f"  [{event.intent}{confidence}]")
        elif isinstance(event, ReplyReady):
            for reply in event.replies:
                if reply.text:
                    self._line(f"assistant: {reply.text}")
        elif isinstance(event, SpeechStarted):
            pass
        elif isinstance(event, SpeechDone):
            if event.interrupted:
                self._line("  (stopped speaking)")
        elif isinstance(event, ErrorRaised):
            self._line(f"! {event.message} [{event.code}]")


def listening_line(event: ListeningChanged) -> str:
    """The listening indicator as a line: on (why, for how long) or off."""
    if event.listening:
        window = f", {event.window_s:g} s" if event.window_s else ""
        return f"● listening ({event.reason.replace('_', ' ')}{window})"
    if event.reason == "muted":
        return "✕ muted: not listening"
    return "○ not listening"


def keyboard_lines(session: ChatSession, prompt: str = "> ") -> Iterable[str]:
    """Lines typed by the customer; a PIN is read without echo when the assistant asks for one."""
    interactive = sys.stdin.isatty()
    while True:
        try:
            if interactive and session.expecting_pin:
                line = getpass.getpass("PIN (hidden): ")
            elif interactive:
                line = input(prompt)
            else:
                line = sys.stdin.readline()
                if not line:
                    return
        except EOFError:
            return
        if line.strip():
            yield line.strip()


def text_mode(engine: TurnEngine, lines: Iterable[str]) -> None:
    """Keyboard in, through the turn engine: replies printed (the display subscribes to its
    bus) and spoken when it has a speaker; typing again interrupts the last reply."""
    for line in lines:
        if engine.typed(line).intent == "goodbye":
            break
    engine.finish_speaking(timeout_s=30)
