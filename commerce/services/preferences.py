"""A customer's settings: ``hints`` (suggestions offered unasked, on unless turned off)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from commerce.models import Customer
from commerce.tables_stores import CustomerSettings

DEFAULTS: dict[str, Any] = {"hints": True}


def settings_of(session: Session, customer: Customer) -> dict[str, Any]:
    row = session.get(CustomerSettings, customer.id)
    return {"hints": row.hints} if row is not None else dict(DEFAULTS)


def change_settings(
    session: Session, customer: Customer, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply the settings given (the others stay) and return them all."""
    row = session.get(CustomerSettings, customer.id)
    if row is None:
        row = CustomerSettings(customer_id=customer.id, hints=DEFAULTS["hints"])
        session.add(row)
    if changes.get("hints") is not None:
        row.hints = bool(changes["hints"])
    session.flush()
    return {"hints": row.hints}
