"""Customer API tokens and voice PINs. Only hashes are stored; neither is ever logged."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import ApiToken, Customer, PinTicket

TOKEN_PREFIX = "cst_"  # noqa: S105 - a public prefix that marks customer tokens
TICKET_PREFIX = "pt_"  # a public prefix that marks PIN tickets
TICKET_TTL = timedelta(minutes=5)
# Wrong PINs in a row that lock nothing; the next one locks the PIN for FIRST_LOCK, and each
# one after a lock has ended locks it twice as long as the last, at most LONGEST_LOCK. While
# locked no PIN is checked (nor counted); the right PIN after the lock resets the count.
MAX_PIN_ATTEMPTS = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(minutes=15)
# scrypt parameters (RFC 7914 interactive settings): ~20 ms, 16 MiB per check
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_token(
    session: Session,
    customer: Customer,
    *,
    expires_at: datetime | None = None,
    device_id: int | None = None,
    pin_verified_until: datetime | None = None,
) -> str:
    """Create a new API token for ``customer`` and return it; it is shown only once.

    Args:
        session: a write session.
        customer: whose token it is.
        expires_at: when it stops working; never when None (the CLI's tokens).
        device_id: the device it is issued to, the only one that may revoke it.
        pin_verified_until: the customer proved their PIN when it was issued; orders through
            it need no PIN until then.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    session.add(
        ApiToken(
            customer_id=customer.id,
            token_hash=hash_token(token),
            expires_at=expires_at,
            device_id=device_id,
            pin_verified_until=pin_verified_until,
        )
    )
    session.flush()
    return token


def revoke_token(session: Session, token: str, now: datetime | None = None) -> bool:
    """Stop ``token`` working; False when it was unknown or already revoked."""
    done = session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def customer_for_token(session: Session, token: str, now: datetime | None = None) -> Customer:
    """The customer whose token this is; unknown, expired and revoked tokens are all refused."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise CommerceError("auth-invalid", "The API token is not valid.", 401)
    now = now or datetime.now(UTC)
    customer = session.scalar(
        select(Customer)
        .join(ApiToken)
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )
    if customer is None:
        raise CommerceError("auth-invalid", "The API token is not valid.", 401)
    return customer


def token_pin_verified(session: Session, token: str, now: datetime | None = None) -> bool:
    """True while ``token`` (a valid one) carries a PIN proved when it was issued."""
    now = now or datetime.now(UTC)
    until = session.scalar(
        select(ApiToken.pin_verified_until).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    return until is not None and until > now


def find_customer(session: Session, who: str) -> Customer:
    """A customer by handle, loyalty number or numeric id (what the CLI is given)."""
    clauses = [Customer.handle == who.lower(), Customer.loyalty_number == who]
    if who.isascii() and who.isdigit() and len(who) <= 9:
        clauses.append(Customer.id == int(who))
    customer = session.scalar(select(Customer).where(or_(*clauses)))
    if customer is None:
        raise CommerceError("customer-not-found", f"No customer {who!r}.", 404)
    return customer


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise CommerceError("pin-invalid", "A PIN is 4 to 8 digits.", 422)
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        _, salt_hex, digest_hex = stored.split("$")
        digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def lock_after(failures: int, free: int) -> timedelta | None:
    """How long ``failures`` failures in a row lock for, when the first ``free`` lock nothing:
    FIRST_LOCK, doubling with each further failure, at most LONGEST_LOCK."""
    if failures < free:
        return None
    return min(FIRST_LOCK * 2 ** min(failures - free, 20), LONGEST_LOCK)


def locked(until: datetime | None, now: datetime | None = None) -> bool:
    return until is not None and until > (now or datetime.now(UTC))


def try_pin(customer: Customer, pin: str, now: datetime | None = None) -> bool:
    """True when ``pin`` unlocks ``customer`` (the failure count starts again).

    Always as slow as one PIN check, so that no answer says why it was False: no PIN, a
    locked PIN (not checked, not counted) or a wrong PIN (counted; the caller commits it).
    """
    now = now or datetime.now(UTC)
    if customer.pin_hash is None or locked(customer.pin_locked_until, now):
        spend_pin_check(pin)
        return False
    if pin_matches(pin, customer.pin_hash):
        unlock_pin(customer)
        return True
    customer.failed_pin_attempts += 1
    lock = lock_after(customer.failed_pin_attempts, MAX_PIN_ATTEMPTS)
    if lock is not None:
        customer.pin_locked_until = now + lock
    return False


def unlock_pin(customer: Customer) -> Customer:
    """End a PIN lock now and clear the count (staff, once the customer has been checked)."""
    customer.failed_pin_attempts = 0
    customer.pin_locked_until = None
    return customer


def check_pin(customer: Customer, pin: str | None, now: datetime | None = None) -> None:
    """Raise unless ``pin`` unlocks ``customer``; counts failures (the caller commits them)."""
    if customer.pin_hash is None:
        return
    check_not_locked(customer, now)
    if pin is None:
        raise CommerceError("pin-required", "This account needs its PIN to place orders.", 403)
    if not try_pin(customer, pin, now):
        raise CommerceError("pin-incorrect", "That PIN is not right.", 403)


def pin_verified(customer: Customer, pin: str, now: datetime | None = None) -> bool:
    """True when ``pin`` unlocks ``customer``; False when it is wrong or there is no PIN.

    For the customer's own calls (``/v1/me``): a wrong PIN counts towards the lock as in
    ``check_pin`` (the caller commits the count); a locked PIN raises ``pin-locked``.
    """
    if customer.pin_hash is None:
        return False
    check_not_locked(customer, now)
    return try_pin(customer, pin, now)


def spend_pin_check(pin: str) -> None:
    """Take as long as a PIN check does, for callers that must not reveal there was none."""
    pin_matches(pin, _decoy_hash())


@functools.cache
def _decoy_hash() -> str:
    return hash_pin("0000")


def check_not_locked(customer: Customer, now: datetime | None = None) -> None:
    """``423 pin-locked`` while the customer's PIN is locked (for their own calls only: a
    sign-in answers every failure alike)."""
    if customer.pin_hash is not None and locked(customer.pin_locked_until, now):
        raise CommerceError("pin-locked", "Too many wrong PINs; try again in a few minutes.", 423)


def issue_ticket(session: Session, customer: Customer, now: datetime | None = None) -> str:
    """A single-use PIN ticket for ``customer``, valid for TICKET_TTL; shown only once.

    Call it only after the PIN was checked. The customer's spent tickets are cleared out.
    """
    now = now or datetime.now(UTC)
    session.execute(
        delete(PinTicket).where(
            PinTicket.customer_id == customer.id,
            or_(PinTicket.used_at.is_not(None), PinTicket.expires_at <= now),
        )
    )
    ticket = TICKET_PREFIX + secrets.token_urlsafe(24)
    session.add(
        PinTicket(
            customer_id=customer.id, ticket_hash=hash_token(ticket), expires_at=now + TICKET_TTL
        )
    )
    session.flush()
    return ticket


def redeem_ticket(
    session: Session, customer: Customer, ticket: str, now: datetime | None = None
) -> None:
    """Use up ``ticket`` in place of the PIN, or raise ``pin-ticket-invalid`` (403).

    One conditional UPDATE marks it used, so a ticket opens at most one transaction that
    commits: expired, used, unknown and other customers' tickets are all refused alike.
    """
    now = now or datetime.now(UTC)
    check_not_locked(customer, now)
    used = session.execute(
        update(PinTicket)
        .where(
            PinTicket.ticket_hash == hash_token(ticket),
            PinTicket.customer_id == customer.id,
            PinTicket.used_at.is_(None),
            PinTicket.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise CommerceError(
            "pin-ticket-invalid",
            "That PIN ticket is not valid (used, expired or not yours); say the PIN again.",
            403,
        )
