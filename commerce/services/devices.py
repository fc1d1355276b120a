"""Home speakers and store kiosks, and the short-lived customer tokens they obtain.

A device holds only its own token (``dev_...``, stored as SHA-256). A home device is bound to
one customer and gets that customer's token on ``session``; a kiosk is bound to a store and
gets a customer's token when one signs in with a loyalty number or phone plus PIN, or shops
as a guest. Customer tokens issued to a device expire and are revoked at sign-out, so the
voice gateway never holds a long-lived customer secret. PINs, phone and loyalty numbers are
never logged in full.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import ApiToken, Customer, Device
from commerce.services import auth, basket
from commerce.services.common import get_store

log = logging.getLogger(__name__)

DEVICE_PREFIX = "dev_"  # a public prefix that marks device tokens
KINDS = ("home", "kiosk")
HOME_TOKEN_TTL = timedelta(hours=1)
KIOSK_TOKEN_TTL = timedelta(minutes=30)
# After a PIN sign-in at a kiosk, checkout asks for no PIN for this long (idle kiosks sign
# out after two minutes; a longer visit is asked for the PIN again).
KIOSK_PIN_WINDOW = timedelta(minutes=15)
# Failed sign-ins (whatever the numbers) that lock nothing at one kiosk; then the kiosk's
# sign-ins lock as a customer's PIN does (auth.lock_after), so one kiosk cannot try PINs
# against many customers either. A successful sign-in does not forgive them (anyone with an
# account could make one); an hour without a failure does. Staff: `catalog device unlock ID`.
KIOSK_FREE_FAILURES = 10
KIOSK_QUIET = timedelta(hours=1)
MAX_NAME_LENGTH = 80
GUEST_NAME = "Guest"


def _invalid() -> CommerceError:
    return CommerceError("auth-invalid", "The device token is not valid.", 401)


def _sign_in_failed() -> CommerceError:
    # one answer for every failure (unknown, no PIN, locked, wrong PIN): no enumeration
    return CommerceError(
        "sign-in-failed", "That number and PIN do not match an account with a PIN.", 403
    )


def mask(value: str) -> str:
    """What a log may show of a phone or loyalty number: its last three characters."""
    return "***" + value[-3:] if len(value) > 6 else "***"


def normalise_phone(text: str) -> str | None:
    """A UK number as national digits ("+44 7700 900123" -> "07700900123"); None if not one."""
    digits = "".join(ch for ch in text if ch not in " -()")
    for prefix in ("+44", "0044"):
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix) :].removeprefix("0")
            break
    if digits.isascii() and digits.isdigit() and digits[:1] == "0" and 10 <= len(digits) <= 11:
        return digits
    return None


def normalise_loyalty(text: str) -> str:
    """A loyalty number as stored: no spaces, upper case ("gl 1000 0000" -> "GL10000000")."""
    return "".join(text.split()).upper()


# --- devices (the CLI) ---------------------------------------------------------------------


def add_device(
    session: Session,
    kind: str,
    *,
    customer: Customer | None = None,
    store_id: str | None = None,
    name: str | None = None,
) -> tuple[Device, str]:
    """Register a device; returns it and its token, which is shown only this once.

    Args:
        session: a write session.
        kind: ``home`` (give ``customer``) or ``kiosk`` (give ``store_id``).
        customer: the customer a home device belongs to (not a guest).
        store_id: the store a kiosk stands in.
        name: a label for people; a default is made from the customer or store.
    """
    if kind == "home":
        if customer is None or store_id is not None:
            raise CommerceError("device-invalid", "A home device needs a customer only.", 422)
        if customer.is_guest:
            raise CommerceError("device-invalid", "A home device cannot belong to a guest.", 422)
        default = f"{customer.name}'s speaker"
    elif kind == "kiosk":
        if store_id is None or customer is not None:
            raise CommerceError("device-invalid", "A kiosk needs a store only.", 422)
        default = f"{get_store(session, store_id).name} kiosk"
    else:
        raise CommerceError("device-invalid", f"A device is one of {', '.join(KINDS)}.", 422)
    name = default[:MAX_NAME_LENGTH] if name is None else name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise CommerceError(
            "device-invalid", f"A device name is 1 to {MAX_NAME_LENGTH} characters.", 422
        )
    token = DEVICE_PREFIX + secrets.token_urlsafe(32)
    device = Device(
        kind=kind,
        name=name,
        token_hash=auth.hash_token(token),
        customer_id=customer.id if customer else None,
        store_id=store_id,
    )
    session.add(device)
    session.flush()
    log.info("device %d added (%s)", device.id, kind)
    return device, token


def list_devices(session: Session) -> list[Device]:
    return list(session.scalars(select(Device).order_by(Device.id)))


def get_device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise CommerceError("device-not-found", f"No device {device_id}.", 404)
    return device


def revoke_device(session: Session, device_id: int, now: datetime | None = None) -> Device:
    """Stop a device's token working, and every customer token it was issued; idempotent."""
    now = now or datetime.now(UTC)
    device = get_device(session, device_id)
    if device.revoked_at is None:
        device.revoked_at = now
    for token in session.scalars(
        select(ApiToken).where(ApiToken.device_id == device.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    log.info("device %d revoked", device.id)
    return device


def device_dict(session: Session, device: Device) -> dict[str, Any]:
    """A device as the CLI lists it (never its token)."""
    body: dict[str, Any] = {"device_id": device.id, "kind": device.kind, "name": device.name}
    if device.customer_id is not None:
        body["customer"] = session.get_one(Customer, device.customer_id).handle
    if device.store_id is not None:
        body["store_id"] = device.store_id
    body["created_at"] = device.created_at.isoformat()
    body["revoked_at"] = device.revoked_at.isoformat() if device.revoked_at else None
    if device.sign_in_locked_until is not None:
        body["sign_ins_locked_until"] = device.sign_in_locked_until.isoformat()
    return body


# --- the device API ------------------------------------------------------------------------


def device_for_token(session: Session, token: str) -> Device:
    """The active device whose token this is; unknown and revoked ones are refused alike."""
    if not token.startswith(DEVICE_PREFIX) or len(token) > 100:
        raise _invalid()
    device = session.scalar(
        select(Device).where(
            Device.token_hash == auth.hash_token(token), Device.revoked_at.is_(None)
        )
    )
    if device is None:
        raise _invalid()
    return device


def _kiosk(device: Device) -> str:
    """The kiosk's store id; 403 ``kiosk-only`` for a home device."""
    if device.kind != "kiosk" or device.store_id is None:
        raise CommerceError("kiosk-only", "Only a store kiosk can do that.", 403)
    return device.store_id


def _issue(
    session: Session,
    device: Device,
    customer: Customer,
    ttl: timedelta,
    now: datetime,
    pin_window: timedelta | None = None,
) -> dict[str, Any]:
    """A fresh customer token for ``device``, after clearing out the customer's spent ones."""
    session.execute(
        delete(ApiToken).where(
            ApiToken.customer_id == customer.id,
            ApiToken.device_id.is_not(None),
            or_(ApiToken.revoked_at.is_not(None), ApiToken.expires_at <= now),
        )
    )
    expires_at = now + ttl
    token = auth.mint_token(
        session,
        customer,
        expires_at=expires_at,
        device_id=device.id,
        pin_verified_until=now + pin_window if pin_window is not None else None,
    )
    return {
        "customer": {
            "handle": customer.handle,
            "name": customer.name,
            "subject": customer.subject,
        },
        "customer_token": token,
        "expires_at": expires_at.isoformat(),
    }


def start_session(session: Session, device: Device, now: datetime | None = None) -> dict[str, Any]:
    """What a device is for: a home device also gets its customer's token (valid 1 hour)."""
    now = now or datetime.now(UTC)
    if device.kind == "home" and device.customer_id is not None:
        customer = session.get_one(Customer, device.customer_id)
        issued = _issue(session, device, customer, HOME_TOKEN_TTL, now)
        return {
            "kind": "home",
            "device_id": device.id,
            "customer": issued["customer"],
            "store_id": customer.home_store_id,
            "customer_token": issued["customer_token"],
            "expires_at": issued["expires_at"],
        }
    store_id = _kiosk(device)
    return {
        "kind": "kiosk",
        "device_id": device.id,
        "store_id": store_id,
        "store_name": get_store(session, store_id).name,
    }


def sign_in(
    db: Database,
    device: Device,
    pin: str,
    *,
    loyalty_number: str | None = None,
    phone: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Sign a customer in at a kiosk with a loyalty number or phone, plus their PIN.

    Every failure is the same ``403 sign-in-failed``, as slow as a PIN check: an unknown
    number, one without a PIN, a locked PIN, a locked kiosk and a wrong PIN. A wrong PIN
    counts towards the customer's lock exactly as ``POST /v1/me/pin/verify`` does, and every
    failure towards the kiosk's; the counts are committed although the request fails.
    """
    now = now or datetime.now(UTC)
    store_id = _kiosk(device)
    if (loyalty_number is None) == (phone is None):
        raise CommerceError(
            "invalid-request", "Send a loyalty number or a phone, exactly one.", 422
        )
    if phone is not None:
        number = normalise_phone(phone)
        if number is None:
            raise CommerceError("phone-invalid", "That is not a UK phone number.", 422)
        match = Customer.phone == number
    else:
        number = normalise_loyalty(loyalty_number or "")
        match = Customer.loyalty_number == number
    with db.session(write=True) as session:
        counted = session.scalars(
            select(Device).where(Device.id == device.id).with_for_update()
        ).one()
        customer = session.scalar(
            select(Customer).where(match, Customer.is_guest.is_(False)).with_for_update()
        )
        kiosk_locked = auth.locked(counted.sign_in_locked_until, now)
        last = counted.last_failed_sign_in_at
        if not kiosk_locked and last is not None and now - last >= KIOSK_QUIET:
            counted.failed_sign_ins = 0  # a quiet hour forgives
        if customer is None or kiosk_locked:
            auth.spend_pin_check(pin)  # as slow as a real check
            verified = False
        else:
            verified = auth.try_pin(customer, pin, now)
        if verified and customer is not None:
            issued = _issue(session, device, customer, KIOSK_TOKEN_TTL, now, KIOSK_PIN_WINDOW)
            log.info("kiosk %d: customer %s signed in", device.id, customer.handle)
            return {**issued, "store_id": store_id}
        if not kiosk_locked:
            counted.failed_sign_ins += 1
            counted.last_failed_sign_in_at = now
            lock = auth.lock_after(counted.failed_sign_ins, KIOSK_FREE_FAILURES)
            if lock is not None:
                counted.sign_in_locked_until = now + lock
                log.warning("kiosk %d: sign-ins locked for %s", device.id, lock)
    # committed: the failed attempt counts
    log.info("kiosk %d: sign-in failed for %s", device.id, mask(number))
    raise _sign_in_failed()


def unlock_device(session: Session, device_id: int) -> Device:
    """Let a kiosk sign customers in again now (staff, after checking on it)."""
    device = get_device(session, device_id)
    device.failed_sign_ins, device.sign_in_locked_until = 0, None
    device.last_failed_sign_in_at = None
    log.info("device %d: sign-ins unlocked", device.id)
    return device


def guest(session: Session, device: Device, now: datetime | None = None) -> dict[str, Any]:
    """A new guest customer at the kiosk's store, signed in for 30 minutes."""
    now = now or datetime.now(UTC)
    store_id = _kiosk(device)
    suffix = secrets.token_hex(6)
    customer = Customer(
        handle=f"guest-{suffix}",
        name=GUEST_NAME,
        home_store_id=store_id,
        # the column is NOT NULL; a placeholder no real loyalty number (GL...) can equal
        loyalty_number=f"GUEST{suffix.upper()}",
        is_guest=True,
    )
    session.add(customer)
    session.flush()
    issued = _issue(session, device, customer, KIOSK_TOKEN_TTL, now)
    log.info("kiosk %d: guest %s started", device.id, customer.handle)
    return {**issued, "store_id": store_id}


def sign_out(session: Session, device: Device, token: str, now: datetime | None = None) -> None:
    """Revoke a customer token this device was issued and wipe a guest's basket; idempotent.

    A token that is unknown (never issued, or cleared out after it expired) has nothing left
    to revoke; one issued to another device, or not to a device, is refused (403).
    """
    now = now or datetime.now(UTC)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == auth.hash_token(token)))
    if row is None:
        return
    if row.device_id != device.id:
        raise CommerceError(
            "token-not-from-device", "This device was not issued that customer token.", 403
        )
    if row.revoked_at is None:
        row.revoked_at = now
    customer = session.get_one(Customer, row.customer_id)
    if customer.is_guest:
        basket.clear(session, customer)
    log.info("device %d: customer %s signed out", device.id, customer.handle)
