"""What every endpoint needs: the app state and the authenticated customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.errors import CommerceError
from commerce.db import Database
from commerce.services import auth
from commerce.services.catalog import CatalogSearch


@dataclass
class AppState:
    db: Database
    search: CatalogSearch
    quote_ttl_seconds: int


def state(request: Request) -> AppState:
    app_state: AppState = request.app.state.commerce
    return app_state


bearer = HTTPBearer(auto_error=False, description="A customer's API token")


def customer_id(
    app: Annotated[AppState, Depends(state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> int:
    """The id of the customer whose token came with the request; 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise CommerceError("auth-required", "Send Authorization: Bearer <token>.", 401)
    with app.db.session() as session:
        return auth.customer_for_token(session, credentials.credentials).id


State = Annotated[AppState, Depends(state)]
CustomerId = Annotated[int, Depends(customer_id)]
