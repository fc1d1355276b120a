"""Returns in store and feedback, end to end: real Rasa, action server and commerce service,
each outcome read from the commerce database (a return with its code; a feedback row)."""

from __future__ import annotations

import re

from tests.dialogue.test_shopping import Start
from tests.stack import Shop

CUSTOMER = "grace"


def last_order_line(shop: Shop, customer: str) -> tuple[int, str, int, int]:
    """(order id, product name, packs, unit price in pence) of a line of the customer's last
    collected order whose name shares no word with another line of it (so saying it names
    that line alone)."""
    order_id = shop.scalar(
        "SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE c.handle = :h AND o.status = 'collected' ORDER BY o.created_at DESC LIMIT 1",
        h=customer,
    )
    lines = shop.rows(
        "SELECT p.name, l.quantity, l.unit_price_cents FROM order_lines l "
        "JOIN products p ON p.id = l.product_id WHERE l.order_id = :o ORDER BY l.id",
        o=order_id,
    )

    def words(name: str) -> set[str]:
        return {w.rstrip("s") for w in re.findall(r"[a-z]+", name.lower())}

    for name, quantity, price in lines:
        others = set().union(*(words(n) for n, _, _ in lines if n != name))
        if not words(name) & others and "&" not in name:
            return int(order_id), str(name), int(quantity), int(price)
    raise AssertionError(f"no line of order {order_id} names itself alone: {lines}")


def returns_of(shop: Shop, customer: str) -> list[tuple]:
    return shop.rows(
        "SELECT r.code, r.order_id, r.quantity, r.reason, r.refund_to, r.refund_cents, "
        "r.status FROM returns r JOIN customers c ON c.id = r.customer_id "
        "WHERE c.handle = :h ORDER BY r.id",
        h=customer,
    )


def test_a_return_by_voice_is_read_back_and_made_once(start_chat: Start, shop: Shop) -> None:
    order_id, name, bought, price = last_order_line(shop, CUSTOMER)
    before = returns_of(shop, CUSTOMER)
    chat = start_chat(CUSTOMER)
    asked = chat.turn(f"I want to return the {name.lower()} from my last order, it was damaged")
    assert asked["intent"] == "return_item", asked
    if asked["responses"] == ["utter_ask_return_quantity"]:
        assert bought > 1, asked
        asked = chat.turn("just one")
    assert asked["responses"] == ["utter_return_readback"], asked
    assert name in asked["replies"][0], asked
    assert returns_of(shop, CUSTOMER) == before, "nothing before the yes"

    unclear = chat.turn("4321")
    assert unclear["responses"] == ["utter_yes_unclear"], unclear
    assert returns_of(shop, CUSTOMER) == before

    done = chat.turn("yes please")
    assert done["responses"][0] in ("utter_return_at_desk", "utter_return_with_pickup"), done
    made = returns_of(shop, CUSTOMER)
    assert len(made) == len(before) + 1
    code, order, quantity, reason, refund_to, refund_cents, status = made[-1]
    assert (order, quantity, reason, refund_to, status) == (
        order_id, 1, "damaged", "payment", "authorised"
    )  # fmt: skip
    assert refund_cents == price, "what was paid for one pack, to the penny"
    assert " ".join(code) in done["replies"][0], "the code is spelt out"

    again = chat.turn("yes")
    assert again["responses"] == ["utter_nothing_to_confirm"], again
    assert len(returns_of(shop, CUSTOMER)) == len(before) + 1


def test_a_no_makes_no_return(start_chat: Start, shop: Shop) -> None:
    _, name, _, _ = last_order_line(shop, CUSTOMER)
    before = returns_of(shop, CUSTOMER)
    chat = start_chat(CUSTOMER)
    asked = chat.turn(f"can I return one {name.lower()}, it was the wrong item")
    if asked["responses"] == ["utter_ask_return_quantity"]:
        asked = chat.turn("one")
    assert asked["responses"] in (["utter_return_readback"], ["utter_return_already"]), asked
    if asked["responses"] == ["utter_return_readback"]:
        assert chat.turn("no")["responses"] == ["utter_return_not_made"]
    assert returns_of(shop, CUSTOMER) == before


def test_feedback_by_voice_is_kept_for_the_staff(start_chat: Start, shop: Shop) -> None:
    chat = start_chat(CUSTOMER)
    said = "the staff at riverside were great"
    answer = chat.turn(said)
    assert answer["intent"] == "give_feedback", answer
    assert answer["responses"] == ["utter_feedback_thanks"], answer
    rows = shop.rows(
        "SELECT f.text, f.store_id, f.category, f.sentiment FROM feedback f "
        "JOIN customers c ON c.id = f.customer_id WHERE c.handle = :h ORDER BY f.id",
        h=CUSTOMER,
    )
    assert rows[-1] == (said, "riverside", "staff", "positive")

    asked = chat.turn("I'd like to make a complaint")
    assert asked["responses"] == ["utter_ask_feedback"], asked
    complaint = "I waited half an hour at the pickup desk"
    kept = chat.turn(complaint)
    assert kept["responses"] == ["utter_feedback_sorry"], kept
    rows = shop.rows(
        "SELECT f.text, f.category, f.sentiment FROM feedback f "
        "JOIN customers c ON c.id = f.customer_id WHERE c.handle = :h ORDER BY f.id",
        h=CUSTOMER,
    )
    assert rows[-1] == (complaint, "delivery-pickup", "negative")
