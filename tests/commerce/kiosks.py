"""What the device and kiosk tests share: registering a device, signing in at a kiosk, and
reading back customers, tokens and baskets."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.db import Database
from commerce.models import ApiToken, BasketItem, Customer
from tests.commerce.conftest import KIOSK_STORE, bearer


def customer(db: Database, handle: str) -> Customer:
    with db.session() as session:
        return session.scalars(select(Customer).where(Customer.handle == handle)).one()


def token_row(db: Database, token: str) -> ApiToken:
    with db.session() as session:
        return session.scalars(
            select(ApiToken).where(
                ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        ).one()


def basket_skus(db: Database, customer_id: int) -> list[str]:
    with db.session() as session:
        return [
            item.product.sku
            for item in session.scalars(
                select(BasketItem).where(BasketItem.customer_id == customer_id)
            )
        ]


def some_sku(client: TestClient) -> str:
    results = client.get("/v1/products/search", params={"q": "milk", "store_id": KIOSK_STORE})
    return next(r["sku"] for r in results.json()["results"] if r["in_stock"])


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def assert_expires_in(expires_at: datetime, ttl: timedelta, before: datetime) -> None:
    # a second of slack either side for the stored precision
    assert before + ttl - timedelta(seconds=1) <= expires_at
    assert expires_at <= datetime.now(UTC) + ttl + timedelta(seconds=1)


def sign_in(client: TestClient, kiosk_token: str, **body: str):
    return client.post("/v1/device/sign-in", json=body, headers=bearer(kiosk_token))


def sign_out(client: TestClient, device_token: str, customer_token: str):
    return client.post(
        "/v1/device/sign-out", json={"customer_token": customer_token}, headers=bearer(device_token)
    )
