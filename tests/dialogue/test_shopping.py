"""End-to-end chats through the real Rasa server, action server and commerce service.

Each test is one customer's conversation; the outcomes are read from the commerce database.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from assistant.chat import ChatSession
from assistant.services import Stack
from assistant.settings import ROOT
from audio.base import Transcript
from tests.stack import Shop, command_env, pickup_day, run_chat_command

# "tomorrow", unless every store is closed tomorrow (Christmas Day)
DAY = pickup_day()

Start = Callable[..., ChatSession]


def orders_of(shop: Shop, customer: str) -> list[tuple[int, int, str]]:
    return shop.rows(
        "SELECT o.id, o.total_cents, o.status FROM orders o JOIN customers c "
        "ON c.id = o.customer_id WHERE c.handle = :h AND o.quote_id IS NOT NULL ORDER BY o.id",
        h=customer,
    )


def active_bookings(shop: Shop, customer: str) -> int:
    return int(
        shop.scalar(
            "SELECT count(*) FROM pickup_bookings b JOIN customers c ON c.id = b.customer_id "
            "WHERE c.handle = :h AND b.status = 'active'",
            h=customer,
        )
    )


def add(chat: ChatSession, text: str) -> dict:
    """Ask to add something; when a menu of close fits comes back, take the first one."""
    answer = chat.turn(text)
    assert answer["intent"] == "add_to_basket", answer
    if answer["responses"] == ["utter_product_choices"]:
        answer = chat.turn("the first one")
        assert answer["intent"] == "choose_option", answer
    assert answer["responses"][0] == "utter_added_items", answer
    return answer


def test_a_whole_shopping_conversation(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("alice")
    assert chat.turn("hello")["responses"] == ["utter_greet"]

    found = chat.turn("find oat milk")
    assert found["intent"] == "search_product"
    assert found["responses"] == ["utter_product_choices"]
    assert "two," in found["replies"][0]

    picked = chat.turn("the second one")
    assert picked["intent"] == "choose_option"
    assert picked["responses"] == ["utter_chosen_product"]
    assert chat.turn("yes")["responses"][0] == "utter_added_items"
    lines = shop.lines("alice")
    assert len(lines) == 1
    oat_milk = next(iter(lines))

    added = chat.turn("add two loaves of sourdough bread and a dozen eggs")
    assert added["intent"] == "add_to_basket"
    basket = shop.basket("alice")
    names = {i["name"].lower(): i["quantity"] for i in basket["items"]}
    assert any("sourdough" in n and q == 2 for n, q in names.items()), names
    assert any("egg" in n for n in names), names
    assert shop.lines("alice")[oat_milk] == 1

    before = shop.basket("alice")["item_count"]
    reorder = chat.turn("reorder my usual")
    assert reorder["intent"] == "reorder"
    # alice's usual has what she just added: the assistant asks before adding it again
    assert reorder["responses"] == ["utter_reorder_already_in_basket"], reorder
    assert shop.basket("alice")["item_count"] == before
    assert chat.turn("yes")["responses"][0] == "utter_reordered"
    assert shop.basket("alice")["item_count"] > before

    read_back = chat.turn("what's in my basket")
    assert read_back["responses"] == ["utter_basket_contents"]
    total = shop.basket("alice")["total"]
    assert f"£{total:.2f}" in read_back["replies"][0]

    booked = chat.turn(f"book a pickup {DAY} at 5 pm")
    assert booked["responses"] == ["utter_pickup_booked"], booked
    assert active_bookings(shop, "alice") == 1

    readback = chat.turn("checkout")
    assert readback["responses"] == ["utter_quote_readback"]
    assert orders_of(shop, "alice") == [], "nothing is ordered before the yes"
    placed = chat.turn("yes")
    assert placed["responses"] == ["utter_order_placed"], placed
    orders = orders_of(shop, "alice")
    assert len(orders) == 1
    assert orders[0][1] == round(total * 100)

    chat.turn("yes")  # a repeated yes places nothing more
    assert len(orders_of(shop, "alice")) == 1


def test_no_at_the_readback_places_nothing(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("carol")
    add(chat, "add a litre of whole milk")
    assert shop.basket("carol")["item_count"] >= 1
    chat.turn(f"book a pickup {DAY} at 10 am")
    assert chat.turn("checkout")["responses"] == ["utter_quote_readback"]
    denied = chat.turn("no")
    assert denied["responses"] == ["utter_order_not_placed"]
    assert orders_of(shop, "carol") == []


def test_out_of_scope_is_turned_away_and_changes_nothing(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("carol")
    before = shop.lines("carol")
    answer = chat.turn("what's the weather like in paris tomorrow")
    assert answer["intent"] in ("out_of_scope", "nlu_fallback")
    assert answer["responses"][0] in ("utter_out_of_scope", "utter_please_rephrase")
    assert shop.lines("carol") == before


def test_a_noisy_turn_is_answered_by_the_reading_rasa_understands(
    start_chat: Start, shop: Shop
) -> None:
    # slt saying "when does riverside close" at 10 dB: WebRTC's suppressor left "add side month"
    # (an add to basket), a spectral gate heard it right (audio/denoise.py gives both readings)
    chat = start_chat("carol")
    before = shop.lines("carol")
    heard = Transcript(
        "add side month", "pocketsphinx", alternatives=("when does riverside close",)
    )
    text = chat.reading(heard)
    assert text == "when does riverside close"
    answer = chat.turn(text)
    assert answer["intent"] == "store_hours"
    assert shop.lines("carol") == before, "nothing was added"


def test_checkout_with_a_voice_pin_never_stores_it(
    start_chat: Start, shop: Shop, stack: Stack, dialogue
) -> None:
    chat = start_chat("bob")  # bob has the demo PIN 4321
    add(chat, "add six bananas")
    assert shop.basket("bob")["item_count"] >= 1
    chat.turn(f"book a pickup {DAY} at 11 am")
    assert chat.turn("checkout")["responses"] == ["utter_quote_readback"]
    assert chat.turn("yes")["responses"] == ["utter_ask_pin"]
    wrong = chat.turn("one one one one")
    assert wrong["user"] == "[PIN]"
    assert wrong["responses"] == ["utter_pin_wrong"]
    assert orders_of(shop, "bob") == []
    right = chat.turn("four three two one")
    assert right["responses"] == ["utter_order_placed"], right
    assert len(orders_of(shop, "bob")) == 1

    history = json.dumps(dialogue.tracker(chat.sender))
    for spoken in ("4321", "four three two one", "one one one one", "1111"):
        # Not inside a longer number: the tracker also holds the classifier's probabilities,
        # and "8.340158644321669e-07" is no PIN.
        assert not re.search(rf"(?<![\d.]){spoken}(?!\d)", history), spoken


def test_recipe_to_basket(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("dave")
    before = shop.basket("dave")["item_count"]
    ideas = chat.turn("suggest a recipe with chicken")
    assert ideas["intent"] == "suggest_recipe"
    assert ideas["responses"] == ["utter_recipe_suggestions"], ideas
    chosen = chat.turn("the first one")
    assert chosen["responses"] == ["utter_recipe_chosen"]
    added = chat.turn("yes")
    assert added["responses"][0] == "utter_recipe_added", added
    assert shop.basket("dave")["item_count"] > before


def test_a_service_outage_is_an_apology_and_changes_nothing(
    start_chat: Start, shop: Shop, stack: Stack
) -> None:
    chat = start_chat("erin")
    before = shop.lines("erin")
    commerce = next(p for p in stack.started if p.name == "commerce service")
    commerce.stop()
    try:
        answer = chat.turn("add two litres of milk")
        assert answer["responses"] == ["utter_service_unavailable"]
        assert "Traceback" not in answer["replies"][0]
    finally:
        commerce.start()
        commerce.wait_ready(60)
    assert shop.lines("erin") == before
    add(chat, "add two litres of milk")
    assert shop.basket("erin")["item_count"] > sum(before.values())


def test_the_chat_command_prints_one_json_line_per_turn(stack: Stack, tmp_path: Path) -> None:
    turns = run_chat_command(stack, "frank", "hello\nwhat's in my basket\n")
    assert [t["user"] for t in turns] == ["hello", "what's in my basket"]
    assert turns[0]["intent"] == "greet"
    assert set(turns[1]) >= {"user", "intent", "replies", "latency_ms"}
    assert turns[1]["replies"]

    env = command_env(stack)
    parsed = subprocess.run(
        [sys.executable, str(ROOT / "run_assistant.py"), "parse", "add two litres of milk"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    result = json.loads(parsed.stdout)
    assert result["intent"]["name"] == "add_to_basket"
    assert {"entity": "product", "value": "milk"}.items() <= next(
        e for e in result["entities"] if e["entity"] == "product"
    ).items()

    # --jsonl: one object per line; a text with no words has no intent (and breaks nothing)
    lines = tmp_path / "texts.jsonl"
    lines.write_text('{"text": ""}\n{"text": "what is in my basket"}\n')
    parsed = subprocess.run(
        [sys.executable, str(ROOT / "run_assistant.py"), "parse", "--jsonl", str(lines)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    empty, basket = (json.loads(line) for line in parsed.stdout.splitlines())
    assert empty == {"text": "", "intent": {"name": None, "confidence": None}, "entities": []}
    assert basket["intent"]["name"] == "view_basket"
