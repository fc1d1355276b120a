"""Customers erased through the commerce API (``DELETE /v1/me``): what the assistant's side
erases after the service, which reaches neither the tracker store nor the gateways' sessions.

The service writes an erasure request (the customer's ``subject``) in the erasure's own
transaction and lists the requests to its operator (``/v1/operator/erasures``). Each gateway
process watches that list (``ErasureWatcher``, every ``gateway.erasure_poll_s``): for each new
request it ends its own live sessions of that customer (a kiosk signs them out, a home device
is told ``account-erased``), deletes every gateway's resumable session states of them (Redis)
and the conversations filed under the subject (the tracker store), and marks the request done.
Every gateway does it for every request, done or not, since each has its own sessions; the
deletions are idempotent. Where no gateway runs, ``run_assistant.py conversations
erase-requested`` does the same once (a cron job).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx

from assistant import conversations
from assistant.errors import CommerceError
from assistant.settings import Settings

log = logging.getLogger(__name__)


def erase_conversations(settings: Settings, subject: str) -> int:
    """Delete the conversations filed under ``subject`` from the tracker store the settings'
    endpoints file names; how many events there were."""
    endpoints = settings.path(settings.dialogue.endpoints)
    engine = conversations.open_store(endpoints, settings.root)
    try:
        return conversations.erase(engine, subject)
    finally:
        engine.dispose()


class ErasureFeed:
    """The service's erasure requests, with the operator token (``/v1/operator/erasures``)."""

    def __init__(self, settings: Settings, timeout_s: float = 10.0) -> None:
        c = settings.commerce
        if not c.operator_token:
            raise CommerceError(
                "operator-token-missing",
                "Erasure requests need the commerce service's operator token "
                "(COMMERCE_OPERATOR_TOKEN).",
                401,
            )
        self._http = httpx.Client(
            base_url=c.base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {c.operator_token}"},
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as err:
            raise CommerceError(
                "service-unavailable", "The shop's service is not answering.", 503
            ) from err
        body: dict[str, Any] = response.json() if response.content else {}
        if response.status_code >= 400:
            error = body.get("error") or {}
            raise CommerceError(
                str(error.get("code", "refused")),
                str(error.get("message", "")),
                response.status_code,
            )
        return body

    def requests(self, after: int = 0) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call(
            "GET", "/v1/operator/erasures", params={"after": after}
        )["erasures"]
        return found

    def done(self, request_id: int) -> None:
        self._call("POST", f"/v1/operator/erasures/{request_id}/done")

    def close(self) -> None:
        self._http.close()


def apply_requests(
    feed: ErasureFeed, erase: Callable[[str], None], after: int = 0, pending_only: bool = False
) -> int:
    """``erase(subject)`` for each request after ``after`` (only those not yet done when
    ``pending_only``), each marked done after it; the last id seen (``after`` when none)."""
    for request in feed.requests(after):
        after = max(after, int(request["id"]))
        if pending_only and request["done_at"]:
            continue
        erase(str(request["subject"]))
        feed.done(int(request["id"]))
        log.info(
            "erasure request %s: the customer's conversations and sessions erased", request["id"]
        )
    return after


class ErasureWatcher:
    """A daemon thread applying new erasure requests every ``poll_s`` until ``stop``; a
    service that does not answer is tried again at the next poll."""

    def __init__(self, feed: ErasureFeed, erase: Callable[[str], None], poll_s: float) -> None:
        self.feed = feed
        self.erase = erase
        self.poll_s = poll_s
        self.seen = 0  # the last request applied here
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="erasures", daemon=True)

    def start(self) -> ErasureWatcher:
        self._thread.start()
        return self

    def poll(self) -> None:
        self.seen = apply_requests(self.feed, self.erase, self.seen)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except CommerceError as err:
                log.warning("erasure requests could not be read (%s): tried again", err.code)
            except Exception:  # a tracker store not answering: the next poll tries again
                log.exception("an erasure request failed: tried again")
            self._stop.wait(self.poll_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.feed.close()


def erase_requested(settings: Settings) -> dict[str, int]:
    """``conversations erase-requested``: each pending request's conversations erased, and
    its resumable session states where ``gateway.sessions_url`` names the gateways' Redis."""
    from assistant.channels.gateway.resumable import build_store

    feed = ErasureFeed(settings)
    store = build_store(settings.gateway)
    done = {"requests": 0, "events_deleted": 0, "sessions_dropped": 0}

    def erase(subject: str) -> None:
        done["requests"] += 1
        done["sessions_dropped"] += store.drop_conversations(subject + ".")
        done["events_deleted"] += erase_conversations(settings, subject)

    try:
        apply_requests(feed, erase, pending_only=True)
    finally:
        feed.close()
        store.close()
    return done
