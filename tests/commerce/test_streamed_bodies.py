"""A body sent without a Content-Length (chunked) is bounded while it streams: the real
service under uvicorn stops reading at 64 KB and answers 413, as it does for a declared one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from commerce.api.app import MAX_BODY_BYTES
from commerce.db import Database
from tests.commerce.conftest import bearer, live_server, token_for

CHUNK = 64 * 1024


class Upload:
    """A chunked body of ``total`` bytes that counts how much of it was taken."""

    def __init__(self, total: int, head: bytes = b'{"sku": "') -> None:
        self.total, self.head, self.sent = total, head, 0

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        self.sent = len(self.head)
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"A" * CHUNK


@pytest.mark.slow
def test_a_chunked_body_stops_at_the_limit(sqlite_db: Database) -> None:
    headers = bearer(token_for(sqlite_db, "alice")) | {"Content-Type": "application/json"}
    upload = Upload(total=64 * 1024 * 1024)  # 64 MB: read to the end it would be parsed
    with live_server(sqlite_db) as url, httpx.Client(base_url=url, timeout=60) as http:
        response = http.post("/v1/me/basket/items", content=upload, headers=headers)
        assert response.status_code == 413, response.text[:200]
        assert response.json()["error"]["code"] == "body-too-large"
        assert response.headers["connection"] == "close"
        # the service stopped reading: what was taken is what the socket buffers hold
        assert upload.sent < 16 * 1024 * 1024, upload.sent
        assert http.get("/v1/me/basket", headers=headers).json()["items"] == []


@pytest.mark.slow
def test_a_small_chunked_body_is_served(sqlite_db: Database) -> None:
    headers = bearer(token_for(sqlite_db, "alice")) | {"Content-Type": "application/json"}
    with live_server(sqlite_db) as url, httpx.Client(base_url=url, timeout=60) as http:
        sku = http.get("/v1/products/search", params={"q": "milk"}).json()["results"][0]["sku"]
        body = json.dumps({"sku": sku, "quantity": 2}).encode()
        assert len(body) < MAX_BODY_BYTES
        added = http.post(
            "/v1/me/basket/items", content=iter([body[:5], body[5:]]), headers=headers
        )
        assert added.status_code == 201, added.text
        assert [
            i["quantity"] for i in http.get("/v1/me/basket", headers=headers).json()["items"]
        ] == [2]
