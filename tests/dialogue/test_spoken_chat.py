"""`chat --wav`: spoken shopping conversations to a placed order, through the real recogniser
(Whisper, the default), Rasa, the skills, the commerce service and the real text-to-speech; the
shopping in synthesised voices, a PIN in a real person's voice."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from assistant.services import Stack
from assistant.voice import chat_wav
from audio import formats, synthetic
from audio.base import AudioChunk
from tests.stack import Shop, pickup_day

# "tomorrow", unless every store is closed tomorrow (Christmas Day)
DAY = pickup_day()

TURNS = (
    "add two loaves of sourdough bread",
    f"book a pickup {DAY} at four pm",
    "checkout",
    "yes",
)


@pytest.fixture
def spoken_files(tmp_path: Path) -> list[Path]:
    files = []
    for n, text in enumerate(TURNS):
        speech = synthetic.synthesize(text, voice="kal", cache=tmp_path / "cache")
        path = tmp_path / f"turn{n}.wav"
        audio = formats.join([formats.silence(300), speech, formats.silence(700)])
        # a stereo recording: converted once, at the boundary
        stereo = np.repeat(np.frombuffer(audio.data, dtype="<i2"), 2).tobytes()
        formats.write_wav(path, AudioChunk(audio.rate, 2, 2, stereo))
        files.append(path)
    return files


def test_a_spoken_conversation_places_an_order(
    stack: Stack, shop: Shop, spoken_files: list[Path]
) -> None:
    out = io.StringIO()
    chat_wav(stack.settings, "ivan", None, spoken_files, out, reply_audio=True)
    turns = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [t["intent"] for t in turns] == [
        "add_to_basket",
        "book_pickup",
        "checkout",
        "affirm",
    ], turns
    assert turns[-1]["responses"] == ["utter_order_placed"]
    orders = shop.rows(
        "SELECT o.id, o.total_cents FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE c.handle = 'ivan' AND o.quote_id IS NOT NULL"
    )
    assert len(orders) == 1
    lines = shop.rows(
        "SELECT p.name, l.quantity FROM order_lines l JOIN products p ON p.id = l.product_id "
        "WHERE l.order_id = :o",
        o=orders[0][0],
    )
    assert any("sourdough" in name.lower() and qty == 2 for name, qty in lines), lines
    for turn in turns:
        assert turn["end_of_speech_to_first_audio_ms"] > 0
        reply = Path(turn["reply_audio"])
        assert reply.exists()
        assert formats.read_wav(reply).duration_s > 0.5, "the reply was spoken"


def test_a_real_voice_says_the_pin_and_the_order_is_placed(
    stack: Stack, shop: Shop, tmp_path: Path
) -> None:
    """judy's orders need her voice PIN: the shopping turns are synthesised, the PIN is said by
    a real person (recordings in tests/data/real-digits), heard by Whisper in PIN mode; only the
    service's ticket reaches the dialogue and the order is placed once."""
    from audio.recordings import spoken_pin

    files = []
    for n, text in enumerate(TURNS[:3]):
        speech = synthetic.synthesize(text, voice="slt", cache=tmp_path / "cache")
        files.append(formats.write_wav(tmp_path / f"turn{n}.wav", speech))
    files.append(formats.write_wav(tmp_path / "yes.wav", synthetic.synthesize("yes", "kal")))
    real = Path(__file__).resolve().parents[1] / "data" / "real-digits"
    pin = spoken_pin(real, "4321", "lucas", takes=[19])
    files.append(formats.write_wav(tmp_path / "pin.wav", formats.join([pin, formats.silence(700)])))
    out = io.StringIO()
    chat_wav(stack.settings, "judy", None, files, out)
    turns = [json.loads(line) for line in out.getvalue().splitlines()]
    said = [(t["transcript"], t["intent"], t["responses"]) for t in turns]
    assert turns[3]["responses"][-1] == "utter_ask_pin", said
    assert turns[4]["transcript"] == "[PIN]"
    assert turns[4]["responses"] == ["utter_order_placed"], said
    assert "4321" not in out.getvalue()
    orders = shop.rows(
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE c.handle = 'judy' AND o.quote_id IS NOT NULL"
    )
    assert len(orders) == 1
