"""A home device's whole loop in a living room, on the real stack: 80 seconds of other talk
(three synthetic voices reading public-domain texts) and pink noise, with one wake-word
command inside, through the microphone loop (configured wake word, Whisper, Rasa, the
action server, the commerce service); the customer's basket in the database changes once.
The 10-minute version is ``bench/bench_living_room.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.chat import ChatSession
from bench.bench_living_room import living_room, recording
from commerce.seed import seeder
from tests.stack import Shop, Stack


def test_one_command_in_a_living_room_changes_the_basket_once(
    stack: Stack,
    start_chat: Callable[..., ChatSession],
    shop: Shop,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cache: Path = tmp_path_factory.mktemp("living-room")
    audio, items = recording(minutes=1.3, commands=1, cache=cache)
    shop.more_customers(14)
    customer = seeder.customer_identity(13)[0]  # a customer of this test's own
    before = shop.lines(customer)
    result = living_room(stack.settings, start_chat(customer), customer, audio)
    after = shop.lines(customer)
    assert result["basket_changes"] == 1, result["turns"]
    added = {sku: n - before.get(sku, 0) for sku, n in after.items() if n != before.get(sku)}
    assert len(added) == 1, (added, result["turns"])
    names = [i["name"].lower() for i in shop.basket(customer)["items"] if i["sku"] in added]
    assert "egg" in names[0], (items, names)
    # the room's talk never reached the dialogue: only the command (and its answer)
    heard = " ".join(t["heard"] for t in result["turns"]).lower()
    assert "egg" in heard
    assert len(result["turns"]) <= 2, result["turns"]
