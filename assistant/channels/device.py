"""The reference device client: what a Raspberry-Pi speaker runs against the voice gateway.

``python run_assistant.py device --url ws://HOST:PORT/v1/stream --token TOKEN``
- with ``--wav A.wav B.wav …``: streams each file in real time (one turn per file) and prints
  the gateway's events as JSON lines; ``--reply-audio`` saves each reply as ``A.reply.wav``;
- with ``--text "LINE" …``: typed turns;
- with neither: the microphone and speaker (sounddevice), listening for the wake word on the
  device (``MicrophoneStream``): nothing leaves it before the wake word or while muted
  (``--mute``, or "m" and Enter); a chime when it starts and stops listening
  (``--no-earcons``); while a reply plays, a bare spoken "stop" stops it (``ReplyPlayer``,
  ``--no-stop-word``).

Messages both ways are the typed ones of ``protocol.py``, the gateway's own.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from assistant.channels import protocol as p
from assistant.errors import AssistantError
from audio import formats
from audio.base import AudioChunk
from audio.earcon import Chimes
from audio.stopword import StopWordSpotter
from audio.tts import AudioSink
from audio.wakeword import ListenChange, ListenReason, WakeGate

FRAME_MS = 50
TURN_TIMEOUT_S = 60.0
# What ends a turn's events: it is done, it failed, or a kiosk sign-in needs the PIN / failed.
TURN_ENDS = (p.TurnDone, p.Error, p.SignInFailed, p.PinNeeded)


class DeviceError(AssistantError):
    """The gateway refused the device or went away."""


class DeviceClient:
    """One connection to the gateway: hello, then audio / control out and events in."""

    def __init__(
        self, url: str, token: str, resume: str | None = None, ca: Path | None = None
    ) -> None:
        """``ca``: for a ``wss://`` gateway with a certificate no system authority signed."""
        self.url = url
        self.token = token
        tls = ssl.create_default_context(cafile=str(ca)) if ca is not None else None
        try:
            # no per-message compression: PCM hardly compresses and it costs both ends CPU
            self._connection = connect(
                url, open_timeout=10, max_size=2**22, compression=None, ssl=tls
            )
            self.ws: ClientConnection = self._connection.__enter__()
        except (OSError, TimeoutError) as err:
            raise DeviceError("gateway-unreachable", f"cannot reach {url}: {err}") from err
        self.audio: list[bytes] = []  # reply audio of the current turn
        self.audio_format: dict[str, int] = {}
        self.send(p.Hello(token, p.AudioFormat(), resume or None))
        ready = self.next_message(timeout_s=30)
        if not isinstance(ready, p.Ready):
            refusal = ready if isinstance(ready, p.Error) else p.Error("refused", "refused")
            raise DeviceError(refusal.code, refusal.message)
        self.ready = ready
        self.session_id = ready.session_id

    def close(self) -> None:
        self._connection.__exit__(None, None, None)

    def send(self, message: p.DeviceMessage) -> None:
        self.ws.send(p.encode(message))

    def send_control(self, message: dict[str, Any]) -> None:
        """A JSON object as it is, checked by the gateway only (tests send odd ones)."""
        self.ws.send(json.dumps(message))

    def send_audio(self, chunk: AudioChunk, real_time: bool = True) -> None:
        """Stream 16 kHz mono 16-bit audio in 50 ms frames (paced like a microphone)."""
        chunk = formats.to_engine_format(chunk)
        started = time.perf_counter()
        for n, frame in enumerate(formats.split(chunk, FRAME_MS)):
            self.ws.send(frame.data)
            if real_time:
                ahead = (n + 1) * FRAME_MS / 1000 - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)

    def next_event(self, timeout_s: float) -> dict[str, Any] | None:
        """The next message as its JSON object (what ``--wav`` / ``--text`` print)."""
        message = self.next_message(timeout_s)
        return None if message is None else p.to_wire(message)

    def next_message(self, timeout_s: float) -> p.GatewayMessage | None:
        """The next message (reply audio frames are collected on the way); None: none came
        in time."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                message = self.ws.recv(timeout=left)
            except TimeoutError:
                return None
            except ConnectionClosed as err:
                raise DeviceError(
                    "gateway-closed", f"the gateway closed the connection ({err.rcvd})"
                ) from err
            if isinstance(message, bytes):
                self.audio.append(message)
                continue
            try:
                event = p.decode_gateway(message)
            except p.GatewayError as err:  # not this protocol's: a gateway of another version
                raise DeviceError(err.code, f"from the gateway: {err.message}") from err
            if isinstance(event, p.AudioStart):
                self.audio = []
                self.audio_format = {
                    "rate": event.rate,
                    "width": event.width,
                    "channels": event.channels,
                }
            return event

    def events_until_turn_done(self, timeout_s: float = TURN_TIMEOUT_S) -> Iterator[dict[str, Any]]:
        """Events of one turn, through ``turn_done`` (the reply audio comes before it)."""
        while True:
            event = self.next_message(timeout_s)
            if event is None:
                raise DeviceError("turn-timeout", "no answer from the gateway in time")
            yield p.to_wire(event)
            if isinstance(event, TURN_ENDS):
                return

    def reply_audio(self) -> AudioChunk | None:
        if not self.audio or not self.audio_format:
            return None
        fmt = self.audio_format
        return AudioChunk(fmt["rate"], fmt["width"], fmt["channels"], b"".join(self.audio))


def run_files(
    client: DeviceClient, files: list[Path], out: IO[str], reply_audio: bool, real_time: bool
) -> None:
    out.write(p.encode(client.ready) + "\n")
    for path in files:
        audio = formats.read_wav(path)
        client.audio, client.audio_format = [], {}
        client.send_audio(audio, real_time=real_time)
        client.send(p.EndOfSpeech())
        for event in client.events_until_turn_done():
            out.write(json.dumps({"file": str(path), **event}) + "\n")
            out.flush()
        reply = client.reply_audio()
        if reply_audio and reply is not None:
            target = path.with_name(path.stem + ".reply.wav")
            formats.write_wav(target, reply)
            out.write(json.dumps({"file": str(path), "type": "reply_audio", "path": str(target)}))
            out.write("\n")


def run_texts(client: DeviceClient, lines: list[str], out: IO[str]) -> None:
    out.write(p.encode(client.ready) + "\n")
    for line in lines:
        client.audio, client.audio_format = [], {}
        client.send(p.Text(line))
        for event in client.events_until_turn_done():
            out.write(json.dumps(event) + "\n")
            out.flush()


# On waking, the device sends this much of what it heard before it decided: the whole wake
# phrase, which the gateway checks again, and the start of a command said in the same breath.
WAKE_LEAD_S = 2.0
# The gateway has this long (seconds of audio) to confirm the wake word before the device stops.
CONFIRM_S = 3.0
# Beyond the gateway's follow-up window, the device keeps streaming this long (network delay).
WINDOW_MARGIN_S = 0.5


class MicrophoneStream:
    """A home device's microphone, gated by its wake word: no audio leaves the device until
    the wake word is heard here (then the wake phrase and what follows, which the gateway
    checks again), while the gateway says it listens (an utterance, a follow-up window after
    a question), and none at all while muted. ``sent_s`` counts the audio that left."""

    def __init__(
        self,
        client: DeviceClient,
        gate: WakeGate,
        muted: bool = False,
        chimes: Chimes | None = None,
    ) -> None:
        self.client = client
        self.gate = gate
        self.gate.window_s = CONFIRM_S
        self.sent_s = 0.0
        self._lock = threading.Lock()
        self.muted = False
        self._stopped = False  # the customer stopped the reply: its question needs the wake word
        if chimes is not None:  # a chime on every opening and closing the customer should hear
            heard = gate.on_change

            def chime(change: ListenChange) -> None:
                chimes.listening(change.listening, change.reason)
                if heard is not None:
                    heard(change)

            gate.on_change = chime
        if muted:
            self.mute(True)

    def feed(self, chunk: AudioChunk) -> None:
        """A block of the microphone (16 kHz mono 16-bit)."""
        with self._lock:
            passed = self.gate.feed(chunk)  # muted: dropped, not even the detector hears it
        for audio in passed:
            self.client.send_audio(audio, real_time=False)
            self.sent_s += audio.duration_s

    def mute(self, muted: bool = True) -> None:
        """Stop (or resume) all audio leaving the device; the gateway is told."""
        with self._lock:
            self.muted = muted
            self.gate.mute(muted)
        self.client.send(p.Mute(muted))

    def heard(self, message: p.GatewayMessage) -> None:
        """Follow the gateway: keep streaming while it listens, stop when it stops."""
        if not isinstance(message, p.Listening):
            return
        with self._lock:
            if message.listening and message.reason == "follow_up" and self._stopped:
                self._stopped = False  # the gateway closes that window too (``stopped``)
            elif message.listening and message.reason == "follow_up" and not self.gate.awake:
                self.gate.follow_up((message.window_s or 0) + WINDOW_MARGIN_S)
            elif message.listening:
                self.gate.speech_started()  # the gateway confirmed it: no deadline here
            else:
                self.gate.close(ListenReason(message.reason))

    def reply_stopped(self) -> None:
        """The customer said "stop" over the reply: the gateway is told, and the follow-up
        window the reply would have opened stays shut (the wake word is needed again)."""
        with self._lock:
            self._stopped = True
            if self.gate.awake:
                self.gate.close(ListenReason.END_OF_UTTERANCE)
        self.client.send(p.Stopped())


class ReplyPlayer:
    """Plays the reply audio on the device's speaker. While it plays, the microphone's blocks
    (``hear``) also go to a stop-word spotter: a bare "stop" / "cancel" stops the reply (the
    wake word does too: ``interrupt``). No audio leaves the device for it."""

    def __init__(self, sink: AudioSink, spotter: StopWordSpotter | None = None) -> None:
        self.sink = sink
        self.spotter = spotter
        self.interrupt = threading.Event()
        self.playing = threading.Event()
        self.heard_stop: str | None = None
        self._lock = threading.Lock()

    def hear(self, chunk: AudioChunk) -> None:
        """A block of the microphone; listened to only while a reply plays."""
        if self.spotter is None or not self.playing.is_set():
            return
        with self._lock:
            said = self.spotter.process(chunk) if self.playing.is_set() else None
        if said:
            self.heard_stop = said
            self.interrupt.set()

    def play(self, reply: AudioChunk) -> bool:
        """Play ``reply`` until it ends or is interrupted; whether a spoken stop ended it."""
        self.heard_stop = None
        self.interrupt.clear()
        if self.spotter is not None:
            with self._lock:
                self.spotter.start()
        self.playing.set()
        try:
            self.sink.play(reply, self.interrupt)
        finally:
            self.playing.clear()
            if self.spotter is not None:
                with self._lock:
                    self.spotter.stop()
        return self.heard_stop is not None


def indicator(message: p.GatewayMessage) -> str | None:
    """The line a device shows for the listening indicator and mute."""
    if isinstance(message, p.Listening):
        if message.listening:
            window = f", {message.window_s:g} s" if message.window_s else ""
            return f"● listening ({message.reason.replace('_', ' ')}{window})"
        return "○ not listening"
    if isinstance(message, p.Muted):
        return "✕ muted: nothing leaves this device" if message.muted else "○ unmuted"
    return None


def run_microphone(
    client: DeviceClient,
    gate: WakeGate,
    source: Any,
    player: ReplyPlayer,
    muted: bool = False,
    keys: IO[str] | None = None,
    chimes: Chimes | None = None,
) -> None:
    """Microphone to the gateway once woken, reply audio to the speaker (the wake word or a
    bare "stop" stops it), events and the listening indicator to the terminal, a chime when
    listening starts and stops; a line "m" on ``keys`` mutes / unmutes. ``source``: an
    ``AudioSource`` with ``close()`` (``MicrophoneSource``)."""
    stop = threading.Event()

    def on_change(change: ListenChange) -> None:
        if change.listening and change.reason == ListenReason.WAKE:
            player.interrupt.set()  # the wake word while a reply plays stops it

    gate.on_change = on_change
    mic = MicrophoneStream(client, gate, muted, chimes)

    def listen() -> None:
        for chunk in source.chunks():
            if stop.is_set():
                return
            player.hear(chunk)
            mic.feed(chunk)

    def keyboard() -> None:
        for line in keys or ():
            if line.strip().lower() in ("m", "mute", "unmute"):
                mic.mute(not mic.muted)

    threading.Thread(target=listen, daemon=True).start()
    threading.Thread(target=keyboard, daemon=True).start()
    print(indicator(p.Muted(True)) if muted else "○ not listening", flush=True)
    try:
        while True:
            event = client.next_message(timeout_s=3600)
            if event is None:
                continue
            mic.heard(event)
            shown = indicator(event)
            if shown is not None:
                print(shown, flush=True)
            if isinstance(event, p.Partial | p.Transcript | p.Reply | p.Error):
                print(p.encode(event), flush=True)
            if isinstance(event, p.AudioEnd):
                reply = client.reply_audio()
                if reply is not None and player.play(reply):
                    print(f"■ stopped ({player.heard_stop!r} heard)", flush=True)
                    mic.reply_stopped()
    finally:
        stop.set()
        source.close()
        if chimes is not None:
            chimes.close()
