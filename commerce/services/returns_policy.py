"""Whether part of an order line may come back, and what it refunds: the return policy.

A return is refused, with a code a caller can act on, when the order was cancelled
(``order-cancelled``) or not collected yet (``order-not-collected``: cancel it instead), the
line has come back already (``already-returned``), more would come back than was bought
(``return-more-than-bought``, with what may still come back), the window has closed
(``return-window-closed``: ``window_days`` from collection, on the service's clock) or a
perishable comes back for no fault (``return-perishable``: fresh food only when damaged or
the wrong item). The refund is what was paid for those packs, in pence, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from commerce.errors import CommerceError
from commerce.models import Order, OrderLine

REASONS = ("damaged", "wrong-item", "changed-mind")
FAULTS = frozenset({"damaged", "wrong-item"})
REFUND_TO = ("payment", "points")


@dataclass(frozen=True)
class ReturnPolicy:
    window_days: int = 30
    # departments whose goods cannot go back on the shelf: they come back only when faulty
    perishable: frozenset[str] = field(
        default_factory=lambda: frozenset({"produce", "dairy", "bakery", "meat & fish", "frozen"})
    )

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 365:
            raise ValueError("a return window is 1 to 365 days")


POLICY = ReturnPolicy()


def collected_at(order: Order) -> datetime:
    """When the goods left the store: the pickup time (the order's time without one)."""
    return order.pickup_start or order.created_at


def refund_cents(line: OrderLine, quantity: int) -> int:
    """What ``quantity`` packs of ``line`` refund: what was paid for them, in pence.

    (Discounts on an order line, once orders carry them, come off here, in proportion.)"""
    return int(Decimal(line.unit_price_cents) * quantity)


def check(
    order: Order,
    line: OrderLine,
    quantity: int,
    reason: str,
    returned: int,
    now: datetime,
    policy: ReturnPolicy = POLICY,
) -> int:
    """The refund in pence for returning ``quantity`` of ``line`` for ``reason``, when the
    policy allows it (``returned``: packs of the line already authorised); else the refusal."""
    if order.status == "cancelled":
        raise CommerceError("order-cancelled", f"Order {order.id} was cancelled.", 409)
    if order.status != "collected" and (order.pickup_start is None or now < order.pickup_start):
        raise CommerceError(
            "order-not-collected",
            f"Order {order.id} has not been collected yet: cancel it instead.",
            409,
        )
    left = line.quantity - returned
    if left <= 0:
        raise CommerceError(
            "already-returned", f"{line.product.name} from order {order.id} is back already.", 409
        )
    if quantity > left:
        raise CommerceError(
            "return-more-than-bought",
            f"Only {left} of {line.product.name} can come back.",
            409,
            {"returnable": left},
        )
    ends = collected_at(order) + timedelta(days=policy.window_days)
    if now > ends:
        raise CommerceError(
            "return-window-closed",
            f"Returns close {policy.window_days} days after collection.",
            409,
            {"window_days": policy.window_days, "closed_at": ends.isoformat()},
        )
    if line.product.department in policy.perishable and reason not in FAULTS:
        raise CommerceError(
            "return-perishable",
            f"{line.product.name} can come back only if it was damaged or the wrong item.",
            409,
        )
    return refund_cents(line, quantity)
