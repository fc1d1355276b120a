"""The confirmation policy and the ways out, end to end: real Rasa, action server and commerce
service; every outcome is read from the commerce database (orders, basket, PIN failures).

A yes is a yes only when it is one: at the checkout read-back "4321" and "!!!???" (both affirm
to the classifier) place no order, "make that 1" changes the basket and reads back again; at the
PIN prompt "cancel" or a new request leaves it and counts no wrong PIN.
"""

from __future__ import annotations

from assistant.chat import ChatSession
from tests.dialogue.test_shopping import Start, active_bookings, add, orders_of
from tests.stack import Shop, pickup_day

# "tomorrow", unless every store is closed tomorrow (Christmas Day)
DAY = pickup_day()


def pin_failures(shop: Shop, customer: str) -> int:
    return int(
        shop.scalar("SELECT failed_pin_attempts FROM customers WHERE handle = :h", h=customer)
    )


def to_read_back(chat: ChatSession, shop: Shop, customer: str) -> None:
    assert chat.turn(f"book a pickup {DAY} at 11 am")["responses"] == ["utter_pickup_booked"]
    readback = chat.turn("checkout")
    assert readback["responses"] == ["utter_quote_readback"], readback
    assert orders_of(shop, customer) == []


def test_non_yeses_at_the_read_back_place_no_order(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("grace")
    add(chat, "add three loaves of sourdough bread")
    (sku, quantity), *others = shop.lines("grace").items()
    assert (quantity, others) == (3, [])
    to_read_back(chat, shop, "grace")

    for text in ("4321", "!!!???", "1111"):
        answer = chat.turn(text)
        assert answer["responses"] == ["utter_yes_unclear"], (text, answer)
        assert orders_of(shop, "grace") == [], text
    assert shop.lines("grace") == {sku: 3}

    corrected = chat.turn("make that 1")
    assert corrected["responses"] == ["utter_quantity_changed", "utter_quote_readback"], corrected
    assert orders_of(shop, "grace") == [], "a correction is not a yes"
    assert shop.lines("grace") == {sku: 1}

    placed = chat.turn("yes please")
    assert placed["responses"] == ["utter_order_placed"], placed
    (order_id, _, _), *more = orders_of(shop, "grace")
    assert more == []
    lines = shop.rows("SELECT quantity FROM order_lines WHERE order_id = :o", o=order_id)
    assert [q for (q,) in lines] == [1], "the order is the corrected basket"


def test_words_at_the_pin_prompt_leave_it_and_count_no_wrong_pin(
    start_chat: Start, shop: Shop
) -> None:
    chat = start_chat("heidi")  # heidi has the demo PIN 4321
    add(chat, "add six bananas")
    to_read_back(chat, shop, "heidi")
    before = pin_failures(shop, "heidi")

    assert chat.turn("yes")["responses"] == ["utter_ask_pin"]
    cancelled = chat.turn("cancel")
    assert cancelled["user"] == "cancel"
    assert cancelled["responses"] == ["utter_cancelled"], cancelled
    assert not chat.expecting_pin

    assert chat.turn("checkout")["responses"] == ["utter_quote_readback"]
    assert chat.turn("yes")["responses"] == ["utter_ask_pin"]
    basket = chat.turn("what's in my basket")
    assert basket["responses"] == ["utter_basket_contents"], basket
    assert not chat.expecting_pin, "a new request leaves the PIN prompt"
    assert pin_failures(shop, "heidi") == before, "no word was taken for a PIN"
    assert orders_of(shop, "heidi") == []

    assert chat.turn("checkout")["responses"] == ["utter_quote_readback"]
    assert chat.turn("yes")["responses"] == ["utter_ask_pin"]
    wrong = chat.turn("one one one one")
    assert wrong["responses"] == ["utter_pin_wrong"]
    assert pin_failures(shop, "heidi") == before + 1, "digits are a PIN attempt"
    right = chat.turn("four three two one")
    assert right["responses"] == ["utter_order_placed"], right
    assert len(orders_of(shop, "heidi")) == 1


def test_change_the_eggs_at_the_read_back_then_empty_the_basket(
    start_chat: Start, shop: Shop
) -> None:
    chat = start_chat("judy")
    add(chat, "add a dozen eggs")
    add(chat, "add a litre of whole milk")
    to_read_back(chat, shop, "judy")
    eggs = next(i["sku"] for i in shop.basket("judy")["items"] if "egg" in i["name"].lower())

    changed = chat.turn("change the eggs to 2")
    assert changed["responses"] == ["utter_quantity_changed", "utter_quote_readback"], changed
    assert shop.lines("judy")[eggs] == 2
    assert active_bookings(shop, "judy") == 1, "the pickup was not touched"
    assert orders_of(shop, "judy") == []

    for text in ("empty my basket", "clear my basket", "remove everything"):
        asked = chat.turn(text)
        assert asked["responses"] == ["utter_ask_empty_basket"], (text, asked)
        assert shop.lines("judy") != {}, "nothing is discarded before the yes"
        if text != "remove everything":
            assert chat.turn("no")["responses"] == ["utter_basket_kept"]
    assert chat.turn("yes")["responses"] == ["utter_basket_emptied"]
    assert shop.lines("judy") == {}
    assert orders_of(shop, "judy") == []
