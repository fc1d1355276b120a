"""Whole-loop check of a home device in a living room: a long recording of other talk and
noise with a few wake-word commands inside, through the microphone loop on the real stack.

    .venv/bin/python bench/bench_living_room.py                        # 10 minutes, 3 commands
    .venv/bin/python bench/bench_living_room.py --minutes 2 --commands 1

The recording: public-domain texts (bench/data/wakeword.yml) read by three synthetic voices,
as a television or a radio would, with pink noise under everything at 20 dB below the speech;
in pauses of that talk, a customer (festival's kal) says "okay nabu, add <item>" and, a
moment later, "the first one" (the answer if the assistant asked which one; heard only in
the follow-up window). The loop (``assistant/voice.py: microphone_loop``) runs with the
configured wake word, Whisper, Rasa, the action server and the commerce service of a private
stack on a freshly seeded SQLite database, fed in stream time (as fast as it can work).
Checks that the customer's basket changed exactly once per command, in the database.

Writes bench/results/living_room.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant import speech as factory  # noqa: E402  (repo root on the path)
from assistant.chat import ChatSession  # noqa: E402
from assistant.events import Event, ListeningChanged, ReplyReady, TranscriptReady  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.turns import EventBus, TurnEngine  # noqa: E402
from assistant.voice import microphone_loop  # noqa: E402
from audio.base import AudioChunk  # noqa: E402
from audio.fakes import ListAudioSource, RecordingSpeaker  # noqa: E402
from audio.formats import join, silence, split  # noqa: E402
from audio.synthetic import mix_noise, synthesize  # noqa: E402
from commerce.db import Database  # noqa: E402
from commerce.services import auth  # noqa: E402
from commerce.services import basket as basket_service  # noqa: E402

RESULTS = REPO / "bench" / "results"
CACHE = REPO / "var" / "bench-cache" / "living-room"
ROOM_VOICES = ("slt", "espeak-us", "espeak-f3")
CUSTOMER_VOICE = "kal"
ITEMS = ("a dozen eggs", "two litres of milk", "a loaf of sourdough bread")
ANSWER = "the first one"
ROOM_SNR_DB = 20.0
ROOM = yaml.safe_load((REPO / "bench" / "data" / "wakeword.yml").read_text())["public_domain"]


def sentences() -> list[str]:
    return [s.strip() + "." for text in ROOM for s in text.split(".") if len(s.split()) > 3]


def recording(minutes: float, commands: int, cache: Path) -> tuple[AudioChunk, list[str]]:
    """The living room: other talk for ``minutes``, ``commands`` customer commands spread
    through it (each in a pause of the talk), noise under all of it; and the items."""
    total = minutes * 60
    items = [ITEMS[n % len(ITEMS)] for n in range(commands)]
    at = [total * (n + 1) / (commands + 1) for n in range(commands)]
    parts: list[AudioChunk] = [silence(500)]
    length, said = 0.5, 0
    lines = sentences()
    n = 0
    while length < total:
        if said < commands and length >= at[said]:
            command = [
                silence(1200),
                synthesize(f"okay nabu, add {items[said]}", CUSTOMER_VOICE, cache),
                silence(1500),
                synthesize(ANSWER, CUSTOMER_VOICE, cache),
                silence(2500),
            ]
            parts += command
            length += sum(c.duration_s for c in command)
            said += 1
            continue
        line = synthesize(lines[n % len(lines)], ROOM_VOICES[n % len(ROOM_VOICES)], cache)
        parts += [line, silence(400)]
        length += line.duration_s + 0.4
        n += 1
    return mix_noise(join(parts), ROOM_SNR_DB, seed=7), items


class BasketWatch:
    """The customer's basket in the commerce database after every turn: how often it changed."""

    def __init__(self, settings: Settings, customer: str) -> None:
        self.db = Database.connect(settings.resolve_database_url())
        self.customer = customer
        self.states = [self.lines()]
        self.turns: list[dict[str, Any]] = []

    def lines(self) -> dict[str, int]:
        with self.db.session() as session:
            who = auth.find_customer(session, self.customer)
            view = basket_service.view(session, who, who.home_store_id)
        return {i["sku"]: i["quantity"] for i in view["items"]}

    def __call__(self, event: Event) -> None:
        if isinstance(event, TranscriptReady):
            self.turns.append({"heard": event.text})
        elif isinstance(event, ReplyReady):
            self.states.append(self.lines())
            if self.turns:
                self.turns[-1]["responses"] = [r.response for r in event.replies]
                self.turns[-1]["basket_changed"] = self.states[-1] != self.states[-2]

    @property
    def changes(self) -> int:
        return sum(a != b for a, b in zip(self.states, self.states[1:], strict=False))

    def close(self) -> None:
        self.db.dispose()


def living_room(
    settings: Settings, session: ChatSession, customer: str, audio: AudioChunk
) -> dict[str, Any]:
    """``audio`` through the microphone loop of ``session``'s customer; what it did."""
    bus = EventBus()
    watch = BasketWatch(settings, customer)
    wakes: list[str] = []
    bus.subscribe(watch)
    bus.subscribe(
        lambda e: (
            wakes.append(e.reason) if isinstance(e, ListeningChanged) and e.listening else None
        )
    )
    transcriber = factory.build_transcriber(settings)
    # no loudspeaker: a reply is over as soon as it is given
    engine = TurnEngine(session, RecordingSpeaker(), bus, transcriber=transcriber)
    started = time.perf_counter()
    try:
        microphone_loop(
            engine,
            ListAudioSource(split(audio, 20)),
            factory.build_endpointer(settings),
            factory.build_wake_gate(settings),
        )
    finally:
        watch.close()
    return {
        "audio_s": round(audio.duration_s, 1),
        "run_s": round(time.perf_counter() - started, 1),
        "openings": {r: wakes.count(r) for r in sorted(set(wakes))},
        "turns": watch.turns,
        "basket_changes": watch.changes,
        "basket_after": watch.states[-1],
    }


def main() -> int:
    from assistant.chat import customer_token
    from assistant.dialogue import RasaDialogue
    from assistant.services import isolated, running
    from assistant.settings import load_settings
    from assistant.training import train
    from commerce.migrate import upgrade
    from commerce.seed import seeder

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--commands", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS / "living_room.json")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    audio, items = recording(args.minutes, args.commands, CACHE)
    customer = seeder.customer_identity(1)[0]
    with tempfile.TemporaryDirectory(prefix="bench-living-room-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'commerce.db'}"
        db = Database.connect(url)
        upgrade(db)
        seeder.seed(db, customers=3)
        db.dispose()
        settings = isolated(load_settings(environ={}), work, url)
        train(settings)
        with running(settings) as stack:
            dialogue = RasaDialogue.of(stack.settings.dialogue)
            try:
                token = customer_token(stack.settings, customer)
                session = ChatSession(stack.settings, dialogue, token)
                result = living_room(stack.settings, session, customer, audio)
            finally:
                dialogue.close()
    report = {
        "date": datetime.date.today().isoformat(),
        "command": "python bench/bench_living_room.py " + " ".join(sys.argv[1:]),
        "minutes": args.minutes,
        "commands": [f"okay nabu, add {item}" for item in items],
        "room": {"voices": list(ROOM_VOICES), "noise_snr_db": ROOM_SNR_DB},
        **result,
        "ok": result["basket_changes"] == len(items),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("basket_changes", "commands", "ok", "run_s")}))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
