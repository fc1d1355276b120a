"""Deals and loyalty end to end: real Rasa, action server and commerce service, every outcome
read from the commerce database — a total with a deal, a balance said, an order paid partly
with points and the balance after it, the points back when it is cancelled."""

from __future__ import annotations

from tests.dialogue.test_shopping import Start, active_bookings, add, orders_of
from tests.stack import Shop, pickup_day

DAY = pickup_day()
OAT_BISCUITS = "PAN-00589"  # 95p; 2 for 1 at Riverside in the seed


def balance(shop: Shop, handle: str) -> int:
    return int(
        shop.scalar(
            "SELECT coalesce(sum(e.points), 0) FROM loyalty_entries e "
            "JOIN customers c ON c.id = e.customer_id WHERE c.handle = :h",
            h=handle,
        )
    )


def basket_lines(shop: Shop, handle: str) -> dict[str, int]:
    rows = shop.rows(
        "SELECT p.sku, b.quantity FROM basket_items b JOIN products p ON p.id = b.product_id "
        "JOIN customers c ON c.id = b.customer_id WHERE c.handle = :h",
        h=handle,
    )
    return {sku: quantity for sku, quantity in rows}


def test_deals_by_voice_and_an_order_with_the_deal(start_chat: Start, shop: Shop) -> None:
    shop.more_customers(40)
    handle = "mike2"  # this test's own; home store Old Town, shopping at Riverside
    shop.execute(
        "UPDATE stock SET quantity = 50 WHERE store_id = 'riverside' "
        "AND product_id = (SELECT id FROM products WHERE sku = :s)",
        s=OAT_BISCUITS,
    )
    chat = start_chat(handle, store="riverside")

    offers = chat.turn("what's on offer at riverside")
    assert (offers["intent"], offers["responses"]) == ("deals", ["utter_deals_at_store"]), offers
    assert "Greenleaf Riverside" in offers["replies"][0]
    cheddar = chat.turn("is the cheddar on offer at riverside")
    assert cheddar["responses"] == ["utter_deals_on"], cheddar
    assert "Mature Cheddar, 400 grams, 3 for 2" in cheddar["replies"][0]
    coffee = chat.turn("any deals on coffee")
    assert coffee["responses"] == ["utter_deals_on"], coffee
    assert "Coffee" in coffee["replies"][0]
    assert basket_lines(shop, handle) == {}, "questions change nothing"

    added = add(chat, "add oat biscuits")
    assert added["responses"] == ["utter_added_items", "utter_basket_total", "utter_deal_hint"]
    assert "2 for 1" in added["replies"][2]
    taken = chat.turn("yes please")
    assert taken["responses"][0] == "utter_added_items", taken
    assert basket_lines(shop, handle) == {OAT_BISCUITS: 2}
    assert "£0.95" in taken["replies"][1], "2 x 95p, one free"
    again = add(chat, "add oat biscuits")  # said once per product: no hint now
    assert "utter_deal_hint" not in again["responses"], again
    assert basket_lines(shop, handle) == {OAT_BISCUITS: 3}

    booked = chat.turn(f"book a pickup {DAY} at 5 pm")
    assert booked["responses"] == ["utter_pickup_booked"], booked
    assert active_bookings(shop, handle) == 1
    read_back = chat.turn("checkout")
    assert read_back["responses"] == ["utter_quote_savings", "utter_quote_readback"], read_back
    assert "£0.95" in read_back["replies"][0]
    assert "£1.90" in read_back["replies"][1]  # 3 x 95p less one free
    placed = chat.turn("yes")
    assert placed["responses"] == ["utter_order_placed"], placed
    orders = orders_of(shop, handle)
    assert [(total, status) for _, total, status in orders] == [(190, "placed")]
    saved = shop.scalar(
        "SELECT m.subtotal_cents FROM checkout_money m JOIN orders o ON o.quote_id = m.quote_id "
        "WHERE o.id = :o",
        o=orders[0][0],
    )
    assert saved == 285


def test_points_balance_and_an_order_paid_with_points(start_chat: Start, shop: Shop) -> None:
    shop.more_customers(40)
    handle = "kevin2"  # this test's own; no PIN
    before = balance(shop, handle)
    assert before > 0, "seeded orders and in-store receipts earned points"
    chat = start_chat(handle)

    asked = chat.turn("how many points do I have")
    assert asked["intent"] == "loyalty_balance", asked
    assert asked["responses"][0] == "utter_loyalty_balance", asked
    assert f"{before} points" in asked["replies"][0]

    add(chat, "add a litre of whole milk")
    add(chat, "add a dozen eggs")
    chat.turn(f"book a pickup {DAY} at 10 am")
    assert chat.turn("checkout")["responses"][-1] == "utter_quote_readback"
    with_points = chat.turn("use my points")
    assert with_points["intent"] == "redeem_points", with_points
    assert with_points["responses"][-2:] == ["utter_quote_points", "utter_quote_readback"]
    assert orders_of(shop, handle) == [], "nothing is spent before the yes"
    assert balance(shop, handle) == before

    placed = chat.turn("yes")
    assert placed["responses"] == ["utter_order_placed"], placed
    [(order_id, paid, _)] = orders_of(shop, handle)
    entries = dict(
        shop.rows("SELECT reason, points FROM loyalty_entries WHERE order_id = :o", o=order_id)
    )
    spent = -entries["spent"]
    assert spent > 0
    assert entries.get("earned", 0) == paid // 100
    assert balance(shop, handle) == before - spent + paid // 100
    chat.turn("yes")  # a repeated yes: nothing more is spent or earned
    assert balance(shop, handle) == before - spent + paid // 100

    asked = chat.turn("cancel my order")
    assert asked["responses"] == ["utter_ask_cancel_order"], asked
    assert chat.turn("yes")["responses"] == ["utter_order_cancelled"]
    assert balance(shop, handle) == before, "the points spent come back, those earned go"
