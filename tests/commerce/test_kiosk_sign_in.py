"""Signing in at a kiosk: by loyalty number or phone and PIN, failures that say nothing,
lock-out, the kiosk's token on the customer's basket, the PIN not asked twice, guests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from commerce.db import Database
from commerce.models import ApiToken, Customer, Order
from commerce.seed.seeder import DEMO_PIN, customer_phone
from commerce.services import auth
from tests.commerce.conftest import KIOSK_STORE, add_device, bearer, future_slot, token_for
from tests.commerce.kiosks import (
    assert_error,
    assert_expires_in,
    basket_skus,
    customer,
    sign_in,
    some_sku,
    token_row,
)


def test_sign_in_by_loyalty_number(any_client, any_db: Database, kiosk):
    device_id, token = kiosk
    bob = customer(any_db, "bob")
    assert bob.home_store_id != KIOSK_STORE
    before = datetime.now(UTC)
    response = sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer"] == {"handle": "bob", "name": bob.name, "subject": bob.subject}
    assert body["store_id"] == KIOSK_STORE, "the kiosk's store, not the customer's home store"
    row = token_row(any_db, body["customer_token"])
    assert (row.customer_id, row.device_id, row.revoked_at) == (bob.id, device_id, None)
    assert row.expires_at is not None
    assert_expires_in(row.expires_at, timedelta(minutes=30), before)
    assert row.expires_at == datetime.fromisoformat(body["expires_at"])
    assert customer(any_db, "bob").failed_pin_attempts == 0


@pytest.mark.parametrize(
    "spoken",
    [
        "{0} {1}",  # 07700 900123
        "{0}{1}",
        "+44 {2} {1}",  # +44 7700 900123
        "+44{2}{1}",
        "0044 {2} {1}",
        "+44 (0){2} {1}",
    ],
)
def test_sign_in_by_phone_as_people_write_it(client, sqlite_db: Database, sqlite_kiosk, spoken):
    bob = customer(sqlite_db, "bob")
    assert bob.phone is not None
    phone = spoken.format(bob.phone[:5], bob.phone[5:], bob.phone[1:5])
    response = sign_in(client, sqlite_kiosk[1], phone=phone, pin=DEMO_PIN)
    assert response.status_code == 200, (phone, response.text)
    assert response.json()["customer"]["handle"] == "bob"


def test_sign_in_by_phone_on_both_databases(any_client, any_db: Database, kiosk):
    bob = customer(any_db, "bob")
    assert bob.phone is not None
    phone = f"+44 {bob.phone[1:5]} {bob.phone[5:]}"
    response = sign_in(any_client, kiosk[1], phone=phone, pin=DEMO_PIN)
    assert response.status_code == 200, response.text
    assert token_row(any_db, response.json()["customer_token"]).customer_id == bob.id


def test_failed_sign_ins_are_indistinguishable(any_client, any_db: Database, kiosk):
    _, token = kiosk
    alice, bob = customer(any_db, "alice"), customer(any_db, "bob")
    assert alice.pin_hash is None
    attempts = [
        {"loyalty_number": "GL99999999", "pin": DEMO_PIN},  # nobody
        {"phone": customer_phone(999) or "", "pin": DEMO_PIN},  # a number nobody seeded has
        {"loyalty_number": alice.loyalty_number, "pin": DEMO_PIN},  # no PIN
        {"loyalty_number": bob.loyalty_number, "pin": "0000"},  # wrong PIN
        {"phone": bob.phone or "", "pin": "99999"},  # wrong PIN
    ]
    answers = set()
    for body in attempts:
        response = sign_in(any_client, token, **body)
        answers.add((response.status_code, response.text))
    assert len(answers) == 1, answers
    status, text = answers.pop()
    assert status == 403
    assert '"sign-in-failed"' in text
    # the wrong PINs counted and were committed; the others changed nobody
    assert customer(any_db, "bob").failed_pin_attempts == 2
    assert customer(any_db, "alice").failed_pin_attempts == 0
    with any_db.session() as session:
        assert session.scalars(select(ApiToken).where(ApiToken.device_id.is_not(None))).all() == []


def test_lock_out_after_the_usual_number_of_wrong_pins(any_client, any_db: Database, kiosk):
    _, token = kiosk
    bob = customer(any_db, "bob")
    for _ in range(auth.MAX_PIN_ATTEMPTS - 1):
        assert_error(
            sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin="0000"),
            403,
            "sign-in-failed",
        )
    # a wrong PIN said at home counts towards the same lock
    at_home = bearer(token_for(any_db, "bob"))
    verify = any_client.post("/v1/me/pin/verify", json={"pin": "0000"}, headers=at_home)
    assert verify.json()["verified"] is False
    assert customer(any_db, "bob").failed_pin_attempts == auth.MAX_PIN_ATTEMPTS
    # now even the right PIN is refused, at the kiosk (as any failure) and at home
    assert_error(
        sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin=DEMO_PIN),
        403,
        "sign-in-failed",
    )
    assert_error(
        any_client.post("/v1/me/pin/verify", json={"pin": DEMO_PIN}, headers=at_home),
        423,
        "pin-locked",
    )
    assert customer(any_db, "bob").failed_pin_attempts == auth.MAX_PIN_ATTEMPTS


def test_right_pin_resets_the_count(client: TestClient, sqlite_db: Database, sqlite_kiosk):
    bob = customer(sqlite_db, "bob")
    sign_in(client, sqlite_kiosk[1], loyalty_number=bob.loyalty_number, pin="0000")
    assert customer(sqlite_db, "bob").failed_pin_attempts == 1
    # loyalty numbers said with spaces or in lower case still match
    spaced = " ".join(bob.loyalty_number.lower())
    ok = sign_in(client, sqlite_kiosk[1], loyalty_number=spaced, pin=DEMO_PIN)
    assert ok.status_code == 200, ok.text
    assert customer(sqlite_db, "bob").failed_pin_attempts == 0


def test_kiosk_token_works_on_the_basket_for_that_customer_only(
    any_client, any_db: Database, kiosk
):
    _, token = kiosk
    bob, alice = customer(any_db, "bob"), customer(any_db, "alice")
    signed_in = sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
    headers = bearer(signed_in.json()["customer_token"])
    sku = some_sku(any_client)
    added = any_client.post(
        "/v1/me/basket/items", json={"sku": sku, "quantity": 2}, headers=headers
    )
    assert added.status_code == 201, added.text
    assert any_client.get("/v1/me", headers=headers).json()["handle"] == "bob"
    assert basket_skus(any_db, bob.id) == [sku]
    assert basket_skus(any_db, alice.id) == []
    alice_view = any_client.get("/v1/me/basket", headers=bearer(token_for(any_db, "alice")))
    assert alice_view.json()["items"] == []


def quote_and_order(client: TestClient, db: Database, headers: dict[str, str], key: str):
    """Fill the basket, ask for a quote and place its order without a PIN."""
    sku = some_sku(client)
    client.post("/v1/me/basket/items", json={"sku": sku, "quantity": 1}, headers=headers)
    slot = future_slot(db, KIOSK_STORE)
    quote = client.post(
        "/v1/me/checkout/quote", json={"store_id": KIOSK_STORE, "slot_id": slot}, headers=headers
    )
    assert quote.status_code == 201, quote.text
    order = client.post(
        "/v1/me/orders",
        json={"quote_id": quote.json()["quote_id"]},
        headers={**headers, "Idempotency-Key": key},
    )
    return quote.json(), order


def orders_placed(db: Database, customer_id: int) -> int:
    with db.session() as session:
        return len(session.scalars(select(Order).where(Order.customer_id == customer_id)).all())


def test_a_pin_sign_in_at_the_kiosk_is_not_asked_for_the_pin_again(
    any_client, any_db: Database, kiosk
):
    _, token = kiosk
    bob = customer(any_db, "bob")
    assert bob.pin_hash is not None
    signed_in = sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
    kiosk_headers = bearer(signed_in.json()["customer_token"])
    row = token_row(any_db, signed_in.json()["customer_token"])
    earlier = orders_placed(any_db, bob.id)  # the seeded history
    assert row.pin_verified_until is not None
    assert row.pin_verified_until <= datetime.now(UTC) + timedelta(minutes=15, seconds=1)

    quote, order = quote_and_order(any_client, any_db, kiosk_headers, "kiosk-1")
    assert quote["pin_required"] is False
    assert order.status_code == 201, order.text
    assert orders_placed(any_db, bob.id) == earlier + 1

    # bob's other tokens (his home speaker's, the CLI's) still need the PIN
    quote, order = quote_and_order(any_client, any_db, bearer(token_for(any_db, "bob")), "home")
    assert quote["pin_required"] is True
    assert_error(order, 403, "pin-required")
    assert orders_placed(any_db, bob.id) == earlier + 1


def test_the_kiosk_pin_window_closes(any_client, any_db: Database, kiosk):
    _, token = kiosk
    bob = customer(any_db, "bob")
    signed_in = sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin=DEMO_PIN)
    customer_token = signed_in.json()["customer_token"]
    earlier = orders_placed(any_db, bob.id)
    with any_db.session(write=True) as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == hashlib.sha256(customer_token.encode()).hexdigest())
            .values(pin_verified_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    quote, order = quote_and_order(any_client, any_db, bearer(customer_token), "late")
    assert quote["pin_required"] is True
    assert_error(order, 403, "pin-required")
    assert orders_placed(any_db, bob.id) == earlier


def test_a_guest_at_the_kiosk_needs_no_pin(any_client, any_db: Database, kiosk):
    _, token = kiosk
    guest = any_client.post("/v1/device/guest", headers=bearer(token))
    assert guest.status_code == 201, guest.text
    assert token_row(any_db, guest.json()["customer_token"]).pin_verified_until is None
    quote, order = quote_and_order(
        any_client, any_db, bearer(guest.json()["customer_token"]), "guest"
    )
    assert quote["pin_required"] is False
    assert order.status_code == 201, order.text


def test_home_device_cannot_use_kiosk_endpoints(any_client, any_db: Database):
    _, token = add_device(any_db, "home", "bob")
    bob = customer(any_db, "bob")
    assert_error(
        sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin=DEMO_PIN),
        403,
        "kiosk-only",
    )
    assert_error(any_client.post("/v1/device/guest", headers=bearer(token)), 403, "kiosk-only")
    with any_db.session() as session:
        assert session.scalars(select(Customer).where(Customer.is_guest)).all() == []
        assert session.scalars(select(ApiToken)).all() == []
