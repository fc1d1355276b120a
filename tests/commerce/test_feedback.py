"""Feedback to the shop: kept against the customer with a category and a sentiment, readable
by staff only with the operator token, in the customer's export and erased with them."""

from __future__ import annotations

import logging
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from commerce.db import Database
from commerce.services.feedback import classify
from commerce.tables_returns import Feedback, Return
from tests.commerce.conftest import bearer, customer_without_pin, token_for
from tests.commerce.test_returns import OPERATOR, an_order, desk  # noqa: F401 - a fixture


@pytest.mark.parametrize(
    ("text", "product", "expected"),
    [
        ("the bananas were bad", True, ("product-quality", "negative")),
        ("the staff at riverside were great", False, ("staff", "positive")),
        ("the cashier was really rude", False, ("staff", "negative")),
        ("the milk was off", True, ("product-quality", "negative")),
        ("the strawberries were lovely and fresh", True, ("product-quality", "positive")),
        ("I waited twenty minutes at the pickup desk", False, ("delivery-pickup", "negative")),
        ("the store was very clean today", False, ("store", "positive")),
        ("the bread wasn't fresh", True, ("product-quality", "negative")),
        ("please stock more gluten free pasta", False, ("other", "neutral")),
    ],
)
def test_category_and_sentiment_are_read_from_the_words(
    text: str, product: bool, expected: tuple[str, str]
) -> None:
    assert classify(text, product_named=product) == expected


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_feedback_is_kept_and_only_staff_read_it(
    desk: TestClient,  # noqa: F811
    any_db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    made = an_order(any_db, "alice")
    alice, bob = bearer(token_for(any_db, "alice")), bearer(token_for(any_db, "bob"))
    caplog.set_level(logging.DEBUG)
    said = "the staff at riverside were great, ask for Maria on 07700 900123"
    store = desk.post(
        "/v1/me/feedback", json={"text": said, "store_id": "riverside"}, headers=alice
    )
    assert store.status_code == 201, store.text
    assert (store.json()["category"], store.json()["sentiment"]) == ("staff", "positive")
    product = desk.post(
        "/v1/me/feedback", json={"text": "it was bad", "sku": made["dairy"]}, headers=bob
    )
    assert product.json()["error"]["code"] == "order-line-not-found", "bob never bought it"
    mine = desk.post(
        "/v1/me/feedback", json={"text": "they were bad", "sku": made["dairy"]}, headers=alice
    )
    assert mine.status_code == 201, mine.text
    assert (mine.json()["order_id"], mine.json()["category"]) == (
        made["order_id"], "product-quality"
    )  # fmt: skip
    assert said not in caplog.text, "the words are never logged"

    for headers in ({}, alice, bearer("not-the-token")):
        refused = desk.get("/v1/feedback", headers=headers)
        assert refused.status_code == 401, refused.text
    staff = desk.get("/v1/feedback", headers=bearer(OPERATOR))
    assert staff.status_code == 200, staff.text
    found = staff.json()["feedback"]
    assert [f["text"] for f in found] == ["they were bad", said]  # newest first
    assert {f["customer"] for f in found} == {"alice"}
    riverside = desk.get("/v1/feedback?store_id=riverside", headers=bearer(OPERATOR)).json()
    assert [f["text"] for f in riverside["feedback"]] == [said]


def test_feedback_and_returns_are_exported_and_feedback_is_erased(
    desk: TestClient,  # noqa: F811
    any_db: Database,
) -> None:
    handle = customer_without_pin(any_db)
    headers = bearer(token_for(any_db, handle))
    made = an_order(any_db, handle)
    desk.post("/v1/me/feedback", json={"text": "the queue was long"}, headers=headers)
    body = {"order_id": made["order_id"], "sku": made["household"], "quantity": 1,
            "reason": "damaged"}  # fmt: skip
    returned = desk.post(
        "/v1/me/returns", json=body, headers=headers | {"Idempotency-Key": str(uuid.uuid4())}
    )
    assert returned.status_code == 201, returned.text
    exported = desk.get("/v1/me/export", headers=headers).json()
    assert [f["text"] for f in exported["feedback"]] == ["the queue was long"]
    assert [r["code"] for r in exported["returns"]] == [returned.json()["code"]]

    feedback_before, returns_before = count(any_db, Feedback), count(any_db, Return)
    assert desk.delete("/v1/me", headers=headers).status_code == 200
    assert count(any_db, Feedback) == feedback_before - 1, "their words go with them"
    assert count(any_db, Return) == returns_before, "returns stay, as accounting records"
    with any_db.session() as session:
        kept = session.scalars(select(Return).where(Return.code == returned.json()["code"])).one()
        assert (kept.idempotency_key, kept.refund_cents > 0) == (None, True)
