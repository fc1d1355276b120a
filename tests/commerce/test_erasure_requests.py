"""Erasure through the API leaves the assistant's side a request: written in the erasure's own
transaction (none when the erasure is refused), listed to the operator only, marked done once,
and gone an hour after it was done (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.db import Database
from commerce.models import Customer
from tests.commerce.conftest import OPERATOR, bearer, customer_with_pin, operator_client, token_for


@pytest.fixture
def operated(any_db: Database) -> Iterator[TestClient]:
    with operator_client(any_db) as client:
        yield client


def not_erased_without_pin(db: Database) -> str:
    with db.session() as session:
        found = select(Customer.handle).where(
            Customer.pin_hash.is_(None), Customer.erased_at.is_(None)
        )
        return str(session.scalars(found.order_by(Customer.id)).first())


def listed(client: TestClient, after: int = 0) -> list[dict]:
    answer = client.get("/v1/operator/erasures", params={"after": after}, headers=bearer(OPERATOR))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["erasures"])


def test_an_erasure_leaves_one_request_for_the_operator(
    operated: TestClient, any_db: Database
) -> None:
    before = listed(operated)
    handle = not_erased_without_pin(any_db)
    me = bearer(token_for(any_db, handle))
    subject = operated.get("/v1/me", headers=me).json()["subject"]
    erased = operated.delete("/v1/me", headers=me)
    assert erased.status_code == 200, erased.text
    (request,) = listed(operated, after=max((r["id"] for r in before), default=0))
    assert request["subject"] == subject
    assert request["done_at"] is None
    assert operated.get("/v1/operator/erasures").status_code == 401, "the operator's only"
    assert operated.get("/v1/operator/erasures", headers=me).status_code == 401

    done = operated.post(f"/v1/operator/erasures/{request['id']}/done", headers=bearer(OPERATOR))
    assert done.status_code == 200, done.text
    first = done.json()["done_at"]
    assert first is not None
    again = operated.post(f"/v1/operator/erasures/{request['id']}/done", headers=bearer(OPERATOR))
    assert again.json()["done_at"] == first, "done once: the first time stays"
    assert [r["done_at"] for r in listed(operated) if r["id"] == request["id"]] == [first]
    missing = operated.post("/v1/operator/erasures/999999/done", headers=bearer(OPERATOR))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "erasure-not-found"

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=1)):
        handle = not_erased_without_pin(any_db)
        other = bearer(token_for(any_db, handle))
        assert operated.delete("/v1/me", headers=other).status_code == 200
        (newer,) = [r for r in listed(operated) if r["id"] > request["id"]]
        operated.post(f"/v1/operator/erasures/{newer['id']}/done", headers=bearer(OPERATOR))
        assert [r["id"] for r in listed(operated)] == [newer["id"]], "a done request goes"


def test_a_refused_erasure_leaves_no_request(operated: TestClient, any_db: Database) -> None:

    before = listed(operated)
    refused = operated.delete(
        "/v1/me", headers=bearer(token_for(any_db, customer_with_pin(any_db)))
    )
    assert refused.status_code == 403, refused.text  # no PIN ticket
    assert listed(operated) == before
