"""One device's session: endpointing, speech-to-text, the dialogue (its own Rasa conversation
and customer token) and text-to-speech, all on a worker thread of its own.

The worker reads a bounded inbox (``link.py``: a device that sends too fast waits, its
connection unread) and writes typed messages and reply audio to the connection's bounded
outbox (a device that reads slowly slows its own session only). What is heard is
``listening.py``'s, a kiosk's screen ``kiosk.py``'s, the state to resume ``resumable.py``'s.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from assistant.channels import protocol as p
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.kiosk import KioskScreen
from assistant.channels.gateway.link import END_OF_STREAM, REPLAY, Control, DeviceLink, Erased
from assistant.channels.gateway.listening import Listener
from assistant.channels.gateway.resumable import Keeper, SessionState, restore, snapshot
from assistant.channels.gateway.speech import ReplyVoice, SpeechParts, device_messages
from assistant.channels.protocol import GatewayError
from assistant.chat import PIN_SHOWN, ChatSession, PinLine, pin_line, spoken_digits
from assistant.dialogue import RasaDialogue
from assistant.errors import CODED_ERRORS, CommerceError, SpeechToTextError
from assistant.events import Event
from assistant.settings import Settings
from assistant.turns import UNAVAILABLE, UNAVAILABLE_TEXT, EventBus, Turn, TurnEngine
from audio import formats, vad
from audio.base import CHANNELS, RATE, WIDTH, AudioChunk, Expect, Transcript

log = logging.getLogger(__name__)

__all__ = ["UNAVAILABLE", "Session"]  # UNAVAILABLE: what the device hears when all is down
_T = TypeVar("_T")


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
        keeper: Keeper | None = None,
        restored: SessionState | None = None,  # resumed from another gateway process
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
        self.keeper = keeper or Keeper()
        self.moved = False  # another gateway process resumed it: it goes, without ending
        self._ended = False  # over for good: its state is not written again
        self.replay_due = False  # resumed from another process: its screen is to be shown
        self._saved_at = 0.0
        self.customer: Customer | None = None
        self.conversation: ChatSession | None = None
        self.engine: TurnEngine | None = None  # the signed-in customer's turns
        self.bus = EventBus()  # what the engine publishes, sent to the device as messages
        self.bus.subscribe(self._publish)
        self.awaiting_pin_for: p.SignIn | None = None  # kiosk sign-in by voice PIN
        self.screen = KioskScreen(directory, self.emit)  # a home device may ask for slots too
        self.last_activity = time.monotonic()
        self.turns: list[dict[str, Any]] = []  # what each turn did (for tests and benches)
        self._endpointer: vad.Endpointer | None = None
        self._heard_since_end_of_speech = False
        self.voice = ReplyVoice(speech.speaker, self.emit, self.closed)
        self.listener = Listener(self.kind == "home", self.emit, self._forget_heard)
        if restored is not None:
            restore(self, restored, device)
        elif self.kind == "home":
            self.start_customer(device)
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
            p.CustomerView(self.customer.handle, self.customer.name) if self.customer else None,
            p.AudioFormat(),
        )

    # -- resuming on another gateway process ------------------------------------------------
    def save(self) -> None:
        """Write the state; when another process has resumed the session it goes from here
        (its connection, if any, is closed) without ending."""
        self._saved_at = time.monotonic()
        if self.moved or self._ended or self.keeper.save(snapshot(self)):
            return
        log.info("session %s resumed on another gateway process", self.session_id)
        self.moved = True
        self.close()
        self.kick()

    def _replay(self, _: None) -> None:
        """After a resume from another process: the listening indicator, the kiosk's screen."""
        self.listener.announce()
        if self.kind == "kiosk":
            self.screen.replay(self.customer.token if self.customer else None, self.store_id)

    # -- customers ------------------------------------------------------------------------
    def start_customer(self, issued: dict[str, Any], sender: str | None = None) -> Customer:
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
        if sender is not None:  # the conversation resumed: Rasa's tracker has its past
            self.conversation.sender = sender
        self.engine = TurnEngine(self.conversation, bus=self.bus, voice=self.voice)
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
        token (issued for this session) is revoked rather than left to expire. A session that
        another gateway process resumed is not over: it only goes from here."""
        if self.moved:
            return
        self._ended = True
        self.keeper.drop(self.session_id)
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
                continue
            if item is END_OF_STREAM:
                return
            self._check_idle()  # also while a kiosk's microphone keeps streaming
            if isinstance(item, bytes):
                yield from self.listener.hear(AudioChunk(RATE, WIDTH, CHANNELS, item))
            elif item is REPLAY:
                self._safely(self._replay, None)
            elif isinstance(item, Erased):
                self._safely(self._erased, item.subject)
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
                    self.save()

    def _forget_heard(self) -> None:
        """The gate closed: nothing heard while it was open is kept for the next utterance."""
        if self._endpointer is not None:
            self._endpointer.reset()

    def _run(self) -> None:
        expect = lambda: Expect.awaiting(self._private(), self.listener.after_wake)  # noqa: E731
        try:
            self.save()
            if self.kind == "home" and self.speech.wake_word_factory is not None:
                self.listener.start(self.speech.wake_word_factory(), self.settings)
            endpointer = self._endpointer = self.speech.endpointer_factory()
            transcriber = self.speech.transcriber_factory()
            while True:
                try:
                    return self._listen(vad.listen(self._audio(), transcriber, endpointer, expect))
                except SpeechToTextError as err:  # a recogniser worker died: that utterance
                    log.warning("session %s: %s; it goes on", self.session_id, err.code)
                    self._apologise(err.code)  # is lost, said so; a new worker takes the next
        except Exception:  # the session ends; the device is told, nothing leaks
            log.exception("session %s failed", self.session_id)
            self.emit(p.Error("session-failed", "Session ended."))
        finally:
            self.closed.set()

    def _listen(self, events: Iterator[vad.ListenEvent]) -> None:
        for event in events:
            if isinstance(event, vad.SpeechStarted):
                self.last_activity = time.monotonic()
                self.listener.speech_started()
                self.voice.barge_in()
                self.emit(p.SpeechStarted())
            elif isinstance(event, vad.PartialTranscript):
                if not self._private():
                    self.emit(p.Partial(event.text))
            elif isinstance(event, vad.SpeechEnded):
                self.listener.utterance_ended()
                self._ended_at = time.perf_counter()
                self._vad_wait_ms = (event.at_s - event.utterance.end_s) * 1000
            elif isinstance(event, vad.UtteranceTranscribed):
                self._heard_since_end_of_speech = True
                self._safely(self._heard, event.transcript)

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
        """A kiosk's idle customer is signed out; a follow-up window that ran out closes; the
        state is written again when a heartbeat is due."""
        in_speech = self._endpointer is not None and self._endpointer.in_speech
        self.listener.check_window(in_speech)
        if time.monotonic() - self._saved_at > self.keeper.heartbeat_s:
            self.save()
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
        self.voice.reply_s = 0.0
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
        if turn.expects_answer:  # its answer needs no wake word
            self.listener.follow_up(self.settings.speech.follow_up_s, self.voice.reply_s)
        if turn.intent == "goodbye":
            self._sign_out("goodbye")
        elif self.conversation is not None and self.conversation.erased:
            self._account_erased()
        self.save()

    def _erased(self, subject: str) -> None:
        """The customer was erased elsewhere (``DELETE /v1/me``): as by "forget me" here."""
        if self.conversation is None or not self.conversation.sender.startswith(subject + "."):
            return
        try:  # what this session said since the gateway erased the conversations goes too
            self.conversation.forget(subject)
        except Exception:  # the tracker store not answering: forgotten here all the same
            log.exception("session %s: its conversation was not erased", self.session_id)
        self._account_erased()
        self.save()

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
        """The engine's events as the device's messages (reply audio goes by ``voice``)."""
        for message in device_messages(event):
            self.emit(message)

    def _apologise(self, code: str) -> None:
        """The dialogue could not answer: say so aloud and end the turn (never silence)."""
        self.emit(p.Reply(UNAVAILABLE_TEXT, UNAVAILABLE))
        self.voice([UNAVAILABLE_TEXT])
        self.turns.append({"intent": None, "responses": [UNAVAILABLE], "error": code})
        self.emit(p.TurnDone(None, error=code))

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
                self.voice.barge_in()
                self.listener.reply_stopped()
            case _:  # a second hello
                raise GatewayError("message-unknown", f"unknown message type {message.TYPE!r}")

    def _mute(self, muted: bool) -> None:
        """Muted: the device's audio is dropped undecoded, an utterance in progress too."""
        self.listener.mute(muted)
        if muted:
            self._forget_heard()
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
        customer = self.start_customer(issued)
        self.emit(p.SignedIn(p.CustomerView(customer.handle, customer.name)))
        self._kiosk_views([])
