"""Unauthenticated traffic rate-limited per source address (ASGI middleware).

Two allowances per address, each a token bucket refilled evenly over a minute:
- requests without a token (catalog reads, and anything tried without one);
- failed authentications: answers 401 (a token that is missing, unknown, revoked or expired)
  and 403 (a failed sign-in). An address that runs out of this one is refused everything
  until it refills: it is guessing.
A refused request is ``429 rate-limited`` with ``Retry-After``, before anything reads it.
Addresses in ``exempt`` (loopback by default: the voice gateway, the action server and ``chat``
on this machine speak for many customers at once and limit their own callers) are not counted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_ADDRESSES = 10_000  # addresses remembered at once; the least recently seen go first


@dataclass(frozen=True)
class RateLimits:
    anonymous_per_minute: int = 600
    failures_per_minute: int = 30
    exempt: frozenset[str] = frozenset({"127.0.0.1", "::1"})


@dataclass
class _Bucket:
    capacity: float
    tokens: float
    at: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.capacity / 60)
        self.at = now

    def wait_s(self) -> float:
        """Seconds until one token is there (0: there is one)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * 60 / self.capacity


@dataclass
class _Address:
    anonymous: _Bucket
    failures: _Bucket


class RateLimit:
    def __init__(
        self,
        app: ASGIApp,
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limits = limits or RateLimits()
        self.clock = clock
        self._addresses: dict[str, _Address] = {}

    def _address(self, host: str, now: float) -> _Address:
        found = self._addresses.pop(host, None)  # re-inserted last: the dict stays in LRU order
        if found is None:
            anonymous, failures = self.limits.anonymous_per_minute, self.limits.failures_per_minute
            found = _Address(_Bucket(anonymous, anonymous, now), _Bucket(failures, failures, now))
            if len(self._addresses) >= MAX_ADDRESSES:
                del self._addresses[next(iter(self._addresses))]
        found.anonymous.refill(now)
        found.failures.refill(now)
        self._addresses[host] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        host = client[0] if client else "unknown"
        if scope["type"] != "http" or host in self.limits.exempt:
            await self.app(scope, receive, send)
            return
        address = self._address(host, self.clock())
        wait_s = address.failures.wait_s()
        if not wait_s and "authorization" not in Headers(scope=scope):
            wait_s = address.anonymous.wait_s()
            if not wait_s:
                address.anonymous.tokens -= 1
        if wait_s:
            retry = str(math.ceil(wait_s))
            refusal = JSONResponse(
                {
                    "error": {
                        "code": "rate-limited",
                        "message": f"Too many requests from {host}; try again in {retry} s.",
                    }
                },
                429,
                {"Retry-After": retry},
            )
            await refusal(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (401, 403):
                address.failures.tokens = max(0.0, address.failures.tokens - 1)
            await send(message)

        await self.app(scope, receive, counted)
