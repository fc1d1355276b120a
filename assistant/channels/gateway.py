"""The voice gateway: many devices (home speakers, store kiosks) stream audio over WebSockets.

Each connection authenticates with a device token (checked by the commerce service's
``/v1/device`` endpoints) and gets its own session: endpointing, speech-to-text, the dialogue
(its own Rasa conversation and customer token) and text-to-speech, on a worker thread of its
own. Events and reply audio stream back. The protocol is in the README ("Voice gateway").

Threads and queues: the event loop only moves frames. Each session's worker thread reads a
bounded inbox (at most ``INBOX_SECONDS`` of audio; a device that sends faster than real time
or than its session works waits while its connection stops reading, so TCP slows it down)
and writes to a bounded outbox that the connection drains (a device that reads slowly slows
its own session down, nobody else's).

Admission is one decision under one lock: a device holds at most ``max_per_device`` sessions,
``kiosk_seats`` places are kept for kiosks, and a full gateway first ends the session that has
waited longest for its device to come back. Hellos that fail (no hello, a bad token) are
counted per source address and refused ``rate-limited`` past ``HELLO_FAILURES`` a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import secrets
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse

from assistant.chat import PIN_SHOWN, ChatSession, PinLine, pin_line
from assistant.dialogue import RasaDialogue
from assistant.errors import CODED_ERRORS, AssistantError, CommerceError, ConfigError
from assistant.settings import Settings
from assistant.turns import NOTHING_HEARD
from audio import formats, vad
from audio.base import CHANNELS, RATE, WIDTH, AudioChunk, Expect, Transcriber, Transcript
from audio.stt_processes import ProcessTranscriber
from audio.tts import QueueSpeaker

log = logging.getLogger(__name__)

KIOSK_PAGE = Path(__file__).resolve().parent / "kiosk"
PROTOCOL = 1
MAX_FRAME_BYTES = RATE * WIDTH  # one second of audio per binary frame at most
AUDIO_BYTES_PER_S = RATE * WIDTH * CHANNELS
INBOX_SECONDS = 10.0  # the most audio a session buffers from its device ...
AHEAD_S = 10.0  # ... and the most a device may send ahead of real time before it waits
INBOX_MESSAGES = 256  # control messages (and audio frames) waiting at most
OUTBOX_MESSAGES = 256
MAX_SESSIONS = 32  # devices connected at once; more are refused with 1013 (gateway-full)
MAX_PER_DEVICE = 2  # sessions one device token may hold at once (device-busy beyond)
KIOSK_SEATS = 4  # places of MAX_SESSIONS that home devices cannot take
HELLO_TIMEOUT_S = 10
HELLO_FAILURES = 20  # failed hellos per source address a minute before it is rate-limited
HELLO_WINDOW_S = 60.0
# Spoken when the dialogue cannot answer (Rasa or the action server down), so it cannot live
# in the domain with the other responses.
UNAVAILABLE = "utter_assistant_unavailable"
UNAVAILABLE_TEXT = "Sorry, I'm having trouble right now. Please try again in a moment."
# Replies that ask a kiosk customer to touch Confirm / Cancel.
CONFIRM_RESPONSES = {"utter_quote_readback", "utter_press_confirm"}
# Days after today looked at for the next day with free slots a kiosk shows.
NEXT_DAY_LOOKAHEAD = 3
# Replies after which a kiosk shows pickup slots to tap.
SLOT_RESPONSES = {
    "utter_ask_pickup_time",
    "utter_slot_full_offer",
    "utter_need_pickup_first",
    "utter_no_free_slots",
}


class GatewayError(AssistantError):
    """A device did something the protocol does not allow (codes are sent to it)."""

    def __init__(self, code: str, message: str, close: int | None = None) -> None:
        super().__init__(code, message)
        self.close = close  # WebSocket close code when the connection must end


# -- the commerce service's device endpoints ----------------------------------------------
class DeviceDirectory:
    """Who a device is and the short-lived customer tokens it may use (``/v1/device``)."""

    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        except httpx.HTTPError as err:
            raise CommerceError(
                "service-unavailable", "The shop's service is not answering.", 503
            ) from err
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            error = body.get("error") or {}
            raise CommerceError(
                error.get("code", "refused"), error.get("message", "refused"), response.status_code
            )
        result: dict[str, Any] = body
        return result

    def session(self, device_token: str) -> dict[str, Any]:
        return self._call("POST", "/v1/device/session", device_token)

    def sign_in(self, device_token: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/v1/device/sign-in", device_token, json=body)

    def guest(self, device_token: str) -> dict[str, Any]:
        return self._call("POST", "/v1/device/guest", device_token)

    def sign_out(self, device_token: str, customer_token: str) -> None:
        self._call(
            "POST", "/v1/device/sign-out", device_token, json={"customer_token": customer_token}
        )

    def basket(self, customer_token: str) -> dict[str, Any]:
        return self._call("GET", "/v1/me/basket", customer_token)

    def slots(self, store_id: str, day: date) -> list[dict[str, Any]]:
        try:
            response = self._http.get(
                f"/v1/stores/{store_id}/pickup-slots", params={"date": day.isoformat()}
            )
        except httpx.HTTPError:
            return []
        if response.status_code >= 400:
            return []
        slots: list[dict[str, Any]] = response.json().get("slots", [])
        return slots


# -- the speech parts a session uses ------------------------------------------------------
@dataclass
class SpeechParts:
    """How sessions get recognisers and endpointers, and the shared speech synthesiser."""

    transcriber_factory: Callable[[], Transcriber]
    endpointer_factory: Callable[[], vad.Endpointer]
    speaker: QueueSpeaker | None  # None: replies are text only (no reply audio)
    close: Callable[[], None] | None = None  # stops what the parts hold (worker processes)


# -- one device's session -----------------------------------------------------------------
Outgoing = dict[str, Any] | bytes


@dataclass
class Customer:
    handle: str
    name: str
    token: str
    expires_at: datetime


@dataclass
class _Control:
    message: dict[str, Any]


_END_OF_STREAM = object()


class Inbox:
    """A session's inbox: audio frames and control messages in order, holding at most
    ``audio_bytes`` of audio and ``messages`` items. ``offer`` never blocks (the event loop
    retries a refused item later, its connection unread meanwhile)."""

    def __init__(self, audio_bytes: int, messages: int = INBOX_MESSAGES) -> None:
        self.audio_bytes = audio_bytes
        self.messages = messages
        self._items: deque[Any] = deque()
        self._audio = 0
        self._ready = threading.Condition()

    @property
    def audio_s(self) -> float:
        """Seconds of audio waiting."""
        return self._audio / AUDIO_BYTES_PER_S

    def offer(self, item: Any) -> bool:
        size = len(item) if isinstance(item, bytes) else 0
        with self._ready:
            full = len(self._items) >= self.messages or (
                size and self._audio and self._audio + size > self.audio_bytes
            )
            if full:
                return False
            self._items.append(item)
            self._audio += size
            self._ready.notify()
            return True

    def end(self) -> None:
        """The end of the stream, after whatever is waiting (never refused)."""
        with self._ready:
            self._items.append(_END_OF_STREAM)
            self._ready.notify()

    def get(self, timeout_s: float) -> Any:
        with self._ready:
            if not self._ready.wait_for(lambda: bool(self._items), timeout_s):
                raise queue.Empty
            item = self._items.popleft()
            if isinstance(item, bytes):
                self._audio -= len(item)
            return item


class Session:
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
        self.inbox = Inbox(int(INBOX_SECONDS * AUDIO_BYTES_PER_S))
        self.audio_received_s = 0.0  # audio taken from the device (for tests and logs)
        self._audio_until = time.monotonic()  # where the device's audio would end, in real time
        self._send: Callable[[Outgoing], None] | None = None
        self._kick: Callable[[], None] | None = None
        self.connection = 0  # which connection is attached (a resume attaches a new one)
        self._send_lock = threading.Lock()
        self.customer: Customer | None = None
        self.conversation: ChatSession | None = None
        self.awaiting_pin_for: dict[str, Any] | None = None  # kiosk sign-in by voice PIN
        self.speaking = threading.Event()
        self._barge = threading.Event()
        self.last_activity = time.monotonic()
        self.closed = threading.Event()
        self.turns: list[dict[str, Any]] = []  # what each turn did (for tests and benches)
        self._endpointer: vad.Endpointer | None = None
        self._heard_since_end_of_speech = False
        if self.kind == "home":
            self._start_customer(device)
        self._thread = threading.Thread(target=self._run, name=f"session-{session_id[:6]}")
        self._thread.daemon = True
        self._thread.start()

    # -- wiring to a connection (the event loop side) -------------------------------------
    def attach(self, send: Callable[[Outgoing], None], kick: Callable[[], None]) -> int:
        """A connection takes the session over; ``kick`` closes it when another one does.
        Returns the connection's number, for ``detach``."""
        with self._send_lock:
            self._send, self._kick = send, kick
            self.connection += 1
            return self.connection

    def detach(self, connection: int | None = None) -> bool:
        """The connection is gone; False when another one has taken the session over since."""
        with self._send_lock:
            if connection is not None and connection != self.connection:
                return False
            self._send = self._kick = None
            return True

    def kick(self) -> None:
        """Close the attached connection: another one resumes the session."""
        with self._send_lock:
            kick, self._send, self._kick = self._kick, None, None
            self.connection += 1  # the closed connection's end detaches nothing
        if kick is not None:
            kick()

    @property
    def attached(self) -> bool:
        with self._send_lock:
            return self._send is not None

    def emit(self, message: Outgoing) -> None:
        with self._send_lock:
            send = self._send
        if send is not None:
            send(message)

    def pace(self, nbytes: int) -> float:
        """Seconds the connection waits before taking ``nbytes`` of audio: a microphone sends
        in real time, so a device may be at most ``AHEAD_S`` ahead of it (a pause resets it).
        A microphone streams silence too, so arriving audio is not activity: speech, turns
        and controls other than ``ping`` are."""
        now = time.monotonic()
        self._audio_until = max(self._audio_until, now) + nbytes / AUDIO_BYTES_PER_S
        return max(0.0, self._audio_until - now - AHEAD_S)

    def offer(self, item: Any) -> bool:
        """From the connection: audio (``bytes``) or a control message; False when full."""
        if not self.inbox.offer(item):
            return False
        if isinstance(item, bytes):
            self.audio_received_s += len(item) / AUDIO_BYTES_PER_S
        return True

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            self.inbox.end()

    def hello(self) -> dict[str, Any]:
        return {
            "type": "ready",
            "protocol": PROTOCOL,
            "session_id": self.session_id,
            "kind": self.kind,
            "store_id": self.store_id,
            "store_name": self.device.get("store_name"),
            "customer": self._customer_view(),
            "audio": {"rate": RATE, "width": WIDTH, "channels": CHANNELS},
        }

    # -- customers ------------------------------------------------------------------------
    def _customer_view(self) -> dict[str, str] | None:
        if self.customer is None:
            return None
        return {"handle": self.customer.handle, "name": self.customer.name}

    def _start_customer(self, issued: dict[str, Any]) -> None:
        self.customer = Customer(
            issued["customer"]["handle"],
            issued["customer"]["name"],
            issued["customer_token"],
            datetime.fromisoformat(issued["expires_at"]),
        )
        self.store_id = issued.get("store_id") or self.store_id
        self.conversation = ChatSession(
            self.settings,
            self.dialogue,
            self.customer.token,
            self.store_id,
            sender=f"{self.kind}-{self.device_id}-{secrets.token_hex(6)}",
        )
        if self.kind == "kiosk":
            # Orders at a kiosk need a touch: a spoken yes is answered "press Confirm".
            self.conversation.metadata["confirm_by"] = "touch"

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
        self.awaiting_pin_for = None
        self.turns.clear()
        self.emit({"type": "signed_out", "reason": reason})

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
            if item is _END_OF_STREAM:
                return
            self._check_idle()  # also while a kiosk's microphone keeps streaming
            if isinstance(item, bytes):
                yield AudioChunk(RATE, WIDTH, CHANNELS, item)
            elif isinstance(item, _Control):
                if item.message.get("type") != "ping":
                    self.last_activity = time.monotonic()
                if item.message.get("type") == "end_of_speech":
                    if self._endpointer is not None and self._endpointer.in_speech:
                        yield AudioChunk(RATE, WIDTH, CHANNELS, silence)  # closes it
                    elif self._heard_since_end_of_speech:
                        pass  # the pause already ended that utterance: its turn is done
                    else:  # push-to-talk released with nothing said
                        self.emit({"type": "turn_done", "intent": None, "nothing_heard": True})
                    self._heard_since_end_of_speech = False
                else:
                    self._safely(self._control, item.message)

    def _run(self) -> None:
        try:
            endpointer = self._endpointer = self.speech.endpointer_factory()
            transcriber = self.speech.transcriber_factory()
            expect = lambda: Expect.PIN if self._private() else Expect.SPEECH  # noqa: E731
            for event in vad.listen(self._audio(), transcriber, endpointer, expect):
                if isinstance(event, vad.SpeechStarted):
                    self.last_activity = time.monotonic()
                    if self.speaking.is_set():
                        self._barge.set()  # barge-in: stop sending the reply audio
                    self.emit({"type": "speech_started"})
                elif isinstance(event, vad.PartialTranscript):
                    if not self._private():
                        self.emit({"type": "partial", "text": event.text})
                elif isinstance(event, vad.SpeechEnded):
                    self._ended_at = time.perf_counter()
                    self._vad_wait_ms = (event.at_s - event.utterance.end_s) * 1000
                elif isinstance(event, vad.UtteranceTranscribed):
                    self._heard_since_end_of_speech = True
                    self._safely(self._heard, event.transcript)
        except Exception:  # the session ends; the device is told, nothing leaks
            log.exception("session %s failed", self.session_id)
            self.emit({"type": "error", "code": "session-failed", "message": "Session ended."})
        finally:
            self.closed.set()

    def _safely(self, handler: Callable[[Any], None], arg: Any) -> None:
        try:
            handler(arg)
        except CODED_ERRORS as err:
            self.emit({"type": "error", "code": err.code, "message": err.message})

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

    # -- turns ----------------------------------------------------------------------------
    def _heard(self, transcript: Transcript) -> None:
        text = transcript.text.strip()
        if self.awaiting_pin_for is not None:  # a kiosk sign-in PIN, said aloud
            self.emit({"type": "transcript", "text": PIN_SHOWN})
            self._finish_sign_in(self.awaiting_pin_for, text)
            return
        if self.conversation is not None:
            text = self.conversation.reading(transcript).strip()
        self._turn(
            text or NOTHING_HEARD,  # the dialogue asks the customer to say it again
            shown_text=self._shown(text),
            ended_at=getattr(self, "_ended_at", time.perf_counter()),
            vad_wait_ms=getattr(self, "_vad_wait_ms", 0.0),
            engine=transcript.engine,
        )

    def _turn(
        self,
        text: str,
        shown_text: str,
        ended_at: float,
        vad_wait_ms: float = 0.0,
        engine: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.last_activity = time.monotonic()
        self.emit({"type": "transcript", "text": shown_text})
        if self.conversation is None:
            self.emit(
                {
                    "type": "error",
                    "code": "sign-in-needed",
                    "message": "Sign in or choose guest first.",
                }
            )
            return
        recognised = time.perf_counter()
        try:
            self._refresh_home_token()
            shown, parsed, reply = self.conversation.exchange(text, extra)
        except CODED_ERRORS as err:  # Rasa (or the shop, for a new token) not answering
            log.warning("session %s: a turn failed (%s)", self.session_id, err.code)
            self._apologise(err.code, ended_at)
            return
        answered = time.perf_counter()
        self.emit({"type": "intent", "name": parsed.intent, "confidence": parsed.confidence})
        replies = [(r.text, r.response, r.custom) for r in reply.replies]
        if not replies:  # Rasa answered nothing: its action server failed or is down
            log.warning("session %s: the dialogue gave no reply", self.session_id)
            replies = [(UNAVAILABLE_TEXT, UNAVAILABLE, {})]
        responses = [response for _, response, _ in replies]
        for reply_text, response, custom in replies:
            message: dict[str, Any] = {"type": "reply", "text": reply_text, "response": response}
            if custom.get("expect") == "pin":
                message["expect"] = "pin"
            self.emit(message)
        told = time.perf_counter()
        first_audio_ms = self._speak([t for t, _, _ in replies if t], ended_at)
        timings = {
            "vad_wait": round(vad_wait_ms, 1),
            "recognised": round((recognised - ended_at) * 1000, 1),  # decode tail
            "dialogue": round((answered - ended_at) * 1000, 1),  # ... and the Rasa turn
            "replies_sent": round((told - ended_at) * 1000, 1),
            "end_of_speech_to_first_audio": round(vad_wait_ms + first_audio_ms, 1),
        }
        self.turns.append(
            {
                "transcript": shown,
                "engine": engine,
                "intent": parsed.intent,
                "responses": responses,
                "timings_ms": timings,
            }
        )
        if self.kind == "kiosk":
            try:
                self._kiosk_views(responses)
            except CODED_ERRORS as err:  # the screen misses an update; the turn still ends
                log.warning("session %s: kiosk views failed (%s)", self.session_id, err.code)
        self.emit({"type": "turn_done", "intent": parsed.intent, "timings_ms": timings})
        if parsed.intent == "goodbye":
            self._sign_out("goodbye")

    def _apologise(self, code: str, ended_at: float) -> None:
        """The dialogue could not answer: say so aloud and end the turn (never silence)."""
        self.emit({"type": "reply", "text": UNAVAILABLE_TEXT, "response": UNAVAILABLE})
        self._speak([UNAVAILABLE_TEXT], ended_at)
        self.turns.append({"intent": None, "responses": [UNAVAILABLE], "error": code})
        self.emit({"type": "turn_done", "intent": None, "error": code})

    def _speak(self, texts: list[str], ended_at: float) -> float:
        """Stream reply audio; return ms from ``ended_at`` to the first audio sent."""
        speaker = self.speech.speaker
        if not texts or speaker is None:
            return (time.perf_counter() - ended_at) * 1000
        self._barge.clear()
        self.speaking.set()
        first: float | None = None
        try:
            for chunk in speaker.stream(" ".join(texts)):
                if self._barge.is_set() or self.closed.is_set():
                    self.emit({"type": "audio_end", "interrupted": True})
                    break
                if first is None:
                    first = time.perf_counter()
                    self.emit(
                        {
                            "type": "audio_start",
                            "rate": chunk.rate,
                            "width": chunk.width,
                            "channels": chunk.channels,
                        }
                    )
                step = chunk.rate * chunk.width * chunk.channels // 5  # 200 ms frames
                for start in range(0, len(chunk.data), step):
                    self.emit(chunk.data[start : start + step])
            else:
                if first is not None:
                    self.emit({"type": "audio_end", "interrupted": False})
        finally:
            self.speaking.clear()
        return ((first or time.perf_counter()) - ended_at) * 1000

    def _kiosk_views(self, responses: list[str | None]) -> None:
        if self.customer is not None:
            basket = self.directory.basket(self.customer.token)
            self.emit(
                {
                    "type": "basket",
                    "items": [
                        {
                            "sku": i["sku"],
                            "name": i["name"],
                            "quantity": i["quantity"],
                            "line_total": i["line_total"],
                        }
                        for i in basket["items"]
                    ],
                    "item_count": basket["item_count"],
                    "total": basket["total"],
                }
            )
        if CONFIRM_RESPONSES & set(responses):
            self.emit({"type": "confirm_needed"})
        if SLOT_RESPONSES & set(responses):
            self._send_slots()

    def _send_slots(self, day: date | None = None) -> None:
        """The free slots of ``day``, or of today and of the next day that has any (tomorrow,
        unless the store is closed then: Christmas Day)."""
        if day is not None:
            self._emit_slots(day, self._free_slots(day))
            return
        today = date.today()
        self._emit_slots(today, self._free_slots(today))
        for ahead in range(1, NEXT_DAY_LOOKAHEAD + 1):
            slots = self._free_slots(today + timedelta(days=ahead))
            if slots or ahead == NEXT_DAY_LOOKAHEAD:
                self._emit_slots(today + timedelta(days=ahead), slots)
                return

    def _free_slots(self, day: date) -> list[dict[str, Any]]:
        return [s for s in self.directory.slots(self.store_id, day) if s.get("available")]

    def _emit_slots(self, day: date, slots: list[dict[str, Any]]) -> None:
        self.emit({"type": "slots", "date": day.isoformat(), "slots": slots[:12]})

    # -- control messages -----------------------------------------------------------------
    def _control(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        now = time.perf_counter()
        if kind == "text":
            text = str(message.get("text") or "").strip()[:500]
            if not text:
                raise GatewayError("text-empty", "A text message needs some text.")
            if self.awaiting_pin_for is not None:
                self._finish_sign_in(self.awaiting_pin_for, text)
                return
            self._turn(text, self._shown(text), now)
        elif kind == "confirm":
            self._kiosk_only()
            self._turn("/affirm", "[Confirm]", now, extra={"touched": True})
        elif kind == "cancel":
            self._kiosk_only()
            self._turn("/deny", "[Cancel]", now)
        elif kind == "sign_in":
            self._kiosk_only()
            body = {k: message[k] for k in ("loyalty_number", "phone") if message.get(k)}
            if len(body) != 1:
                raise GatewayError("sign-in-invalid", "Give a loyalty number or a phone number.")
            if message.get("pin"):
                self._finish_sign_in(body, str(message["pin"]))
            else:
                self.awaiting_pin_for = body
                self.emit({"type": "pin_needed"})
        elif kind == "guest":
            self._kiosk_only()
            self._sign_out("new-customer")
            self._signed_in(self.directory.guest(self._device_token))
        elif kind == "sign_out":
            self._kiosk_only()
            self._sign_out("button")
        elif kind == "slots":
            day = message.get("date")
            try:
                self._send_slots(date.fromisoformat(day) if day else None)
            except (ValueError, TypeError) as err:  # TypeError: not a string (123)
                raise GatewayError("date-invalid", "date must be YYYY-MM-DD") from err
        elif kind == "ping":
            self.emit({"type": "pong"})
        else:
            raise GatewayError("message-unknown", f"unknown message type {kind!r}")

    def _kiosk_only(self) -> None:
        if self.kind != "kiosk":
            raise GatewayError("kiosk-only", "Only a kiosk can do that.")

    def _finish_sign_in(self, body: dict[str, Any], spoken_pin: str) -> None:
        from assistant.chat import spoken_digits

        self.awaiting_pin_for = None
        if pin_line(spoken_pin) != PinLine.DIGITS:  # "cancel": no sign-in attempt is made
            self.emit({"type": "sign_in_failed", "code": "pin-not-given"})
            return
        pin = spoken_digits(spoken_pin)
        self._sign_out("new-customer")
        try:
            issued = self.directory.sign_in(self._device_token, {**body, "pin": pin})
        except CommerceError as err:
            self.emit({"type": "sign_in_failed", "code": err.code})
            return
        self._signed_in(issued)

    def _signed_in(self, issued: dict[str, Any]) -> None:
        self._start_customer(issued)
        self.emit({"type": "signed_in", "customer": self._customer_view()})
        self._kiosk_views([])


# -- the server ---------------------------------------------------------------------------
class HelloLimit:
    """Failed hellos per source address in a sliding window; past ``limit`` the address is
    refused (``rate-limited``) before its token is checked with the commerce service."""

    def __init__(self, limit: int = HELLO_FAILURES, window_s: float = HELLO_WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, address: str) -> float:
        """0 when the address may try; else seconds until it may."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.limit:
                if not times:
                    self._failures.pop(address, None)
                return 0.0
            return max(0.1, times[0] + self.window_s - now)

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(address, now).append(now)
            if len(self._failures) > 10_000:  # a flood of addresses: keep the newest
                oldest = min(self._failures, key=lambda a: self._failures[a][-1])
                del self._failures[oldest]


@dataclass
class Gateway:
    settings: Settings
    directory: DeviceDirectory
    dialogue: RasaDialogue
    speech: SpeechParts
    idle_timeout_s: float = 120.0
    resume_window_s: float = 120.0
    max_sessions: int = MAX_SESSIONS
    max_per_device: int = MAX_PER_DEVICE
    kiosk_seats: int = KIOSK_SEATS
    sessions: dict[str, Session] = field(default_factory=dict)
    hello_limit: HelloLimit = field(default_factory=HelloLimit)
    _detached_at: dict[str, float] = field(default_factory=dict)
    _admission: threading.Lock = field(default_factory=threading.Lock)

    def open_session(self, device_token: str, resume: str | None) -> Session:
        """Admit a device (401 for unknown / revoked tokens). Who is admitted is decided under
        one lock; what ends on the way (sessions made room for, an unused customer token) is
        signed out after it, so a slow sign-out holds up no other device."""
        device = self.directory.session(device_token)
        ended: list[Session] = []
        unused = device.get("customer_token")  # issued for a session that may not be new
        try:
            with self._admission:
                ended += self._reap()
                old = self.sessions.get(resume) if resume else None
                if old and old.device_id == device["device_id"] and not old.closed.is_set():
                    self._detached_at.pop(old.session_id, None)
                    old.kick()  # its connection, if still open, is closed: this one takes over
                    return old
                while (refused := self._refusal(device)) and (
                    victim := self._victim(device, refused)
                ):
                    ended.append(self._drop(victim))
                if refused:
                    raise refused
                session = Session(
                    secrets.token_urlsafe(12),
                    device,
                    device_token,
                    self.settings,
                    self.directory,
                    self.dialogue,
                    self.speech,
                    self.idle_timeout_s,
                )
                self.sessions[session.session_id] = session
                unused = None
                return session
        finally:
            if unused:
                with contextlib.suppress(*CODED_ERRORS):
                    self.directory.sign_out(device_token, unused)
            for gone in ended:
                gone.end("disconnected")
                gone.close()

    def _refusal(self, device: dict[str, Any]) -> GatewayError | None:
        """Why ``device`` cannot be admitted now (None: it can)."""
        mine = sum(s.device_id == device["device_id"] for s in self.sessions.values())
        if mine >= self.max_per_device:
            return GatewayError(
                "device-busy", f"This device already has {mine} sessions open.", 1013
            )
        free = self.max_sessions - len(self.sessions)
        if device["kind"] != "kiosk":
            kiosks = sum(s.kind == "kiosk" for s in self.sessions.values())
            free -= max(0, min(self.kiosk_seats, self.max_sessions) - kiosks)
        if free <= 0:
            return GatewayError("gateway-full", "Too many devices connected; try again.", 1013)
        return None

    def _victim(self, device: dict[str, Any], refused: GatewayError) -> str | None:
        """The session waiting longest for its device whose end would make room, if any:
        connected devices come first."""
        kiosks = sum(s.kind == "kiosk" for s in self.sessions.values())

        def helps(session: Session) -> bool:
            if refused.code == "device-busy":
                return session.device_id == device["device_id"]
            # a home device is not helped by a kiosk's place while it is a reserved one
            return device["kind"] == "kiosk" or session.kind != "kiosk" or kiosks > self.kiosk_seats

        waiting = [sid for sid in self._detached_at if helps(self.sessions[sid])]
        return min(waiting, key=lambda sid: self._detached_at[sid], default=None)

    def attach(
        self, session: Session, send: Callable[[Outgoing], None], kick: Callable[[], None]
    ) -> int:
        """A connection has the session now (a new one, or one resuming it)."""
        with self._admission:
            self._detached_at.pop(session.session_id, None)
            return session.attach(send, kick)

    def detached(self, session: Session, connection: int | None = None) -> None:
        """A connection ended; the session waits for its device (unless taken over)."""
        with self._admission:
            if session.detach(connection) and session.session_id in self.sessions:
                self._detached_at[session.session_id] = time.monotonic()

    def _reap(self) -> list[Session]:
        now = time.monotonic()
        expired = [sid for sid, at in self._detached_at.items() if now - at > self.resume_window_s]
        return [self._drop(sid) for sid in expired]

    def _drop(self, session_id: str) -> Session:
        self._detached_at.pop(session_id, None)
        return self.sessions.pop(session_id)

    def _end_detached(self, session_id: str) -> None:
        with self._admission:
            if session_id not in self.sessions:
                return
            session = self._drop(session_id)
        session.end("disconnected")
        session.close()

    def close(self) -> None:
        """End every session: their customer tokens are revoked (home) or signed out (kiosk)."""
        with self._admission:
            sessions = list(self.sessions.values())
            self.sessions.clear()
            self._detached_at.clear()
        for session in sessions:
            session.close()
            session.kick()
        for session in sessions:
            session.end("gateway-stopped")


def create_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(title="Voice gateway", docs_url=None, redoc_url=None)

    @app.get("/")
    def kiosk_page() -> FileResponse:
        return FileResponse(KIOSK_PAGE / "index.html")

    @app.get("/kiosk/{name}")
    def kiosk_asset(name: str) -> Any:
        path = None if "\x00" in name else (KIOSK_PAGE / name).resolve()  # no NUL in a path
        if path is None or path.parent != KIOSK_PAGE or not path.is_file():
            return JSONResponse({"error": {"code": "not-found"}}, status_code=404)
        return FileResponse(path)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "sessions": len(gateway.sessions)}

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        session = await _handshake(ws, gateway)
        if session is None:
            return
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=OUTBOX_MESSAGES)

        def send(message: Outgoing) -> None:  # from the session's worker thread
            future = asyncio.run_coroutine_threadsafe(outbox.put(message), loop)
            try:
                future.result(timeout=30)  # a slow reader makes its own session wait
            except Exception:
                future.cancel()

        def kick() -> None:  # from another thread: a resume takes the session over
            taken = GatewayError(
                "session-resumed", "The session continues on another connection.", 4409
            )
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                asyncio.run_coroutine_threadsafe(_refuse(ws, taken), loop)

        connection = gateway.attach(session, send, kick)
        writer = asyncio.create_task(_write(ws, outbox))
        try:
            await ws.send_text(json.dumps(session.hello()))
            await _read(ws, session, connection)
        finally:
            gateway.detached(session, connection)
            with contextlib.suppress(asyncio.QueueFull):
                outbox.put_nowait(None)
            writer.cancel()

    return app


def _address(ws: WebSocket) -> str:
    return ws.client.host if ws.client else "unknown"


async def _handshake(ws: WebSocket, gateway: Gateway) -> Session | None:
    address = _address(ws)
    wait_s = gateway.hello_limit.retry_after(address)
    if wait_s:  # its hello is read (a device sends one before it listens), not checked
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.receive(), timeout=HELLO_TIMEOUT_S)
        await _refuse(
            ws,
            GatewayError(
                "rate-limited",
                f"Too many failed hellos from {address}; try again in {int(wait_s) + 1} s.",
                4429,
            ),
        )
        return None
    try:
        return await _hello(ws, gateway)
    except (TimeoutError, KeyError, ValueError, TypeError):
        error = GatewayError("hello-expected", "First send {type: hello, token: ...}.", 4400)
    except WebSocketDisconnect:
        return None
    except GatewayError as err:
        error = err
    except CommerceError as err:
        error = GatewayError(err.code, err.message, 4401 if err.status == 401 else 1011)
    if error.code not in ("gateway-full", "device-busy", "service-unavailable"):
        gateway.hello_limit.failed(address)  # no hello, a bad one or a bad token
    await _refuse(ws, error)
    return None


async def _hello(ws: WebSocket, gateway: Gateway) -> Session:
    raw = await asyncio.wait_for(ws.receive_text(), timeout=HELLO_TIMEOUT_S)
    hello = json.loads(raw)
    if not isinstance(hello, dict) or hello.get("type") != "hello" or not hello.get("token"):
        raise GatewayError("hello-expected", "First send {type: hello, token: ...}.", 4400)
    audio = hello.get("audio") or {"rate": RATE, "width": WIDTH, "channels": CHANNELS}
    if not isinstance(audio, dict):  # "audio": "pcm"
        raise GatewayError(
            "audio-format",
            'audio is {"rate": 16000, "width": 2, "channels": 1}: 16-bit mono PCM',
            4400,
        )
    if (audio.get("rate"), audio.get("width"), audio.get("channels")) != (
        RATE,
        WIDTH,
        CHANNELS,
    ):
        raise GatewayError(
            "audio-format",
            f"stream 16000 Hz, 16-bit, mono PCM; got {audio.get('rate')} Hz, "
            f"{8 * int(audio.get('width') or 0)}-bit, {audio.get('channels')} channel(s)",
            4400,
        )
    resume = hello.get("resume")
    return await asyncio.to_thread(
        gateway.open_session, str(hello["token"]), resume if isinstance(resume, str) else None
    )


async def _refuse(ws: WebSocket, err: GatewayError) -> None:
    try:
        await ws.send_text(json.dumps({"type": "error", "code": err.code, "message": err.message}))
        await ws.close(code=err.close or 4400)
    except Exception:  # the device is already gone
        log.debug("could not tell a refused device why")


async def _read(ws: WebSocket, session: Session, connection: int) -> None:
    while session.connection == connection:  # until a resume takes the session over
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            if len(data) > MAX_FRAME_BYTES or len(data) % WIDTH:
                await _refuse(
                    ws,
                    GatewayError(
                        "frame-invalid",
                        f"audio frames are whole 16-bit samples, at most {MAX_FRAME_BYTES} bytes",
                        4400,
                    ),
                )
                return
            wait_s = session.pace(len(data))
            if wait_s:  # ahead of real time: read nothing more meanwhile (TCP slows it)
                await asyncio.sleep(wait_s)
            await _put(session, data)
        elif message.get("text") is not None:
            try:
                control = json.loads(message["text"])
                if not isinstance(control, dict):
                    raise ValueError("not an object")
            except ValueError:
                await ws.send_text(
                    json.dumps(
                        {"type": "error", "code": "malformed-json", "message": "Send JSON objects."}
                    )
                )
                continue
            await _put(session, _Control(control))


async def _put(session: Session, item: Any) -> None:
    """Into the session's inbox, waiting (without reading the socket) while it is full."""
    while not session.offer(item):
        if session.closed.is_set():
            return
        await asyncio.sleep(0.02)


async def _write(ws: WebSocket, outbox: asyncio.Queue[Outgoing | None]) -> None:
    while (message := await outbox.get()) is not None:
        try:
            if isinstance(message, bytes):
                await ws.send_bytes(message)
            else:
                await ws.send_text(json.dumps(message))
        except Exception:
            return


@dataclass(frozen=True)
class Tls:
    """The certificate and key the gateway serves https / wss with."""

    cert: Path
    key: Path

    @classmethod
    def from_args(cls, cert: Path | None, key: Path | None) -> Tls | None:
        """From ``--tls-cert`` / ``--tls-key``: both or neither, and both readable."""
        if cert is None and key is None:
            return None
        if cert is None or key is None:
            raise ConfigError("config-invalid", "Give --tls-cert and --tls-key together.")
        for path in (cert, key):
            if not path.is_file():
                raise ConfigError("config-invalid", f"{path} is not a readable file.")
        return cls(cert, key)


def serve(
    settings: Settings,
    host: str,
    port: int,
    idle_timeout_s: float = 120.0,
    tls: Tls | None = None,
) -> None:
    """`run_assistant.py serve`: start what is needed, then the gateway (until Ctrl-C)."""
    from assistant.services import running
    from assistant.training import train

    _exit_on_sigterm()
    train(settings)
    ws, http = ("wss", "https") if tls else ("ws", "http")
    with running(settings) as stack:
        print(
            f"Voice gateway on {ws}://{host}:{port}/v1/stream, kiosk page {http}://{host}:{port}/ "
            "(add a device: run_assistant.py catalog device add --home alice | --kiosk STORE)",
            flush=True,
        )
        serve_gateway(stack.settings, host, port, idle_timeout_s, tls)


def serve_gateway(
    settings: Settings,
    host: str,
    port: int,
    idle_timeout_s: float = 120.0,
    tls: Tls | None = None,
) -> None:
    """The gateway alone, in front of a running commerce service, Rasa and action server
    (``settings`` says where they are); until Ctrl-C or SIGTERM. The load benchmark runs it in
    a process of its own."""
    import uvicorn

    from assistant import speech as factory
    from audio.tts import CollectingSink

    _exit_on_sigterm()
    speaker = factory.build_speaker(settings, sink=CollectingSink())
    gateway = build_gateway(settings, speaker, idle_timeout_s)
    try:
        uvicorn.run(
            create_app(gateway),
            host=host,
            port=port,
            log_level="warning",
            ws_per_message_deflate=False,  # PCM hardly compresses; deflate costs CPU per frame
            timeout_graceful_shutdown=2,  # SIGTERM: connections get 2 s, then the sessions end
            ssl_certfile=str(tls.cert) if tls else None,
            ssl_keyfile=str(tls.key) if tls else None,
        )
    finally:
        close_gateway(gateway)
        speaker.close()


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds the process like Ctrl-C: sessions end (home tokens revoked) and the
    services stop. uvicorn stops serving on SIGTERM and then raises it again with this handler
    in place; with the default one the process would die before any ``finally``."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))


def build_gateway(
    settings: Settings, speaker: QueueSpeaker | None, idle_timeout_s: float = 120.0
) -> Gateway:
    """A gateway talking to the services ``settings`` names, speaking with ``speaker``."""
    from assistant import speech as factory

    directory = DeviceDirectory(settings.commerce.base_url)
    dialogue = RasaDialogue.of(settings.dialogue, timeout_s=30.0)
    dialogue.warm_up()  # before the first device, as the recognisers below warm up
    # One recogniser for every session, its decoders loaded in advance, so a session that
    # starts loads no model. It runs in worker processes, one per core: pocketsphinx holds
    # the interpreter lock while it decodes, so in one process customers talking at once
    # would wait for each other.
    if settings.speech.shop_lm or settings.speech.correction:
        factory.shop_model(settings)  # built once here, not by every worker at once
    transcriber = ProcessTranscriber(
        factory.speech_setup(settings),
        settings.speech.decode_processes or None,
        sessions=MAX_SESSIONS,
    )
    speech = SpeechParts(
        lambda: transcriber,
        lambda: factory.build_endpointer(settings),
        speaker,
        close=transcriber.close,
    )
    return Gateway(settings, directory, dialogue, speech, idle_timeout_s=idle_timeout_s)


def close_gateway(gateway: Gateway) -> None:
    """Sign out and end every session, then close the gateway's clients."""
    gateway.close()
    gateway.dialogue.close()
    gateway.directory.close()
    if gateway.speech.close is not None:
        gateway.speech.close()
