"""Operator endpoints: what the service's operator (the assistant that started it) may do with
the operator token the service was given (``COMMERCE_OPERATOR_TOKEN``). Without one configured
every call is refused."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from commerce.api import schemas
from commerce.api.deps import State
from commerce.errors import CommerceError
from commerce.services import auth

operator_bearer = HTTPBearer(
    auto_error=False, scheme_name="OperatorToken", description="The service operator's token"
)


def operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(operator_bearer)],
) -> None:
    """Refuse unless the request carries the configured operator token (compared in constant
    time); with none configured, refuse everything."""
    expected: str | None = request.app.state.operator_token
    given = credentials.credentials if credentials is not None else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CommerceError("auth-invalid", "The operator token is not valid.", 401)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (401, 404, 422)
}
router = APIRouter(
    prefix="/v1/operator", tags=["operator"], dependencies=[Depends(operator)], responses=ERRORS
)


@router.post("/customer-tokens", response_model=schemas.CustomerToken, status_code=201)
def customer_token(app: State, body: schemas.CustomerTokenRequest) -> dict[str, Any]:
    """A new API token for a customer (handle, loyalty number or id) for one conversation of
    the assistant; it expires after ``ttl_seconds`` (never without). `404 customer-not-found`."""
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=body.ttl_seconds) if body.ttl_seconds else None
    )
    with app.db.session(write=True) as session:
        who = auth.find_customer(session, body.customer)
        token = auth.mint_token(session, who, expires_at=expires_at)
    return {
        "customer_token": token,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
