"""The one way skills reach the catalog & order service: ``CommerceClient`` over HTTP.

``client_for(token)`` is the module-level factory the actions call; tests replace
``factory`` with one that returns the in-memory twin (``skills.twin.InMemoryCommerce``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import requests

log = logging.getLogger(__name__)

JSON = dict[str, Any]
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 5.0
GET_RETRIES = 2  # only idempotent reads are retried


class CommerceUnavailable(Exception):
    """The service did not answer (down, slow, or a 5xx): the customer hears an apology."""


class CommerceRefused(Exception):
    """The service answered with a 4xx error: ``code`` says why (``slot-full``, ...)."""

    def __init__(self, status: int, code: str, message: str, details: JSON) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def commerce_url() -> str:
    """Where the service is; the launcher sets COMMERCE_URL for the action server process."""
    return os.environ.get("COMMERCE_URL", "http://127.0.0.1:8700").rstrip("/")


class CommerceClient:
    """A customer's view of the service, authenticated with that customer's token."""

    def __init__(
        self, base_url: str, token: str | None, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url
        self._token = token
        self._http = session or requests.Session()

    # -- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        attempts = 1 + (GET_RETRIES if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                response = self._http.request(
                    method,
                    self.base_url + path,
                    headers=headers,
                    timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
                    **kwargs,
                )
            except requests.RequestException as err:
                if attempt + 1 < attempts:
                    time.sleep(0.1 * (attempt + 1))
                    continue
                raise CommerceUnavailable(f"{method} {path}: {type(err).__name__}") from err
            if response.status_code >= 500:
                if attempt + 1 < attempts:
                    continue
                raise CommerceUnavailable(f"{method} {path}: HTTP {response.status_code}")
            if response.status_code >= 400:
                raise _refusal(response)
            return response.json()
        raise CommerceUnavailable(f"{method} {path}: no answer")  # pragma: no cover

    def _get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self._request("GET", path, params=clean)

    # -- catalog ---------------------------------------------------------------------------

    def search(self, q: str, store_id: str | None, limit: int = 5) -> list[JSON]:
        return self._get("/v1/products/search", q=q, store_id=store_id, limit=limit)["results"]

    def resolve(self, q: str, store_id: str | None, limit: int = 5) -> JSON:
        return self._get("/v1/products/resolve", q=q, store_id=store_id, limit=limit)

    def stores(self, q: str | None = None, near: str | None = None) -> list[JSON]:
        """All stores; those ``q`` names ("river side"); or by distance from ``near``
        ("latitude,longitude"), each with ``distance_km``."""
        return self._get("/v1/stores", q=q, near=near)["stores"]

    def store(self, store_id: str) -> JSON:
        return self._get(f"/v1/stores/{store_id}")

    def find_slot(self, store_id: str, when: str) -> JSON:
        return self._get(f"/v1/stores/{store_id}/pickup-slots/find", when=when)

    def recipes(
        self,
        q: str | None = None,
        meal: str | None = None,
        limit: int = 3,
        diets: list[str] | None = None,
        quick: bool = False,
    ) -> list[JSON]:
        """Recipes that fit best first: name, meal, diets ("vegan", "vegetarian",
        "gluten-free"), quick, and what this customer buys."""
        return self._get(
            "/v1/me/recipes",
            q=q,
            meal=meal,
            limit=limit,
            diet=diets or None,
            quick="true" if quick else None,
        )["recipes"]

    def recipe(self, ref: str) -> JSON:
        """One recipe with its ingredient lines (id or slug)."""
        return self._get(f"/v1/recipes/{ref}")

    # -- the customer ---------------------------------------------------------------------

    def me(self) -> JSON:
        return self._get("/v1/me")

    def basket(self, store_id: str | None = None) -> JSON:
        return self._get("/v1/me/basket", store_id=store_id)

    def add_item(self, sku: str, quantity: int) -> JSON:
        return self._request("POST", "/v1/me/basket/items", json={"sku": sku, "quantity": quantity})

    def change_item(self, sku: str, quantity: int) -> JSON:
        return self._request("PATCH", f"/v1/me/basket/items/{sku}", json={"quantity": quantity})

    def remove_item(self, sku: str) -> JSON:
        return self._request("DELETE", f"/v1/me/basket/items/{sku}")

    def clear_basket(self) -> JSON:
        return self._request("DELETE", "/v1/me/basket")

    def nearest_stores(self) -> JSON:
        """Stores by distance from the customer's home: {"measured_from", "stores"}."""
        return self._get("/v1/me/stores/nearest")

    def usual(self) -> list[JSON]:
        return self._get("/v1/me/usual")["items"]

    def purchases(self, q: str | None = None, limit: int = 5) -> list[JSON]:
        return self._get("/v1/me/purchases", q=q, limit=limit)["purchases"]

    def reorder(self, source: str, store_id: str, skus: list[str] | None = None) -> JSON:
        body: JSON = {"source": source, "store_id": store_id}
        if skus is not None:
            body["skus"] = skus
        return self._request("POST", "/v1/me/reorder", json=body)

    def recipe_to_basket(
        self, recipe: str, store_id: str, servings: int | None, have: list[str]
    ) -> JSON:
        body: JSON = {"recipe": recipe, "store_id": store_id, "have": have}
        if servings is not None:
            body["servings"] = servings
        return self._request("POST", "/v1/me/basket/recipe", json=body)

    def pickups(self) -> list[JSON]:
        return self._get("/v1/me/pickups")["bookings"]

    def book(self, slot_id: int) -> JSON:
        return self._request("POST", "/v1/me/pickups", json={"slot_id": slot_id})

    def reschedule(self, booking_id: int, slot_id: int) -> JSON:
        return self._request("PATCH", f"/v1/me/pickups/{booking_id}", json={"slot_id": slot_id})

    def cancel_pickup(self, booking_id: int) -> JSON:
        return self._request("DELETE", f"/v1/me/pickups/{booking_id}")

    def quote(self, store_id: str, slot_id: int) -> JSON:
        return self._request(
            "POST", "/v1/me/checkout/quote", json={"store_id": store_id, "slot_id": slot_id}
        )

    def place_order(self, quote_id: str, key: str, pin_ticket: str | None = None) -> JSON:
        body: JSON = {"quote_id": quote_id}
        if pin_ticket:
            body["pin_ticket"] = pin_ticket
        return self._request("POST", "/v1/me/orders", json=body, headers={"Idempotency-Key": key})

    def orders(self, limit: int = 5) -> list[JSON]:
        return self._get("/v1/me/orders", limit=limit)["orders"]

    def cancel_order(self, order_id: int) -> JSON:
        return self._request("POST", f"/v1/me/orders/{order_id}/cancel")


def _refusal(response: requests.Response) -> CommerceRefused:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    details = {k: v for k, v in error.items() if k not in ("code", "message")}
    return CommerceRefused(
        response.status_code, error.get("code", "http-error"), error.get("message", ""), details
    )


def _http_client(token: str | None) -> CommerceClient:
    return CommerceClient(commerce_url(), token)


# Tests swap this for a factory returning the in-memory twin.
factory: Callable[[str | None], Any] = _http_client


def client_for(token: str | None) -> CommerceClient:
    return factory(token)
