"""Unauthenticated traffic is rate-limited per source address: requests without a token, and
an address whose tokens or sign-ins keep failing, get ``429 rate-limited`` with Retry-After;
other addresses, customers with a token and this machine's own callers go on."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from commerce.api.app import create_app
from commerce.api.ratelimit import RateLimits
from commerce.db import Database
from commerce.seed.seeder import DEMO_PIN
from tests.commerce.conftest import KIOSK_STORE, add_device, bearer, token_for
from tests.commerce.kiosks import customer

LIMITS = RateLimits(anonymous_per_minute=5, failures_per_minute=3)


@pytest.fixture
def app(sqlite_db: Database) -> FastAPI:
    return create_app(sqlite_db, rate_limits=LIMITS)


def client_at(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


def assert_limited(answer: Any) -> None:  # a TestClient response
    assert answer.status_code == 429, (answer.status_code, answer.text)
    assert answer.json()["error"]["code"] == "rate-limited"
    assert int(answer.headers["Retry-After"]) >= 1


def test_token_less_requests_are_limited_per_address(app: FastAPI, sqlite_db: Database) -> None:
    neighbour = client_at(app, "192.168.1.50")
    for _ in range(5):
        assert neighbour.get("/v1/stores").status_code == 200
    assert_limited(neighbour.get("/v1/stores"))
    assert_limited(neighbour.get("/v1/me/basket"))  # token-less anywhere
    customer = bearer(token_for(sqlite_db, "alice"))
    assert neighbour.get("/v1/me/basket", headers=customer).status_code == 200, (
        "a customer's token is not unauthenticated traffic"
    )
    other = client_at(app, "192.168.1.51")
    assert other.get("/v1/stores").status_code == 200, "another address has its own allowance"


def test_an_address_whose_tokens_fail_is_refused_everything(
    app: FastAPI, sqlite_db: Database
) -> None:
    guesser = client_at(app, "192.168.1.60")
    for n in range(3):
        answer = guesser.get("/v1/me/basket", headers=bearer(f"cst_guess{n}"))
        assert answer.status_code == 401
    assert_limited(guesser.get("/v1/me/basket", headers=bearer("cst_guess3")))
    good = bearer(token_for(sqlite_db, "alice"))
    assert_limited(guesser.get("/v1/me/basket", headers=good))
    assert client_at(app, "192.168.1.61").get("/v1/me/basket", headers=good).status_code == 200


def test_failed_sign_ins_count_as_failures(app: FastAPI, sqlite_db: Database) -> None:
    _, kiosk = add_device(sqlite_db, "kiosk", KIOSK_STORE)
    wrong = "0000" if DEMO_PIN != "0000" else "1111"
    attempt = {"loyalty_number": customer(sqlite_db, "alice").loyalty_number, "pin": wrong}
    door = client_at(app, "192.168.1.70")
    for _ in range(3):
        answer = door.post("/v1/device/sign-in", json=attempt, headers=bearer(kiosk))
        assert answer.status_code == 403, answer.text
    attempt["pin"] = DEMO_PIN  # even the right PIN: the address is guessing
    assert_limited(door.post("/v1/device/sign-in", json=attempt, headers=bearer(kiosk)))


def test_this_machines_own_callers_are_not_counted(app: FastAPI) -> None:
    local = client_at(app, "127.0.0.1")
    for _ in range(20):
        assert local.get("/v1/stores").status_code == 200
