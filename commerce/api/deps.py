"""What every endpoint needs: the app state and the authenticated customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import Device
from commerce.services import auth, devices
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


def token_pin_verified(
    app: Annotated[AppState, Depends(state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> bool:
    """Whether the request's customer token carries a PIN proved when it was issued (a kiosk
    sign-in); the token itself is checked by ``customer_id``."""
    if credentials is None:
        return False
    with app.db.session() as session:
        return auth.token_pin_verified(session, credentials.credentials)


device_bearer = HTTPBearer(
    auto_error=False, scheme_name="DeviceToken", description="A home or kiosk device's token"
)


def current_device(
    app: Annotated[AppState, Depends(state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(device_bearer)],
) -> Device:
    """The active device whose token came with the request; 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise CommerceError("auth-required", "Send Authorization: Bearer <device token>.", 401)
    with app.db.session() as session:
        return devices.device_for_token(session, credentials.credentials)


State = Annotated[AppState, Depends(state)]
CustomerId = Annotated[int, Depends(customer_id)]
PinVerified = Annotated[bool, Depends(token_pin_verified)]
CurrentDevice = Annotated[Device, Depends(current_device)]
