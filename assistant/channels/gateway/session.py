"""One device's session: endpointing, speech-to-text, the dialogue (its own Rasa conversation
and customer token) and text-to-speech, all on a worker thread of its own.

The worker reads a bounded inbox (at most ``INBOX_SECONDS`` of audio; a device that sends
faster than real time or than its session works waits while its connection stops reading, so
TCP slows it down) and writes typed messages (``channels/protocol.py``) and reply audio to the
connection's bounded outbox (a device that reads slowly slows its own session down, nobody
else's). A kiosk's screen updates are ``kiosk.py``'s.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from assistant.channels import protocol as p
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.kiosk import KioskScreen
from assistant.channels.gateway.link import END_OF_STREAM, Control, DeviceLink
from assistant.channels.gateway.speech import Outgoing, SpeechParts, stream_reply
from assistant.channels.protocol import GatewayError
from assistant.chat import PIN_SHOWN, ChatSession, PinLine, pin_line, spoken_digits
from assistant.dialogue import RasaDialogue
from assistant.errors import CODED_ERRORS, CommerceError
from assistant.events import Event, IntentParsed, ReplyReady, TranscriptReady
from assistant.settings import Settings
from assistant.turns import UNAVAILABLE, UNAVAILABLE_TEXT, EventBus, Turn, TurnEngine
from audio import formats, vad
from audio.base import CHANNELS, RATE, WIDTH, AudioChunk, Expect, Transcript
from audio.wakeword import ListenChange, ListenReason, WakeGate

log = logging.getLogger(__name__)

__all__ = ["UNAVAILABLE", "Session"]  # UNAVAILABLE: what the device hears when all is down
_T = TypeVar("_T")
# A follow-up window lasts while the device plays the question (its reply audio's length) and
# then ``speech.follow_up_s``, in the audio the device sends and, for a device that sends none,
# in wall time plus this margin.
FOLLOW_UP_GRACE_S = 2.0


@dataclass
class Customer:
    handle: str
    name: str
    token: str
    expires_at: datetime


class Session(DeviceLink):
    """A device's conversation; all its work happens on its own worker thread."""

    def __init__(
        self,
        session_id: str,
        device: dict[str, Any],
        device_token: str,
        settings: Settings,
        directory: DeviceDirectory,
        dialogue: RasaDialogue,
        speech: SpeechParts,
        idle_timeout_s: float,
    ) -> None:
        super().__init__()
        self.session_id = session_id
        self.device = device
        self.kind: str = device["kind"]
        self.device_id = device["device_id"]
        self.store_id: str = device["store_id"]
        self._device_token = device_token
        self.settings = settings
        self.directory = directory
        self.dialogue = dialogue
        self.speech = speech
        self.idle_timeout_s = idle_timeout_s
        self.customer: Customer | None = None
        self.conversation: ChatSession | None = None
        self.engine: TurnEngine | None = None  # the signed-in customer's turns
        self.bus = EventBus()  # what the engine publishes, sent to the device as messages
        self.bus.subscribe(self._publish)
        self.awaiting_pin_for: p.SignIn | None = None  # kiosk sign-in by voice PIN
        self.screen = KioskScreen(directory, self.emit)  # a home device may ask for slots too
        self.speaking = threading.Event()
        self._barge = threading.Event()
        self.last_activity = time.monotonic()
        self.turns: list[dict[str, Any]] = []  # what each turn did (for tests and benches)
        self._endpointer: vad.Endpointer | None = None
        self._heard_since_end_of_speech = False
        # home: the wake word gate (made on the worker); kiosks listen without a wake word
        self._wake: WakeGate | None = None
        self._window_until: float | None = None  # wall-clock end of a follow-up window
        self.muted = False  # the device muted: its audio is dropped undecoded
        self._reply_s = 0.0  # seconds of reply audio sent in this turn
        self._reply_bytes_per_s = RATE * WIDTH  # of that audio (its audio_start says)
        if self.kind == "home":
            self._start_customer(device)
        self._thread = threading.Thread(target=self._run, name=f"session-{session_id[:6]}")
        self._thread.daemon = True
        self._thread.start()

    def hello(self) -> p.Ready:
        return p.Ready(
            p.PROTOCOL,
            self.session_id,
            "kiosk" if self.kind == "kiosk" else "home",
            self.store_id,
            self.device.get("store_name"),
            self._customer_view(),
            p.AudioFormat(),
        )

    # -- customers ------------------------------------------------------------------------
    def _customer_view(self) -> p.CustomerView | None:
        if self.customer is None:
            return None
        return p.CustomerView(self.customer.handle, self.customer.name)

    def _start_customer(self, issued: dict[str, Any]) -> Customer:
        customer = self.customer = Customer(
            issued["customer"]["handle"],
            issued["customer"]["name"],
            issued["customer_token"],
            datetime.fromisoformat(issued["expires_at"]),
        )
        self.store_id = issued.get("store_id") or self.store_id
        self.conversation = ChatSession(
            self.settings,
            self.dialogue,
            customer.token,
            self.store_id,
            sender=f"{self.kind}-{self.device_id}-{secrets.token_hex(6)}",
            subject=issued["customer"].get("subject"),
        )
        self.engine = TurnEngine(self.conversation, bus=self.bus, voice=self._voice)
        if self.kind == "kiosk":
            # Orders at a kiosk need a touch: a spoken yes is answered "press Confirm".
            self.conversation.metadata["confirm_by"] = "touch"
        return customer

    def _refresh_home_token(self) -> None:
        if self.customer is None or self.kind != "home":
            return
        if self.customer.expires_at - datetime.now(UTC) < timedelta(minutes=5):
            issued = self.directory.session(self._device_token)
            self.customer.token = issued["customer_token"]
            self.customer.expires_at = datetime.fromisoformat(issued["expires_at"])
            if self.conversation is not None:
                self.conversation.token = self.customer.token
                self.conversation.metadata["customer_token"] = self.customer.token

    def end(self, reason: str) -> None:
        """The session is over for good: a kiosk forgets its customer; a home device's customer
        token (issued for this session) is revoked rather than left to expire."""
        if self.kind == "home" and self.customer is not None:
            try:
                self.directory.sign_out(self._device_token, self.customer.token)
            except CODED_ERRORS as err:
                log.warning("revoking a home session's token failed: %s", err.code)
            return
        self._sign_out(reason)

    def _sign_out(self, reason: str) -> None:
        """Kiosk: forget the customer entirely (token revoked, conversation dropped)."""
        if self.kind != "kiosk" or self.customer is None:
            return
        try:
            self.directory.sign_out(self._device_token, self.customer.token)
        except CODED_ERRORS as err:
            log.warning("sign-out of a kiosk customer failed: %s", err.code)
        self.customer = None
        self.conversation = None
        self.engine = None
        self.awaiting_pin_for = None
        self.turns.clear()
        self.emit(p.SignedOut(reason))

    # -- the worker -----------------------------------------------------------------------
    def _audio(self) -> Iterator[AudioChunk]:
        """The device's audio; control messages are handled here, between audio frames."""
        silence = formats.silence(self.settings.speech.vad_silence_ms + 200).data
        while not self.closed.is_set():
            try:
                item = self.inbox.get(1.0)
            except queue.Empty:
                self._check_idle()
                self._check_window()
                continue
            if item is END_OF_STREAM:
                return
            self._check_idle()  # also while a kiosk's microphone keeps streaming
            self._check_window()
            if isinstance(item, bytes):
                yield from self._heard_audio(AudioChunk(RATE, WIDTH, CHANNELS, item))
            elif isinstance(item, Control):
                message = self._safely(p.decode_device, item.data)
                if not isinstance(message, p.Ping):
                    self.last_activity = time.monotonic()
                if isinstance(message, p.EndOfSpeech):
                    if self._endpointer is not None and self._endpointer.in_speech:
                        yield AudioChunk(RATE, WIDTH, CHANNELS, silence)  # closes it
                    elif self._heard_since_end_of_speech:
                        pass  # the pause already ended that utterance: its turn is done
                    else:  # push-to-talk released with nothing said
                        self.emit(p.TurnDone(None, nothing_heard=True))
                    self._heard_since_end_of_speech = False
                elif message is not None:
                    self._safely(self._control, message)

    def _heard_audio(self, chunk: AudioChunk) -> list[AudioChunk]:
        """What of the device's audio may be decoded: nothing while muted; at home only what
        the gateway's own wake word check lets through (a device that was fooled, or sends
        without waking, puts nothing into the conversation); at a kiosk all of it."""
        if self.muted:
            return []
        if self.kind != "home":
            return [chunk]
        if self._wake is None:
            return []
        return self._wake.feed(chunk)

    def _listening(self, change: ListenChange) -> None:
        """The gate opened or closed: the device's listening indicator."""
        self._window_until = None
        if not change.listening and self._endpointer is not None:
            self._endpointer.reset()  # nothing heard while open is kept for the next one
        reason = typing.cast(p.ListenReason, str(change.reason))
        self.emit(p.Listening(change.listening, reason, change.window_s))

    def _check_window(self) -> None:
        if (
            self._wake is not None
            and self._window_until is not None
            and time.monotonic() > self._window_until
            and not (self._endpointer is not None and self._endpointer.in_speech)
        ):
            self._wake.close(ListenReason.WINDOW_CLOSED)

    def _run(self) -> None:
        try:
            if self.kind == "home" and self.speech.wake_word_factory is not None:
                speech = self.settings.speech
                self._wake = WakeGate(
                    self.speech.wake_word_factory(),
                    preroll_s=speech.wake_word_preroll_ms / 1000,
                    window_s=speech.follow_up_s,
                    on_change=self._listening,
                )
            endpointer = self._endpointer = self.speech.endpointer_factory()
            transcriber = self.speech.transcriber_factory()
            expect = lambda: Expect.PIN if self._private() else Expect.SPEECH  # noqa: E731
            for event in vad.listen(self._audio(), transcriber, endpointer, expect):
                if isinstance(event, vad.SpeechStarted):
                    self.last_activity = time.monotonic()
                    self._window_until = None
                    if self._wake is not None:
                        self._wake.speech_started()
                    if self.speaking.is_set():
                        self._barge.set()  # barge-in: stop sending the reply audio
                    self.emit(p.SpeechStarted())
                elif isinstance(event, vad.PartialTranscript):
                    if not self._private():
                        self.emit(p.Partial(event.text))
                elif isinstance(event, vad.SpeechEnded):
                    if self._wake is not None:  # deaf again until the next wake word
                        self._wake.close(ListenReason.END_OF_UTTERANCE)
                    self._ended_at = time.perf_counter()
                    self._vad_wait_ms = (event.at_s - event.utterance.end_s) * 1000
                elif isinstance(event, vad.UtteranceTranscribed):
                    self._heard_since_end_of_speech = True
                    self._safely(self._heard, event.transcript)
        except Exception:  # the session ends; the device is told, nothing leaks
            log.exception("session %s failed", self.session_id)
            self.emit(p.Error("session-failed", "Session ended."))
        finally:
            self.closed.set()

    def _safely(self, handler: Callable[[Any], _T], arg: Any) -> _T | None:
        """``handler(arg)``; a coded error goes to the device instead (None)."""
        try:
            return handler(arg)
        except CODED_ERRORS as err:
            self.emit(p.Error.of(err))
            return None

    def _private(self) -> bool:
        return self.awaiting_pin_for is not None or bool(
            self.conversation and self.conversation.expecting_pin
        )

    def _shown(self, text: str) -> str:
        """What may be shown of a line: at the PIN prompt, anything with digits is hidden."""
        return PIN_SHOWN if self._private() and pin_line(text) != PinLine.WORDS else text

    def _check_idle(self) -> None:
        if (
            self.kind == "kiosk"
            and self.customer is not None
            and time.monotonic() - self.last_activity > self.idle_timeout_s
        ):
            self._sign_out("idle")

    # -- turns: the turn engine's, this session only brings the input ----------------------
    def _heard(self, transcript: Transcript) -> None:
        if self.awaiting_pin_for is not None:  # a kiosk sign-in PIN, said aloud
            self.emit(p.Transcript(PIN_SHOWN))
            self._finish_sign_in(self.awaiting_pin_for, transcript.text.strip())
            return
        ended_at = getattr(self, "_ended_at", time.perf_counter())
        vad_wait_ms = getattr(self, "_vad_wait_ms", 0.0)
        self._turn(
            self._shown(transcript.text.strip()),
            lambda engine: engine.spoken(transcript, ended_at, vad_wait_ms),
        )

    def _typed(self, text: str, shown: str | None = None, **extra: Any) -> None:
        self._turn(shown or self._shown(text), lambda engine: engine.typed(text, extra, shown))

    def _turn(self, shown: str, run: Callable[[TurnEngine], Turn]) -> None:
        """One turn by the engine; what only a device session adds: sign-in first, a fresh
        home token, a spoken apology when the dialogue cannot answer, the kiosk's screens."""
        self.last_activity = time.monotonic()
        self._reply_s = 0.0
        if self.engine is None:
            self.emit(p.Transcript(shown))
            self.emit(p.Error("sign-in-needed", "Sign in or choose guest first."))
            return
        try:
            self._refresh_home_token()
            turn = run(self.engine)
        except CODED_ERRORS as err:  # Rasa (or the shop, for a new token) not answering
            log.warning("session %s: a turn failed (%s)", self.session_id, err.code)
            self._apologise(err.code)
            return
        self.turns.append(
            {
                "transcript": turn.transcript,
                "engine": turn.engine,
                "intent": turn.intent,
                "responses": turn.responses,
                "timings_ms": turn.timings_ms,
            }
        )
        if self.kind == "kiosk":
            try:
                self._kiosk_views(turn.payloads)
            except CODED_ERRORS as err:  # the screen misses an update; the turn still ends
                log.warning("session %s: kiosk views failed (%s)", self.session_id, err.code)
        self.emit(p.TurnDone(turn.intent, timings_ms=turn.timings_ms))
        if turn.expects_answer and self._wake is not None and not self._wake.awake:
            window_s = self.settings.speech.follow_up_s  # its answer needs no wake word
            self._wake.follow_up(window_s, delay_s=self._reply_s)
            if self._wake.awake:
                self._window_until = time.monotonic() + self._reply_s + window_s + FOLLOW_UP_GRACE_S
        if turn.intent == "goodbye":
            self._sign_out("goodbye")
        elif self.conversation is not None and self.conversation.erased:
            self._account_erased()

    def _account_erased(self) -> None:
        """The customer erased their account: a kiosk forgets them; a home device was unbound
        with it (its tokens revoked): it is told, and hears "sign in" to anything after."""
        if self.kind == "kiosk":
            self._sign_out("erased")
            return
        self.customer = None
        self.conversation = None
        self.engine = None
        self.emit(p.Error("account-erased", "This device's account was erased."))

    def _publish(self, event: Event) -> None:
        """The engine's events as the device's messages (reply audio goes by ``_voice``)."""
        if isinstance(event, TranscriptReady):
            self.emit(p.Transcript(event.text))
        elif isinstance(event, IntentParsed):
            self.emit(p.Intent(event.intent, event.confidence))
        elif isinstance(event, ReplyReady):
            for reply in event.replies:  # the skill's payload may ask for a PIN
                expect: Literal["pin"] | None = (
                    "pin" if reply.custom.get("expect") == "pin" else None
                )
                self.emit(p.Reply(reply.text, reply.response, expect))

    def _apologise(self, code: str) -> None:
        """The dialogue could not answer: say so aloud and end the turn (never silence)."""
        self.emit(p.Reply(UNAVAILABLE_TEXT, UNAVAILABLE))
        self._voice([UNAVAILABLE_TEXT])
        self.turns.append({"intent": None, "responses": [UNAVAILABLE], "error": code})
        self.emit(p.TurnDone(None, error=code))

    def _voice(self, texts: list[str]) -> float | None:
        """Stream the replies' audio to the device; when the first audio went out."""
        speaker = self.speech.speaker
        if not texts or speaker is None:
            return None
        self._barge.clear()
        self.speaking.set()
        try:
            return stream_reply(
                speaker,
                " ".join(texts),
                self._reply_out,
                lambda: self._barge.is_set() or self.closed.is_set(),
            )
        finally:
            self.speaking.clear()

    def _reply_out(self, message: Outgoing) -> None:
        """Reply audio to the device, its length counted (a follow-up window waits for it)."""
        if isinstance(message, p.AudioStart):
            self._reply_bytes_per_s = message.rate * message.width * message.channels
        elif isinstance(message, bytes):
            self._reply_s += len(message) / self._reply_bytes_per_s
        self.emit(message)

    def _kiosk_views(self, payloads: list[dict[str, Any]]) -> None:
        token = self.customer.token if self.customer is not None else None
        self.screen.after_turn(token, self.store_id, payloads)

    # -- control messages -----------------------------------------------------------------
    def _control(self, message: p.DeviceMessage) -> None:
        if isinstance(message, p.KIOSK_ONLY) and self.kind != "kiosk":
            raise GatewayError("kiosk-only", "Only a kiosk can do that.")
        match message:
            case p.Text(text):
                if self.awaiting_pin_for is not None:
                    self._finish_sign_in(self.awaiting_pin_for, text)
                    return
                self._typed(text)
            case p.Confirm():
                self._typed("/affirm", "[Confirm]", touched=True)
            case p.Cancel():
                self._typed("/deny", "[Cancel]")
            case p.SignIn(pin=pin):
                if pin:
                    self._finish_sign_in(message, pin)
                else:
                    self.awaiting_pin_for = message
                    self.emit(p.PinNeeded())
            case p.Guest():
                self._sign_out("new-customer")
                self._signed_in(self.directory.guest(self._device_token))
            case p.SignOut():
                self._sign_out("button")
            case p.AskSlots(day):
                self.screen.send_slots(self.store_id, day)
            case p.Ping():
                self.emit(p.Pong())
            case p.Mute(muted):
                self._mute(muted)
            case p.Stopped():  # a spoken "stop" on the device: what the reply asked waits
                self._barge.set()
                if self._wake is not None and self._wake.awake:
                    self._wake.close(ListenReason.END_OF_UTTERANCE)
            case _:  # a second hello
                raise GatewayError("message-unknown", f"unknown message type {message.TYPE!r}")

    def _mute(self, muted: bool) -> None:
        """Muted: the device's audio is dropped undecoded, an utterance in progress too."""
        self.muted = muted
        if self._wake is not None:
            self._wake.mute(muted)
        if muted and self._endpointer is not None:
            self._endpointer.reset()
        self.emit(p.Muted(muted))

    def _finish_sign_in(self, who: p.SignIn, spoken_pin: str) -> None:
        self.awaiting_pin_for = None
        if pin_line(spoken_pin) != PinLine.DIGITS:  # "cancel": no sign-in attempt is made
            self.emit(p.SignInFailed("pin-not-given"))
            return
        pin = spoken_digits(spoken_pin)
        self._sign_out("new-customer")
        try:
            issued = self.directory.sign_in(self._device_token, {**who.who(), "pin": pin})
        except CommerceError as err:
            self.emit(p.SignInFailed(err.code))
            return
        self._signed_in(issued)

    def _signed_in(self, issued: dict[str, Any]) -> None:
        customer = self._start_customer(issued)
        self.emit(p.SignedIn(p.CustomerView(customer.handle, customer.name)))
        self._kiosk_views([])
