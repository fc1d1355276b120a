"""The gateway load benchmark's devices (``bench_gateway_load.py``): a home speaker streaming
its microphone in real time over the gateway's WebSocket, its customer's spoken turns, and the
checks that each session's transcripts, intents and basket are its own."""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from websockets.sync.client import connect

from audio import synthetic
from commerce.db import Database
from commerce.services import auth, devices
from commerce.services import basket as basket_service

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench-load"
FRAME_MS = 50
FRAME_BYTES = 16000 * 2 * FRAME_MS // 1000
TURN_TIMEOUT_S = 30.0

WAKE = "okay nabu, "  # the home device's wake word, said in one breath with the request


# -- audio ----------------------------------------------------------------------------------
def voiced(text: str, voice: str) -> bytes:
    """``text`` in ``voice``, trimmed to its voiced part: the clip's end is the end of speech."""
    audio = synthetic.synthesize(text, voice=voice, cache=CACHE)
    samples = np.frombuffer(audio.data, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 0.02 * np.abs(samples).max())
    clip = samples[loud[0] : loud[-1] + 1] if loud.size else samples
    pad = (-clip.size) % (FRAME_BYTES // 2)  # whole frames; the tail is silence after speech
    return clip.astype("<i2").tobytes() + b"\x00\x00" * pad


@dataclass
class Turn:
    text: str
    expect_intent: str
    speech_end_at: float = 0.0  # perf_counter of the last voiced sample, as streamed
    events: list[dict[str, Any]] = field(default_factory=list)
    first_audio_at: float | None = None
    reply_audio_bytes: int = 0
    reply_bytes_per_s: int = 32000  # of the reply audio (its audio_start says)

    @property
    def latency_ms(self) -> float | None:
        if self.first_audio_at is None:
            return None
        return (self.first_audio_at - self.speech_end_at) * 1000

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]


class Microphone:
    """A device's microphone: frames in real time, silence unless a clip is queued."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._clip: bytes = b""
        self._pos = 0
        self._turn: Turn | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.stop = threading.Event()
        self.late_frames = 0  # frames this client sent more than a frame late (its own lag)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def say(self, clip: bytes, turn: Turn) -> None:
        """Stream ``clip`` from the next frame on; returns when its last frame is sent."""
        with self._lock:
            self._done.clear()
            self._clip, self._pos, self._turn = clip, 0, turn
        self._done.wait()

    def _run(self) -> None:
        silence = b"\x00" * FRAME_BYTES
        started = time.perf_counter()
        frame = 0
        try:
            while not self.stop.is_set():
                frame += 1
                due = started + frame * FRAME_MS / 1000  # the frame is captured by then
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                elif wait < -FRAME_MS / 1000:
                    self.late_frames += 1
                with self._lock:
                    if self._pos < len(self._clip):
                        data = self._clip[self._pos : self._pos + FRAME_BYTES]
                        self._pos += FRAME_BYTES
                        if self._pos >= len(self._clip):
                            assert self._turn is not None
                            self._turn.speech_end_at = due
                            self._clip = b""
                            self._done.set()
                    else:
                        data = silence
                self.ws.send(data)
        except Exception as err:  # the connection went away: the controller sees it
            self.error = err
            self._done.set()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=5)


@dataclass
class Device:
    index: int
    customer: str
    token: str
    item: str
    noun: str  # "remove the eggs"
    words: tuple[str, ...]
    voice: str
    turns: list[Turn] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def named(self, text: str) -> bool:
        return any(w in text.lower() for w in self.words)


class Checker:
    """Reads baskets in the commerce database (what the service really wrote)."""

    def __init__(self, url: str) -> None:
        self.db = Database.connect(url)
        self.lock = threading.Lock()

    def basket_names(self, customer: str) -> list[str]:
        with self.lock, self.db.session() as session:
            who = auth.find_customer(session, customer)
            return [i["name"] for i in basket_service.view(session, who)["items"]]

    def clear(self, customer: str) -> None:
        with self.db.session(write=True) as session:
            basket_service.clear(session, auth.find_customer(session, customer))

    def add_device(self, customer: str) -> str:
        with self.db.session(write=True) as session:
            who = auth.find_customer(session, customer)
            _, token = devices.add_device(session, "home", customer=who)
        return token


def run_device(device: Device, url: str, checker: Checker, rounds: int, jitter: float) -> None:
    rng = random.Random(device.index)
    time.sleep(rng.uniform(0, jitter))
    clips: dict[str, bytes] = {}

    def clip(text: str) -> bytes:
        if text not in clips:
            clips[text] = voiced(text, device.voice)
        return clips[text]

    with connect(url, open_timeout=30, max_size=2**22, compression=None) as ws:
        ws.send(json.dumps({"type": "hello", "token": device.token}))
        ready = json.loads(ws.recv(timeout=30))
        if ready.get("type") != "ready":
            device.failures.append(f"not ready: {ready}")
            return
        mic = Microphone(ws)
        try:
            for _ in range(rounds):
                script = [  # a home device: each request starts with the wake word
                    (f"{WAKE}add {device.item}", "add_to_basket"),
                    (f"{WAKE}what's in my basket", "view_basket"),
                    (f"{WAKE}remove the {device.noun}", "remove_from_basket"),
                ]
                for text, intent in script:
                    turn = spoken(ws, mic, device, Turn(text, intent), clip(text))
                    if turn is None:
                        return
                    replies = [e.get("response") for e in turn.of_type("reply")]
                    if "utter_product_choices" in replies:  # which one? the first
                        choice = Turn("the first one", "choose_option")
                        if spoken(ws, mic, device, choice, clip(choice.text)) is None:
                            return
                    check_basket(device, checker, after=intent)
                    time.sleep(rng.uniform(0.3, 1.0))  # the customer thinks
        finally:
            mic.close()


def spoken(ws: Any, mic: Microphone, device: Device, turn: Turn, clip: bytes) -> Turn | None:
    """One spoken turn: stream the clip, collect events through ``turn_done``."""
    device.turns.append(turn)
    mic.say(clip, turn)
    if mic.error is not None:
        device.failures.append(f"stream failed: {mic.error}")
        return None
    deadline = time.perf_counter() + TURN_TIMEOUT_S
    while True:
        left = deadline - time.perf_counter()
        try:
            message = ws.recv(timeout=max(0.01, left))
        except TimeoutError:
            device.failures.append(f"no turn_done for {turn.text!r} in {TURN_TIMEOUT_S:.0f} s")
            return None
        if isinstance(message, bytes):
            if turn.first_audio_at is None:
                turn.first_audio_at = time.perf_counter()
            turn.reply_audio_bytes += len(message)
            continue
        event = json.loads(message)
        turn.events.append(event)
        if event.get("type") == "audio_start":
            turn.reply_bytes_per_s = event["rate"] * event["width"] * event["channels"]
        if event.get("type") == "error":
            device.failures.append(f"error event {event}")
            return None
        if event.get("type") == "turn_done":
            break
    check_turn(device, turn)
    time.sleep(turn.reply_audio_bytes / turn.reply_bytes_per_s)  # the device plays the reply
    return turn


def check_turn(device: Device, turn: Turn) -> None:
    heard = " ".join(e.get("text", "") for e in turn.of_type("transcript"))
    intent = (turn.of_type("intent") or [{}])[0].get("name")
    if intent != turn.expect_intent:
        device.failures.append(f"{turn.text!r}: heard {heard!r}, intent {intent}")
    elif turn.expect_intent == "add_to_basket" and not device.named(heard):
        device.failures.append(f"{turn.text!r}: transcript {heard!r} misses the item")
    if turn.first_audio_at is None:
        device.failures.append(f"{turn.text!r}: no reply audio")


def check_basket(device: Device, checker: Checker, after: str) -> None:
    names = checker.basket_names(device.customer)
    if after == "add_to_basket":
        if not names or not all(device.named(n) for n in names):
            device.failures.append(f"basket after adding {device.item!r}: {names}")
    elif after == "remove_from_basket" and names:
        device.failures.append(f"basket after removing {device.item!r}: {names}")
