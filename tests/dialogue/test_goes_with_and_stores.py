"""Goes well with and which store has it, end to end: real Rasa, action server and commerce
service, every outcome read from the commerce database (issue 15, items 4 and 5)."""

from __future__ import annotations

import re

from tests.dialogue.test_shopping import Start, add
from tests.stack import Shop


def customer_id(shop: Shop, handle: str) -> int:
    return int(shop.scalar("SELECT id FROM customers WHERE handle = :h", h=handle))


def name_of(shop: Shop, sku: str) -> str:
    return str(shop.scalar("SELECT name FROM products WHERE sku = :s", s=sku))


def test_a_suggestion_accepted_is_in_the_basket(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("heidi")
    chat.turn("empty my basket")
    chat.turn("yes")
    added = add(chat, "add some plain flour")
    assert added["responses"][-1] == "utter_goes_with_hint", added
    flour = set(shop.lines("heidi"))
    assert len(flour) == 1
    hint = added["replies"][-1]  # "People who buy Plain Flour often add Lemons, …. Add one?"
    yes = chat.turn("yes please")
    assert yes["responses"] == ["utter_added_items", "utter_basket_total"], yes
    lines = shop.lines("heidi")
    (suggested,) = set(lines) - flour
    assert lines[suggested] == 1
    assert name_of(shop, suggested) in hint, (hint, lines)

    again = add(chat, "add another plain flour")
    assert "utter_goes_with_hint" not in again["responses"], "never twice for a product"
    assert set(shop.lines("heidi")) == set(lines)


def test_anything_but_a_yes_adds_nothing_and_hints_can_be_off(
    start_chat: Start, shop: Shop
) -> None:
    chat = start_chat("judy")
    chat.turn("empty my basket")
    chat.turn("yes")
    added = add(chat, "add some plain flour")
    assert added["responses"][-1] == "utter_goes_with_hint", added
    before = shop.lines("judy")
    for reply in ("hmm", "4321", "no thanks"):
        chat.turn(reply)
    assert shop.lines("judy") == before, "nothing but a clear yes adds the suggestion"

    # the customer turned hints off (PATCH /v1/me/settings {"hints": false}): none offered
    shop.execute(
        "INSERT INTO customer_settings (customer_id, hints) VALUES (:c, :h)",
        c=customer_id(shop, "judy"),
        h=False,
    )
    chat = start_chat("judy")  # a new conversation: nothing offered about in it yet
    quiet = add(chat, "add some whole milk")
    assert "utter_goes_with_hint" not in quiet["responses"], quiet


def test_what_goes_with_asked(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("grace")
    before = shop.lines("grace")
    asked = chat.turn("what goes well with plain flour")
    assert asked["intent"] == "goes_with", asked
    assert asked["responses"] == ["utter_goes_well_with", "utter_goes_with_offer"], asked
    assert "People who buy Plain Flour often add" in asked["replies"][0]
    chat.turn("no")
    assert shop.lines("grace") == before, "asking changes nothing"


def test_which_store_has_it_matches_the_stock_table(start_chat: Start, shop: Shop) -> None:
    oat = [row[0] for row in shop.rows("SELECT id FROM products WHERE name = 'Oat Milk'")]
    assert oat
    shelf = {"riverside": 12, "old-town": 0, "northgate": 3, "harbour": 7}
    for store, quantity in shelf.items():
        for product in oat:
            shop.execute(
                "UPDATE stock SET quantity = :q WHERE store_id = :s AND product_id = :p",
                q=quantity,
                s=store,
                p=product,
            )
    chat = start_chat("bob")
    answer = chat.turn("which store has oat milk in stock")
    assert answer["intent"] == "which_store_has", answer
    assert answer["responses"] == ["utter_stores_with_stock", "utter_stores_without_stock"]
    said = dict(re.findall(r"Greenleaf ([A-Za-z ]+?) \((\d+) on the shelf", answer["replies"][0]))
    names = dict(shop.rows("SELECT id, name FROM stores"))
    expected = {names[s].removeprefix("Greenleaf "): str(q) for s, q in shelf.items() if q}
    assert said == expected, answer
    assert "Old Town" in answer["replies"][1]


def test_special_hours_in_the_store_hours_answer(start_chat: Start, shop: Shop) -> None:
    """The stack's clock: Wednesday 16 June 2027; Saturday 19 June has special hours."""
    shop.execute(
        "INSERT INTO store_special_hours (store_id, day, name, opens, closes) "
        "VALUES ('old-town', '2027-06-19', 'the Wrenford Carnival', '08:00', '13:00')"
    )
    chat = start_chat("carol")
    hours = chat.turn("when does old town close on saturday")
    assert hours["responses"] == ["utter_store_holiday_hours"], hours
    assert "from 8 am to 1 pm" in hours["replies"][0]
    christmas = chat.turn("is old town open on christmas day")
    assert christmas["responses"] == ["utter_holiday_hours_unknown"], christmas
