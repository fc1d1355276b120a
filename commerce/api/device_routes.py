"""Device endpoints under /v1/device: home speakers and store kiosks get customer tokens.

They take a device token (`dev_...`), never a customer's. The customer tokens they hand out
expire (1 hour at home, 30 minutes at a kiosk) and end at `POST /v1/device/sign-out`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from commerce.api import schemas
from commerce.api.deps import CurrentDevice, State
from commerce.services import devices

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (400, 401, 403, 422)
}
router = APIRouter(prefix="/v1/device", responses=ERRORS, tags=["device"])


@router.post("/session", response_model=schemas.DeviceSession)
def start_session(app: State, device: CurrentDevice) -> Any:
    """What the device is: a home device also gets its customer's token (valid 1 hour)."""
    with app.db.session(write=device.kind == "home") as session:
        return devices.start_session(session, device)


@router.post("/sign-in", response_model=schemas.SignedIn)
def sign_in(app: State, device: CurrentDevice, body: schemas.SignIn) -> Any:
    """Kiosk only: a customer signs in with a loyalty number or phone, plus PIN.

    Every failure answers `403 sign-in-failed`, as slowly: an unknown customer, one without
    a PIN, a locked PIN, a locked kiosk and a wrong PIN. Wrong PINs count towards the
    customer's lock as at `/v1/me/pin/verify` (5 free, then 1, 2, 4 … at most 15 minutes),
    and every failure towards this kiosk's (10 free, then the same). The customer token is
    valid for 30 minutes.
    """
    return devices.sign_in(
        app.db, device, body.pin, loyalty_number=body.loyalty_number, phone=body.phone
    )


@router.post("/guest", response_model=schemas.SignedIn, status_code=201)
def guest(app: State, device: CurrentDevice) -> Any:
    """Kiosk only: a new guest customer (no PIN) at the kiosk's store, for 30 minutes."""
    with app.db.session(write=True) as session:
        return devices.guest(session, device)


@router.post("/sign-out", response_model=schemas.SignedOut)
def sign_out(app: State, device: CurrentDevice, body: schemas.SignOut) -> Any:
    """End a customer token this device was issued (a guest's basket is emptied); idempotent."""
    with app.db.session(write=True) as session:
        devices.sign_out(session, device, body.customer_token)
    return {"signed_out": True}
