"""The one way skills reach the catalog & order service: ``CommerceClient`` over HTTP.

``client_for(token)`` is the module-level factory the actions call; tests replace
``factory`` with one that returns the in-memory twin (``skills.twin.InMemoryCommerce``).

A write whose answer is lost (it timed out, or the connection dropped once it was sent) may
have happened or not: it raises ``CommerceUncertain``, never the "nothing was changed" of
``CommerceUnavailable``, and ``settle`` asks the service again until it says which.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from skills import contract
from skills.contract import Commerce

log = logging.getLogger(__name__)

JSON = dict[str, Any]
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 5.0
GET_RETRIES = 2  # only idempotent reads are retried
SETTLE_S = 10.0  # how long a write whose answer was lost is asked again (see settle)
SETTLE_PAUSE_S = 0.5
SETTLE_TRIES = 20  # ... and at most this often (a service that refuses connections at once)
T = TypeVar("T")


class CommerceUnavailable(Exception):
    """The service did not answer (down, slow, or a 5xx) and nothing was changed: the
    customer hears an apology."""


class CommerceUncertain(CommerceUnavailable):
    """A write reached the service (or may have) but its answer was lost: it may have been
    done or not. Only ``settle`` can say which; nobody may say "nothing was changed"."""


def _never_sent(err: requests.RequestException) -> bool:
    """True when the request cannot have reached the service: no connection was made."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    if isinstance(err, requests.ConnectionError):
        text = repr(err)
        return "NewConnectionError" in text or "Connection refused" in text
    return False


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


class _InStoreCalls:
    """Issue 15's calls: which store has it, goes well with, the customer's settings."""

    _get: Callable[..., Any]
    _request: Callable[..., Any]

    def stores_with(self, sku: str, near: str | None = None) -> contract.StoresWith:
        """The stores that have ``sku`` on the shelf, each with its ``stock``; nearest first
        from ``near`` ("latitude,longitude") when given."""
        return self._get("/v1/stores", has_sku=sku, near=near)

    def nearest_stores_with(self, sku: str) -> contract.StoresWith:
        """The same, nearest first from the customer's home (``measured_from``)."""
        return self._get("/v1/me/stores/nearest", has_sku=sku)

    def bought_together(
        self, sku: str, store_id: str | None = None, limit: int = 5
    ) -> contract.BoughtTogether:
        return self._get(f"/v1/products/{sku}/bought-together", store_id=store_id, limit=limit)

    def settings(self) -> contract.Settings:
        return self._get("/v1/me/settings")

    def change_settings(self, hints: bool) -> contract.Settings:
        return self._request("PATCH", "/v1/me/settings", json={"hints": hints})


class CommerceClient(_InStoreCalls):
    """A customer's view of the service, authenticated with that customer's token."""

    def __init__(
        self, base_url: str, token: str | None, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url
        self._token = token
        self._http = session or requests.Session()

    # -- transport ------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, changes: bool = True, **kwargs: Any) -> Any:
        """``changes``: a write (not GET) that changes what the customer has; when its answer
        is lost it raises ``CommerceUncertain``."""
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
                lost = method != "GET" and changes and not _never_sent(err)
                failure = CommerceUncertain if lost else CommerceUnavailable
                raise failure(f"{method} {path}: {type(err).__name__}") from err
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

    def search(self, q: str, store_id: str | None, limit: int = 5) -> list[contract.SearchResult]:
        return self._get("/v1/products/search", q=q, store_id=store_id, limit=limit)["results"]

    def resolve(self, q: str, store_id: str | None, limit: int = 5) -> contract.Resolution:
        return self._get("/v1/products/resolve", q=q, store_id=store_id, limit=limit)

    def stores(self, q: str | None = None, near: str | None = None) -> list[contract.Store]:
        """All stores; those ``q`` names ("river side"); or by distance from ``near``
        ("latitude,longitude"), each with ``distance_km``."""
        return self._get("/v1/stores", q=q, near=near)["stores"]

    def store(self, store_id: str) -> contract.Store:
        return self._get(f"/v1/stores/{store_id}")

    def find_slot(self, store_id: str, when: str) -> contract.FoundSlot:
        return self._get(f"/v1/stores/{store_id}/pickup-slots/find", when=when)

    def recipes(
        self,
        q: str | None = None,
        meal: str | None = None,
        limit: int = 3,
        diets: list[str] | None = None,
        quick: bool = False,
    ) -> list[contract.RecipeSummary]:
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

    def recipe(self, ref: str) -> contract.Recipe:
        """One recipe with its ingredient lines (id or slug)."""
        return self._get(f"/v1/recipes/{ref}")

    # -- the customer ---------------------------------------------------------------------

    def me(self) -> contract.Customer:
        return self._get("/v1/me")

    def basket(self, store_id: str | None = None) -> contract.Basket:
        return self._get("/v1/me/basket", store_id=store_id)

    def add_item(self, sku: str, quantity: int) -> contract.Basket:
        return self._request("POST", "/v1/me/basket/items", json={"sku": sku, "quantity": quantity})

    def change_item(self, sku: str, quantity: int) -> contract.Basket:
        return self._request("PATCH", f"/v1/me/basket/items/{sku}", json={"quantity": quantity})

    def remove_item(self, sku: str) -> contract.Basket:
        return self._request("DELETE", f"/v1/me/basket/items/{sku}")

    def clear_basket(self) -> contract.Basket:
        return self._request("DELETE", "/v1/me/basket")

    def nearest_stores(self) -> contract.NearestStores:
        """Stores by distance from the customer's home: {"measured_from", "stores"}."""
        return self._get("/v1/me/stores/nearest")

    def usual(self) -> list[contract.UsualItem]:
        return self._get("/v1/me/usual")["items"]

    def purchases(self, q: str | None = None, limit: int = 5) -> list[contract.Purchase]:
        return self._get("/v1/me/purchases", q=q, limit=limit)["purchases"]

    def reorder(
        self, source: str, store_id: str, skus: list[str] | None = None
    ) -> contract.Reorder:
        body: JSON = {"source": source, "store_id": store_id}
        if skus is not None:
            body["skus"] = skus
        return self._request("POST", "/v1/me/reorder", json=body)

    def recipe_to_basket(
        self, recipe: str, store_id: str, servings: int | None, have: list[str]
    ) -> contract.RecipeBasket:
        body: JSON = {"recipe": recipe, "store_id": store_id, "have": have}
        if servings is not None:
            body["servings"] = servings
        return self._request("POST", "/v1/me/basket/recipe", json=body)

    def pickups(self) -> list[contract.Booking]:
        return self._get("/v1/me/pickups")["bookings"]

    def book(self, slot_id: int) -> contract.Booking:
        return self._request("POST", "/v1/me/pickups", json={"slot_id": slot_id})

    def reschedule(self, booking_id: int, slot_id: int) -> contract.Booking:
        return self._request("PATCH", f"/v1/me/pickups/{booking_id}", json={"slot_id": slot_id})

    def cancel_pickup(self, booking_id: int) -> contract.Booking:
        return self._request("DELETE", f"/v1/me/pickups/{booking_id}")

    def quote(self, store_id: str, slot_id: int, use_points: bool = False) -> contract.Quote:
        return self._request(  # a quote changes nothing the customer has
            "POST",
            "/v1/me/checkout/quote",
            changes=False,
            json={"store_id": store_id, "slot_id": slot_id, "use_points": use_points},
        )

    def place_order(self, quote_id: str, key: str, pin_ticket: str | None = None) -> contract.Order:
        body: JSON = {"quote_id": quote_id}
        if pin_ticket:
            body["pin_ticket"] = pin_ticket
        return self._request("POST", "/v1/me/orders", json=body, headers={"Idempotency-Key": key})

    def orders(self, limit: int = 5) -> list[contract.Order]:
        return self._get("/v1/me/orders", limit=limit)["orders"]

    def cancel_order(self, order_id: int) -> contract.Order:
        return self._request("POST", f"/v1/me/orders/{order_id}/cancel")

    def erase_me(self, pin_ticket: str | None = None) -> contract.Erased:
        """Erase the customer (``DELETE /v1/me``; the PIN ticket as a header, in no log)."""
        headers = {"Pin-Ticket": pin_ticket} if pin_ticket else {}
        return self._request("DELETE", "/v1/me", headers=headers)

    def deals(
        self, store_id: str, q: str | None = None, sku: str | None = None
    ) -> list[contract.Deal]:
        return self._get(f"/v1/stores/{store_id}/deals", q=q or None, sku=sku)["deals"]

    def loyalty(self) -> contract.Loyalty:
        return self._get("/v1/me/loyalty")

    # -- returns in store, and telling the shop ----------------------------------------------

    def check_return(
        self, order_id: int, sku: str, quantity: int, reason: str, refund_to: str = "payment"
    ) -> contract.ReturnCheck:
        """What the return would refund and where it goes back, or why not: changes nothing."""
        body = {"order_id": order_id, "sku": sku, "quantity": quantity, "reason": reason,
                "refund_to": refund_to}  # fmt: skip
        return self._request("POST", "/v1/me/returns/check", changes=False, json=body)

    def make_return(
        self, order_id: int, sku: str, quantity: int, reason: str, refund_to: str, key: str
    ) -> contract.Return:
        """A return authorisation, once per ``key`` (a repeat answers the same return)."""
        body = {"order_id": order_id, "sku": sku, "quantity": quantity, "reason": reason,
                "refund_to": refund_to}  # fmt: skip
        return self._request("POST", "/v1/me/returns", json=body, headers={"Idempotency-Key": key})

    def returns(self, limit: int = 20) -> list[contract.Return]:
        return self._get("/v1/me/returns", limit=limit)["returns"]

    def tell_the_shop(
        self, text: str, store_id: str | None = None, sku: str | None = None
    ) -> contract.Feedback:
        body: JSON = {"text": text}
        if store_id:
            body["store_id"] = store_id
        if sku:
            body["sku"] = sku
        return self._request("POST", "/v1/me/feedback", json=body)


def settle(
    write: Callable[[], T],
    done_already: Callable[[CommerceRefused], bool] = lambda err: False,
    budget_s: float | None = None,
) -> T | None:
    """The outcome of ``write``, a request the service answers the same when asked again
    (an order with its idempotency key; a booking, a move or a cancellation, which a repeat
    finds done): when its answer is lost it is asked again, for up to ``budget_s``, before
    anything is said to the customer.

    Returns what the service answered, or None when a repeat was refused only because the
    first one had done it (``done_already``: "you already have that slot"); a refusal is
    raised as it came (the write was not done); ``CommerceUncertain`` when no answer came
    in time: then nobody knows yet, and the customer must be told just that."""
    budget = SETTLE_S if budget_s is None else budget_s
    try:
        return write()
    except CommerceUncertain as err:
        lost: CommerceUnavailable = err
    deadline = time.monotonic() + budget
    log.warning("a write's answer was lost (%s): asking again", lost)
    for _ in range(SETTLE_TRIES):
        if time.monotonic() >= deadline:
            break
        time.sleep(SETTLE_PAUSE_S)
        try:
            return write()
        except CommerceRefused as err:
            if done_already(err):
                return None
            raise
        except CommerceUnavailable as err:  # still no answer: the first may yet be done
            lost = err
    raise CommerceUncertain(f"no answer after asking again for {budget:.0f} s: {lost}")


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


# Tests swap this for a factory returning the in-memory twin (skills.contract.Commerce both).
factory: Callable[[str | None], Commerce] = _http_client


def client_for(token: str | None) -> Commerce:
    return factory(token)
