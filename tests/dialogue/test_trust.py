"""Entities honoured, times understood, repeats made safe — end to end: real Rasa, action server
and commerce service, every outcome read from the commerce database.

Each test replays failures a new user met (issue 11): a named store swapped for the home store,
time answers that made checkout loop, "six instead of twelve" giving 72, a second reorder that
doubled the basket, "did I buy oat milk before" that added chocolate chips.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

from tests.dialogue.test_shopping import Start, active_bookings, add, orders_of
from tests.stack import Shop, pickup_day

# "tomorrow", unless every store is closed tomorrow (Christmas Day)
DAY = pickup_day()

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def stock_at(shop: Shop, store: str, name: str) -> int:
    """The stock at ``store`` of the product called ``name``."""
    return int(
        shop.scalar(
            "SELECT s.quantity FROM products p JOIN stock s ON s.product_id = p.id "
            "WHERE s.store_id = :s AND lower(p.name) = :n",
            s=store,
            n=name,
        )
    )


def test_a_named_store_is_the_one_answered_for(start_chat: Start, shop: Shop) -> None:
    home = shop.scalar("SELECT home_store_id FROM customers WHERE handle = 'frank'")
    chat = start_chat("frank")
    assert home != "riverside"

    quantity = stock_at(shop, "riverside", "romanesco cauliflower")
    stock = chat.turn("is romanesco cauliflower in stock at riverside")
    expected = "utter_product_in_stock" if quantity > 0 else "utter_product_out_of_stock"
    assert stock["responses"] == [expected], stock
    assert "Riverside" in stock["replies"][0], stock

    hours = chat.turn("when does river side shut tonight")
    assert hours["responses"] == ["utter_store_hours"], hours  # a Wednesday: open
    assert "Greenleaf Riverside" in hours["replies"][0], hours

    # The stack's clock reads a Wednesday morning: within the harbour store's hours for the day
    # (as the database holds them), so the answer is that it is open.
    opening = shop.rows("SELECT opening_hours FROM stores WHERE id = 'harbour'")[0][0]
    if isinstance(opening, str):
        opening = json.loads(opening)
    now = datetime.now(ZoneInfo("Europe/Jersey"))  # the stack's clock (tests/stack.py)
    opens, closes = (time.fromisoformat(t) for t in opening[WEEKDAYS[now.weekday()]])
    assert opens <= now.time() < closes, (now, opening)
    asked = chat.turn("is the harbour store open now")
    assert asked["responses"] == ["utter_store_open_now"], (now, asked)
    assert "Greenleaf Harbour" in asked["replies"][0]
    assert shop.lines("frank") == {}, "questions change nothing"


def test_time_answers_at_checkout_and_a_quantity_correction(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("ivan")  # the spoken-chat test also books and orders for ivan
    bookings, orders = active_bookings(shop, "ivan"), len(orders_of(shop, "ivan"))
    chat.turn("empty my basket")
    chat.turn("yes")
    add(chat, "add twelve bananas")
    add(chat, "add a litre of whole milk")
    bananas = next(s for s, q in shop.lines("ivan").items() if q == 12)

    corrected = chat.turn("make it six instead of twelve")
    assert corrected["responses"][0] == "utter_quantity_changed", corrected
    assert shop.lines("ivan")[bananas] == 6, "six, not 72 and not twelve"

    assert chat.turn("checkout")["responses"] == ["utter_need_pickup_first"]
    closed = chat.turn("3am")
    assert closed["responses"] == ["utter_store_closed_then", "utter_free_slots_offer"], closed
    assert active_bookings(shop, "ivan") == bookings
    assert chat.turn("cancel")["responses"] == ["utter_cancelled"]

    assert chat.turn("checkout")["responses"] == ["utter_need_pickup_first"]
    booked = chat.turn("noon")  # the classifier once read this as a no
    assert booked["responses"] == ["utter_pickup_booked", "utter_quote_readback"], booked
    assert "12 pm" in booked["replies"][0], booked
    assert active_bookings(shop, "ivan") == bookings + 1
    assert len(orders_of(shop, "ivan")) == orders, "the read-back waits for a yes"
    assert chat.turn("no")["responses"] == ["utter_order_not_placed"]

    listed = chat.turn("which pickups do I have")
    assert listed["responses"] == ["utter_pickups_upcoming"], listed
    assert "12 pm" in listed["replies"][0], listed
    assert len(orders_of(shop, "ivan")) == orders


def test_repeats_are_safe(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("frank")
    chat.turn("clear my basket")
    chat.turn("yes")
    assert shop.lines("frank") == {}

    asked = chat.turn("did I buy oat milk before")
    assert asked["responses"][0] in ("utter_bought_before", "utter_not_bought_before"), asked
    assert shop.lines("frank") == {}, "a question buys nothing"

    first = chat.turn("reorder my last shop")
    assert first["responses"][0] == "utter_reordered", first
    once = shop.lines("frank")
    assert once

    second = chat.turn("reorder my last shop")
    assert second["responses"] == ["utter_reorder_already_in_basket"], second
    assert shop.lines("frank") == once, "nothing doubled before the yes"
    assert chat.turn("no")["responses"] == ["utter_ok"]
    assert shop.lines("frank") == once

    usual = chat.turn("the stuff I normally buy")
    assert usual["intent"] == "reorder", usual
    assert "your usual" in " ".join(usual["replies"]), usual


def test_cancel_a_placed_order_after_a_yes(start_chat: Start, shop: Shop) -> None:
    chat = start_chat("erin")
    chat.turn("empty my basket")
    chat.turn("yes")
    add(chat, "add six bananas")
    assert chat.turn(f"book a pickup {DAY} at 11 am")["responses"] == ["utter_pickup_booked"]
    assert chat.turn("checkout")["responses"] == ["utter_quote_readback"]
    assert chat.turn("yes")["responses"] == ["utter_order_placed"]
    order_id, _, status = orders_of(shop, "erin")[-1]
    assert status == "placed"

    asked = chat.turn("cancel my order")
    assert asked["responses"] == ["utter_ask_cancel_order"], asked
    assert orders_of(shop, "erin")[-1][2] == "placed", "nothing cancelled before the yes"
    assert chat.turn("4321")["responses"] == ["utter_yes_unclear"]
    assert orders_of(shop, "erin")[-1][2] == "placed"
    done = chat.turn("yes")
    assert done["responses"] == ["utter_order_cancelled"], done
    assert orders_of(shop, "erin")[-1] == (order_id, orders_of(shop, "erin")[-1][1], "cancelled")
    booking = shop.scalar(
        "SELECT status FROM pickup_bookings WHERE id = "
        "(SELECT booking_id FROM orders WHERE id = :o)",
        o=order_id,
    )
    assert booking == "cancelled", "its pickup slot was released"


def _named(shop: Shop, handle: str) -> dict[str, int]:
    """``handle``'s basket by product name."""
    return {i["name"]: i["quantity"] for i in shop.basket(handle)["items"]}


def test_a_resemblance_is_asked_about_never_added(start_chat: Start, shop: Shop) -> None:
    """ "Add some butter" heard as "add some butcher" added Chicken Drumsticks (by their brand,
    Brackenhill Butchers, alone): now it asks, and only a yes adds."""
    shop.more_customers(17)  # quinn is this test's own
    shop.execute(
        "DELETE FROM basket_items WHERE customer_id = (SELECT id FROM customers "
        "WHERE handle = 'quinn')"
    )
    chat = start_chat("quinn")
    asked = chat.turn("add some butcher")
    assert asked["responses"] == ["utter_did_you_mean"], asked
    assert "I couldn't find butcher. Did you mean Chicken Drumsticks" in asked["replies"][0]
    assert _named(shop, "quinn") == {}, "nothing is added on a resemblance"

    assert chat.turn("no")["responses"] == ["utter_ok"]
    assert _named(shop, "quinn") == {}

    assert chat.turn("add some butcher")["responses"] == ["utter_did_you_mean"]
    added = chat.turn("yes")
    assert added["responses"] == ["utter_added_items", "utter_basket_total"], added
    assert _named(shop, "quinn") == {"Chicken Drumsticks": 1}

    # nor is a question answered about something else
    described = chat.turn("is there any butcher in stock")
    assert described["responses"] == ["utter_did_you_mean"], described
    assert chat.turn("no")["responses"] == ["utter_ok"]
    assert _named(shop, "quinn") == {"Chicken Drumsticks": 1}

    # a product named is added with no question (a menu when several fit, as before)
    answer = add(chat, "add some butter")
    assert "utter_did_you_mean" not in answer["responses"]
    assert [n for n in _named(shop, "quinn") if "Butter" in n], _named(shop, "quinn")


def test_remove_a_kilo_of_apples(start_chat: Start, shop: Shop) -> None:
    """ "Remove a kilo of apples" left the Braeburn Apples in the basket: beside the 1 kg bag
    were loose Braeburn Apples, of the same name, and those were taken instead."""
    shop.more_customers(18)  # rupert is this test's own
    shop.execute(
        "DELETE FROM basket_items WHERE customer_id = (SELECT id FROM customers "
        "WHERE handle = 'rupert')"
    )
    chat = start_chat("rupert")
    add(chat, "add a kilo of apples")
    add(chat, "add two apples")
    add(chat, "add a litre of whole milk")
    sizes = {
        (i["name"], i["size"], i["unit"]): i["quantity"] for i in shop.basket("rupert")["items"]
    }
    assert sizes.get(("Braeburn Apples", 1.0, "kg")) == 1, sizes
    assert sizes.get(("Braeburn Apples", 1.0, "each")) == 2, sizes

    removed = chat.turn("remove a kilo of apples")
    assert removed["responses"][0] == "utter_removed_items", removed
    assert "Braeburn Apples, 1 kilo" in removed["replies"][0], removed
    left = {(i["name"], i["unit"]): i["quantity"] for i in shop.basket("rupert")["items"]}
    assert left == {("Braeburn Apples", "each"): 2, ("Whole Milk", "L"): 1}, left


def test_a_product_the_nlu_tags_in_two_parts_is_added_once(start_chat: Start, shop: Shop) -> None:
    """ "Add a kilo of braeburn apples" was tagged as two products, "braeburn" and "apples",
    and two lines were added; the words together name one product in the catalog."""
    from commerce.seed.seeder import customer_identity

    shop.more_customers(20)
    handle = customer_identity(19)[0]  # this test's own
    shop.execute(
        "DELETE FROM basket_items WHERE customer_id = (SELECT id FROM customers WHERE handle = :h)",
        h=handle,
    )
    chat = start_chat(handle)
    answer = chat.turn("add a kilo of braeburn apples")
    assert answer["intent"] == "add_to_basket", answer
    lines = {(i["name"], i["size"], i["unit"]): i["quantity"] for i in shop.basket(handle)["items"]}
    assert lines == {("Braeburn Apples", 1.0, "kg"): 1}, (answer, lines)
