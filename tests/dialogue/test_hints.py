"""Hints by voice, end to end: real Rasa, action server and commerce service. "Stop suggesting
things" turns the customer's one ``hints`` setting off (read from the commerce database), and
an add is then offered nothing; "turn suggestions back on" turns it on, and the next add is."""

from __future__ import annotations

from tests.dialogue.test_money import OAT_BISCUITS, basket_lines
from tests.dialogue.test_shopping import Start, add
from tests.stack import Shop


def hints_of(shop: Shop, handle: str) -> object:
    return shop.scalar(
        "SELECT s.hints FROM customer_settings s JOIN customers c ON c.id = s.customer_id "
        "WHERE c.handle = :h",
        h=handle,
    )


def test_hints_off_and_back_on_by_voice(start_chat: Start, shop: Shop) -> None:
    shop.more_customers(40)
    handle = "nina2"  # this test's own; shopping at Riverside, where oat biscuits are 2 for 1
    cheddar = str(shop.scalar("SELECT sku FROM products WHERE name = 'Mature Cheddar'"))
    for sku in (OAT_BISCUITS, cheddar):
        shop.execute(
            "UPDATE stock SET quantity = 50 WHERE store_id = 'riverside' "
            "AND product_id = (SELECT id FROM products WHERE sku = :s)",
            s=sku,
        )
    chat = start_chat(handle, store="riverside")
    assert hints_of(shop, handle) is None, "on by default, no row yet"

    off = chat.turn("stop suggesting things")
    assert (off["intent"], off["responses"]) == ("hints_off", ["utter_hints_off"]), off
    assert not hints_of(shop, handle)
    quiet = add(chat, "add oat biscuits")
    assert quiet["responses"] == ["utter_added_items", "utter_basket_total"], quiet
    assert basket_lines(shop, handle) == {OAT_BISCUITS: 1}

    on = chat.turn("turn suggestions back on")
    assert (on["intent"], on["responses"]) == ("hints_on", ["utter_hints_on"]), on
    assert hints_of(shop, handle)
    hinted = add(chat, "add mature cheddar")  # a deal at Riverside, and things go with it
    # one hint a turn: a deal, else what goes with it (which one depends on the menu's pick)
    assert hinted["responses"][-1] in ("utter_deal_hint", "utter_goes_with_hint"), hinted
    assert hinted["replies"][-1].endswith("?")
    chat.turn("no thanks")
    lines = basket_lines(shop, handle)
    assert (lines[OAT_BISCUITS], len(lines), sum(lines.values())) == (1, 2, 2), lines
