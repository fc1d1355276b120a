"""The catalog & order service's FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commerce.api import (
    catalog_routes,
    device_routes,
    goes_with_routes,
    me_routes,
    money_routes,
    operator_routes,
    privacy_routes,
    returns_routes,
)
from commerce.api.deps import AppState
from commerce.api.ratelimit import RateLimit, RateLimits
from commerce.db import Database
from commerce.errors import CommerceError
from commerce.services.catalog import CatalogSearch

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
HTTP_CODES = {
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "body-too-large",
    415: "unsupported-media-type",
}


def error(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status, headers)


TOO_LARGE = f"Bodies are limited to {MAX_BODY_BYTES} bytes."
CLOSE = {"Connection": "close"}  # rather than read the rest of the body


class BodyTooLarge(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE, headers=CLOSE)


class BodyLimit:
    """Refuse bodies over MAX_BODY_BYTES before anything parses them (ASGI middleware).

    A Content-Length over the limit is refused before a byte is read; a body without one
    (chunked) is counted as it arrives and refused the moment it passes the limit: nothing
    reads on, and the connection is closed after the ``413 body-too-large``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        # isascii: "¹".isdigit() is true, but int("¹") fails
        if length is not None and not (
            length.isascii() and length.isdigit() and int(length) <= MAX_BODY_BYTES
        ):
            await error(413, "body-too-large", TOO_LARGE, headers=CLOSE)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge  # FastAPI passes HTTP exceptions on to _http below
            return message

        await self.app(scope, counted, send)


def create_app(
    db: Database,
    quote_ttl_seconds: int = 600,
    rate_limits: RateLimits | None = None,
    operator_token: str | None = None,
) -> FastAPI:
    """The service; ``rate_limits`` (the served service's: ``catalog serve``) limits
    unauthenticated traffic per source address, before the body limit or any route;
    ``operator_token`` opens ``/v1/operator`` to whoever holds it (closed without one)."""
    app = FastAPI(
        title="Greenleaf catalog & order service",
        version="1.0.0",
        description=(
            "The retailer's shared catalog and order service: product search tolerant of "
            "speech recognition, stock, baskets, reorder, recipes, pickup slots and orders; home "
            "speakers and store kiosks get short-lived customer tokens under `/v1/device`. "
            'Errors are `{"error": {"code", "message"}}` with a 4xx status.'
        ),
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.commerce = AppState(db, CatalogSearch(db), quote_ttl_seconds)
    app.state.operator_token = operator_token
    app.add_middleware(BodyLimit)
    if rate_limits is not None:
        app.add_middleware(RateLimit, limits=rate_limits)  # the outermost: it runs first
    app.include_router(catalog_routes.router)
    # before the other /v1/me routes: the API fuzzer meets sign-out and erasure last
    app.include_router(returns_routes.router)
    app.include_router(me_routes.router)
    app.include_router(privacy_routes.router)
    app.include_router(device_routes.router)
    app.include_router(operator_routes.router)
    app.include_router(money_routes.router)
    app.include_router(returns_routes.staff)
    app.include_router(goes_with_routes.router)

    @app.exception_handler(CommerceError)
    async def _commerce_error(_request: Request, exc: CommerceError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error(400, "malformed-json", "The request body is not valid JSON.")
        details = [
            {"field": ".".join(str(part) for part in p.get("loc", ())), "problem": p.get("msg")}
            for p in problems[:10]
        ]
        return error(422, "invalid-request", "The request is not valid.", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http-error")
        return error(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, "internal-error", "Something went wrong on our side.")

    return app
