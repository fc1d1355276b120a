"""Home speakers and store kiosks: device tokens, short-lived tokens, guests and sign-out
(signing in at a kiosk: `test_kiosk_sign_in.py`)."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from assistant.errors import CommerceError
from commerce.db import Database
from commerce.models import ApiToken, Customer, Device, Store
from commerce.seed.seeder import DEMO_PIN, customer_phone
from commerce.services import auth, devices
from tests.commerce.conftest import KIOSK_STORE, add_device, bearer, token_for
from tests.commerce.kiosks import (
    assert_error,
    assert_expires_in,
    basket_skus,
    customer,
    sign_in,
    sign_out,
    some_sku,
    token_row,
)

# --- device tokens and sessions ------------------------------------------------------------


def test_device_token_stored_only_as_its_hash(any_db: Database):
    device_id, token = add_device(any_db, "kiosk", KIOSK_STORE, name="By the door")
    assert token.startswith("dev_")
    with any_db.session() as session:
        device = session.get_one(Device, device_id)
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (device.kind, device.name, device.store_id, device.customer_id) == (
        "kiosk",
        "By the door",
        KIOSK_STORE,
        None,
    )
    assert device.revoked_at is None


def test_home_session_gives_its_customer_a_one_hour_token(any_client, any_db: Database):
    device_id, token = add_device(any_db, "home", "alice")
    before = datetime.now(UTC)
    response = any_client.post("/v1/device/session", headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    alice = customer(any_db, "alice")
    assert body["kind"] == "home"
    assert body["device_id"] == device_id
    assert body["customer"] == {"handle": "alice", "name": alice.name, "subject": alice.subject}
    assert body["store_id"] == alice.home_store_id
    assert datetime.fromisoformat(body["expires_at"]) > before
    row = token_row(any_db, body["customer_token"])
    assert (row.customer_id, row.device_id, row.revoked_at) == (alice.id, device_id, None)
    assert row.expires_at is not None
    assert_expires_in(row.expires_at, timedelta(hours=1), before)
    assert row.expires_at == datetime.fromisoformat(body["expires_at"])
    me = any_client.get("/v1/me", headers=bearer(body["customer_token"]))
    assert me.json()["handle"] == "alice"


def test_kiosk_session_names_the_store_and_no_customer(any_client, any_db: Database, kiosk):
    device_id, token = kiosk
    response = any_client.post("/v1/device/session", headers=bearer(token))
    assert response.status_code == 200, response.text
    with any_db.session() as session:
        store_name = session.get_one(Store, KIOSK_STORE).name
    assert response.json() == {
        "kind": "kiosk",
        "device_id": device_id,
        "store_id": KIOSK_STORE,
        "store_name": store_name,
    }
    with any_db.session() as session:
        assert session.scalars(select(ApiToken).where(ApiToken.device_id == device_id)).all() == []


def test_token_kinds_cannot_be_swapped(any_client, any_db: Database, kiosk):
    _, kiosk_token = kiosk
    _, home_token = add_device(any_db, "home", "alice")
    customer_token = token_for(any_db, "alice")
    for path in ("/v1/device/session", "/v1/device/guest"):
        assert_error(any_client.post(path, headers=bearer(customer_token)), 401, "auth-invalid")
    assert_error(
        sign_out(any_client, customer_token, customer_token),
        401,
        "auth-invalid",
    )
    for device_token in (kiosk_token, home_token):
        for path in ("/v1/me", "/v1/me/basket"):
            assert_error(any_client.get(path, headers=bearer(device_token)), 401, "auth-invalid")
    assert_error(any_client.post("/v1/device/session"), 401, "auth-required")
    assert_error(
        any_client.post("/v1/device/session", headers=bearer("dev_made-up")), 401, "auth-invalid"
    )
    with any_db.session() as session:
        assert session.scalars(select(Customer).where(Customer.is_guest)).all() == []


def test_revoked_device_and_the_tokens_it_was_issued_refused(any_client, any_db: Database):
    device_id, token = add_device(any_db, "home", "alice")
    issued = any_client.post("/v1/device/session", headers=bearer(token)).json()["customer_token"]
    assert any_client.get("/v1/me", headers=bearer(issued)).status_code == 200
    with any_db.session(write=True) as session:
        devices.revoke_device(session, device_id)
    assert_error(any_client.post("/v1/device/session", headers=bearer(token)), 401, "auth-invalid")
    assert_error(any_client.get("/v1/me", headers=bearer(issued)), 401, "auth-invalid")
    with any_db.session() as session:
        assert session.get_one(Device, device_id).revoked_at is not None
    assert token_row(any_db, issued).revoked_at is not None


# --- expiry --------------------------------------------------------------------------------


def test_expired_customer_token_refused_and_old_tokens_keep_working(any_client, any_db: Database):
    _, token = add_device(any_db, "home", "alice")
    issued = any_client.post("/v1/device/session", headers=bearer(token)).json()["customer_token"]
    cli_token = token_for(any_db, "alice")
    assert token_row(any_db, cli_token).expires_at is None
    # move time on: an hour and a second later the device's token is over, the CLI's is not
    later = datetime.now(UTC) + timedelta(hours=1, seconds=1)
    with any_db.session() as session:
        with pytest.raises(CommerceError) as refused:
            auth.customer_for_token(session, issued, now=later)
        assert (refused.value.code, refused.value.status) == ("auth-invalid", 401)
        assert auth.customer_for_token(session, cli_token, now=later).handle == "alice"
    with any_db.session(write=True) as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == hashlib.sha256(issued.encode()).hexdigest())
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert_error(any_client.get("/v1/me/basket", headers=bearer(issued)), 401, "auth-invalid")
    assert any_client.get("/v1/me/basket", headers=bearer(cli_token)).status_code == 200


def test_a_new_session_clears_out_spent_tokens(client: TestClient, sqlite_db: Database):
    _, token = add_device(sqlite_db, "home", "alice")
    first = client.post("/v1/device/session", headers=bearer(token)).json()["customer_token"]
    sign_out(client, token, first)
    cli_token = token_for(sqlite_db, "alice")
    second = client.post("/v1/device/session", headers=bearer(token)).json()["customer_token"]
    with sqlite_db.session() as session:
        hashes = set(session.scalars(select(ApiToken.token_hash)))
    assert hashlib.sha256(first.encode()).hexdigest() not in hashes
    assert {auth.hash_token(second), auth.hash_token(cli_token)} <= hashes
    # signing out a token that is long gone still answers that it is signed out
    again = sign_out(client, token, first)
    assert again.json() == {"signed_out": True}
    assert client.get("/v1/me", headers=bearer(second)).status_code == 200


# --- guests and sign-out -------------------------------------------------------------------


def test_guest_created_and_wiped_at_sign_out(any_client, any_db: Database, kiosk):
    device_id, token = kiosk
    before = datetime.now(UTC)
    response = any_client.post("/v1/device/guest", headers=bearer(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert re.fullmatch(r"guest-[0-9a-f]{12}", body["customer"]["handle"])
    assert body["customer"]["name"] == "Guest"
    assert body["store_id"] == KIOSK_STORE
    guest = customer(any_db, body["customer"]["handle"])
    assert guest.is_guest
    assert (guest.home_store_id, guest.pin_hash, guest.phone) == (KIOSK_STORE, None, None)
    row = token_row(any_db, body["customer_token"])
    assert (row.customer_id, row.device_id) == (guest.id, device_id)
    assert row.expires_at is not None
    assert_expires_in(row.expires_at, timedelta(minutes=30), before)
    headers = bearer(body["customer_token"])
    assert any_client.get("/v1/me/orders", headers=headers).json()["orders"] == []
    sku = some_sku(any_client)
    any_client.post("/v1/me/basket/items", json={"sku": sku, "quantity": 1}, headers=headers)
    assert basket_skus(any_db, guest.id) == [sku]

    out = sign_out(any_client, token, body["customer_token"])
    assert (out.status_code, out.json()) == (200, {"signed_out": True})
    assert basket_skus(any_db, guest.id) == []
    assert token_row(any_db, body["customer_token"]).revoked_at is not None
    assert_error(any_client.get("/v1/me/basket", headers=headers), 401, "auth-invalid")
    again = sign_out(any_client, token, body["customer_token"])
    assert (again.status_code, again.json()) == (200, {"signed_out": True})
    # a guest cannot be signed in to: no PIN, and guests are not looked up
    assert_error(
        sign_in(any_client, token, loyalty_number=guest.loyalty_number, pin=DEMO_PIN),
        403,
        "sign-in-failed",
    )


def test_guests_are_distinct(client: TestClient, sqlite_db: Database, sqlite_kiosk):
    handles = {
        client.post("/v1/device/guest", headers=bearer(sqlite_kiosk[1])).json()["customer"][
            "handle"
        ]
        for _ in range(3)
    }
    assert len(handles) == 3


def test_sign_out_keeps_a_customers_basket(any_client, any_db: Database, kiosk):
    _, token = kiosk
    bob = customer(any_db, "bob")
    issued = sign_in(any_client, token, loyalty_number=bob.loyalty_number, pin=DEMO_PIN).json()[
        "customer_token"
    ]
    sku = some_sku(any_client)
    any_client.post("/v1/me/basket/items", json={"sku": sku, "quantity": 1}, headers=bearer(issued))
    out = sign_out(any_client, token, issued)
    assert out.json() == {"signed_out": True}
    assert_error(any_client.get("/v1/me", headers=bearer(issued)), 401, "auth-invalid")
    assert basket_skus(any_db, bob.id) == [sku], "a real customer's basket waits for them"


def test_a_device_signs_out_only_tokens_it_was_issued(any_client, any_db: Database, kiosk):
    _, token = kiosk
    _, other_kiosk = add_device(any_db, "kiosk", KIOSK_STORE)
    _, home = add_device(any_db, "home", "alice")
    guest = any_client.post("/v1/device/guest", headers=bearer(token)).json()
    cli_token = token_for(any_db, "alice")
    for device_token, customer_token in (
        (other_kiosk, guest["customer_token"]),
        (home, guest["customer_token"]),
        (token, cli_token),
    ):
        assert_error(
            sign_out(any_client, device_token, customer_token),
            403,
            "token-not-from-device",
        )
    assert any_client.get("/v1/me", headers=bearer(guest["customer_token"])).status_code == 200
    assert any_client.get("/v1/me", headers=bearer(cli_token)).status_code == 200
    never_issued = sign_out(any_client, token, "cst_never-issued")
    assert never_issued.json() == {"signed_out": True}


def test_home_device_signs_out_its_token(client: TestClient, sqlite_db: Database):
    _, token = add_device(sqlite_db, "home", "alice")
    issued = client.post("/v1/device/session", headers=bearer(token)).json()["customer_token"]
    out = sign_out(client, token, issued)
    assert out.json() == {"signed_out": True}
    assert_error(client.get("/v1/me", headers=bearer(issued)), 401, "auth-invalid")


# --- bad input and secrets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"pin": DEMO_PIN}, "invalid-request"),
        (
            {"loyalty_number": "GL10000000", "phone": "07700900123", "pin": DEMO_PIN},
            "invalid-request",
        ),
        ({"loyalty_number": "GL10000000", "pin": "123"}, "invalid-request"),
        ({"loyalty_number": "GL10000000", "pin": "123456789"}, "invalid-request"),
        ({"loyalty_number": "GL10000000", "pin": "12a4"}, "invalid-request"),
        ({"loyalty_number": "GL10000000", "pin": "١٢٣٤"}, "invalid-request"),
        ({"loyalty_number": "GL10000000", "pin": 4321}, "invalid-request"),
        ({"loyalty_number": "GL-1000'--", "pin": DEMO_PIN}, "invalid-request"),
        ({"phone": "call me maybe", "pin": DEMO_PIN}, "invalid-request"),
        ({"loyalty_number": "GL10000000", "pin": DEMO_PIN, "customer_id": 1}, "invalid-request"),
        ({"phone": "+1 555 123 4567", "pin": DEMO_PIN}, "phone-invalid"),
        ({"phone": "07700 9001", "pin": DEMO_PIN}, "phone-invalid"),
    ],
)
def test_sign_in_bodies_are_validated(client, sqlite_db: Database, sqlite_kiosk, body, code):
    response = client.post("/v1/device/sign-in", json=body, headers=bearer(sqlite_kiosk[1]))
    assert_error(response, 422, code)
    assert customer(sqlite_db, "bob").failed_pin_attempts == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"customer_token": "x"}, {"customer_token": "dev_abc"}, {"customer_token": "cst_a b"}],
)
def test_sign_out_bodies_are_validated(client: TestClient, sqlite_kiosk, body):
    response = client.post("/v1/device/sign-out", json=body, headers=bearer(sqlite_kiosk[1]))
    assert_error(response, 422, "invalid-request")


def test_malformed_json_to_a_device_endpoint(client: TestClient, sqlite_kiosk):
    response = client.post(
        "/v1/device/sign-in",
        content='{"pin": "4321"',
        headers=bearer(sqlite_kiosk[1]) | {"Content-Type": "application/json"},
    )
    assert_error(response, 400, "malformed-json")


def test_pin_phone_loyalty_and_tokens_never_logged(
    client: TestClient, sqlite_db: Database, sqlite_kiosk, caplog: pytest.LogCaptureFixture
):
    bob = customer(sqlite_db, "bob")
    assert bob.phone is not None
    with caplog.at_level(logging.DEBUG):
        sign_in(client, sqlite_kiosk[1], phone=bob.phone, pin="98765")
        sign_in(client, sqlite_kiosk[1], loyalty_number=bob.loyalty_number, pin="98765")
        sign_in(client, sqlite_kiosk[1], loyalty_number="GL55555555", pin="98765")
        issued = sign_in(client, sqlite_kiosk[1], phone=bob.phone, pin=DEMO_PIN).json()
        sign_out(client, sqlite_kiosk[1], issued["customer_token"])
    assert caplog.records, "sign-ins are logged, masked"
    for secret in (
        "98765",
        DEMO_PIN,
        bob.phone,
        bob.loyalty_number,
        "GL55555555",
        issued["customer_token"],
        sqlite_kiosk[1],
    ):
        assert secret not in caplog.text


# --- seed data -----------------------------------------------------------------------------


def test_seeded_phones_are_deterministic_drama_numbers(sqlite_db: Database):
    with sqlite_db.session() as session:
        phones = list(
            session.scalars(
                select(Customer.phone).where(Customer.is_guest.is_(False)).order_by(Customer.id)
            )
        )
    assert phones == [customer_phone(index) for index in range(len(phones))]
    assert all(p is not None and re.fullmatch(r"07700900\d{3}", p) for p in phones)
    assert len({customer_phone(index) for index in range(1000)}) == 1000
    assert customer_phone(1000) is None
