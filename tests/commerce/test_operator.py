"""Customer tokens through the API: the operator (the assistant that started the service, with
``COMMERCE_OPERATOR_TOKEN``) asks ``/v1/operator/customer-tokens`` for a conversation's
token, and the conversation revokes it at its end (``DELETE /v1/me/token``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from commerce.db import Database
from tests.commerce.conftest import OPERATOR, bearer, operator_client


@pytest.fixture
def operated(sqlite_db: Database) -> Iterator[TestClient]:
    with operator_client(sqlite_db) as test_client:
        yield test_client


def mint(client: TestClient, token: str, **body: object) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/v1/operator/customer-tokens", json={"customer": "alice", **body}, headers=bearer(token)
    )
    return response.status_code, response.json()


def test_a_conversation_token_works_until_the_conversation_revokes_it(
    operated: TestClient,
) -> None:
    status, body = mint(operated, OPERATOR, ttl_seconds=3600)
    assert status == 201
    token = str(body["customer_token"])
    expires = datetime.fromisoformat(str(body["expires_at"]))
    assert 3500 < (expires - datetime.now(UTC)).total_seconds() <= 3600
    assert operated.get("/v1/me", headers=bearer(token)).json()["handle"] == "alice"
    assert operated.delete("/v1/me/token", headers=bearer(token)).json() == {"signed_out": True}
    refused = operated.get("/v1/me", headers=bearer(token))
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "auth-invalid")


def test_only_the_operator_token_mints(operated: TestClient, client: TestClient) -> None:
    for token in ("", "op_wrong", OPERATOR + "x"):
        status, body = mint(operated, token)
        assert (status, body["error"]["code"]) == (401, "auth-invalid")  # type: ignore[index]
    status, body = mint(client, OPERATOR)  # a service started without an operator token
    assert (status, body["error"]["code"]) == (401, "auth-invalid")  # type: ignore[index]
    status, body = mint(operated, OPERATOR, customer="nobody")
    assert (status, body["error"]["code"]) == (404, "customer-not-found")  # type: ignore[index]
    status, _ = mint(operated, OPERATOR, ttl_seconds=5)
    assert status == 422


def test_a_customer_token_cannot_mint_others(operated: TestClient) -> None:
    _, body = mint(operated, OPERATOR)
    status, refused = mint(operated, str(body["customer_token"]))
    assert (status, refused["error"]["code"]) == (401, "auth-invalid")  # type: ignore[index]
