"""GET /v1/stores?q=: the store a customer names, as a recogniser writes it down."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def named(client: TestClient, q: str) -> list[str]:
    response = client.get("/v1/stores", params={"q": q})
    assert response.status_code == 200, response.text
    return [s["store_id"] for s in response.json()["stores"]]


@pytest.mark.parametrize(
    ("q", "store"),
    [
        ("riverside", "riverside"),
        ("the old town store", "old-town"),
        ("harbor", "harbour"),  # US spelling
        ("northgate shop", "northgate"),
        ("river side", "riverside"),  # split by the recogniser
        ("norgate", "northgate"),  # a dropped sound
        ("Greenleaf Harbour", "harbour"),
        ("the one on market street", "old-town"),  # by address
        ("the big riverside store", "riverside"),  # a word naming no store is left out
    ],
)
def test_spoken_store_name_matches_that_store_only(any_client: TestClient, q, store):
    assert named(any_client, q) == [store]


def test_a_word_several_stores_share_lists_them_all(client: TestClient):
    assert sorted(named(client, "wrenford")) == ["northgate", "old-town", "riverside"]


@pytest.mark.parametrize("q", ["the moon", "mars", "the store", "2"])
def test_no_store_named(client: TestClient, q):
    answer = client.get("/v1/stores", params={"q": q}).json()
    assert answer["stores"] == []
    assert answer["product"] is None  # no has_sku asked


def test_without_q_every_store(client: TestClient):
    stores = client.get("/v1/stores").json()["stores"]
    assert {s["store_id"] for s in stores} == {"riverside", "old-town", "northgate", "harbour"}
    matched = named(client, "harbor")
    assert client.get("/v1/stores", params={"q": "harbor"}).json()["stores"] == [
        s for s in stores if s["store_id"] in matched
    ]
