"""What customers tell the shop: kept against the customer and, where they said one, a store
or an order line, with a category and a sentiment (given, or read from the words), and read by
the shop's staff. The words may hold personal data: they are never logged, are in the
customer's export and go when the customer is erased (``services/privacy.py``)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.models import Customer, Order, OrderLine
from commerce.services.common import get_product, get_store
from commerce.tables_returns import Feedback

CATEGORIES = ("product-quality", "staff", "store", "delivery-pickup", "other")
SENTIMENTS = ("positive", "negative", "neutral")

# Words that say what the feedback is about, first match wins (a product named makes it
# product quality when no other word says otherwise).
CATEGORY_WORDS = {
    "staff": r"staff|cashier|assistant|team|employee|people|person|colleague|manager|"
    r"served|helpful|rude|friendly",
    "delivery-pickup": r"pick ?up|pickup|collect(ion|ed|ing)?|slot|waited|waiting|queue|late|"
    r"on time|delivery|delivered|desk",
    "store": r"store|shop|aisle|shelves|shelf|car ?park|parking|toilets?|clean|dirty|tidy|"
    r"messy|trolley|music|layout",
    "product-quality": r"fresh|stale|rotten|mouldy|moldy|off|bruised|tasted|taste|quality|"
    r"expired|out of date|broken|leaking|squashed|ripe|overripe",
}
POSITIVE = (
    r"great|good|lovely|excellent|brilliant|fantastic|amazing|helpful|friendly|kind|fresh|"
    r"perfect|love|loved|nice|quick|clean|happy|thank|thanks|best|wonderful|superb|polite"
)
NEGATIVE = (
    r"bad|awful|terrible|horrible|rude|stale|rotten|mouldy|moldy|off|bruised|broken|dirty|"
    r"slow|late|poor|disappointed|disappointing|unhelpful|messy|worst|cold|leaking|squashed|"
    r"expired|out of date|wrong|missing|never|not|no|didn't|wasn't|weren't|overripe|long|"
    r"waited|waiting"
)
MAX_TEXT = 500


def _has(pattern: str, text: str) -> bool:
    return re.search(rf"\b(?:{pattern})\b", text) is not None


def classify(text: str, product_named: bool = False) -> tuple[str, str]:
    """(category, sentiment) read from the words: "the bananas were bad" is product quality,
    negative; "the staff at riverside were great" is staff, positive."""
    words = text.lower()
    category = next((c for c, pattern in CATEGORY_WORDS.items() if _has(pattern, words)), None)
    if category is None or (product_named and category == "store"):
        category = "product-quality" if product_named else (category or "other")
    good, bad = _has(POSITIVE, words), _has(NEGATIVE, words)
    if good and _has(r"not|never|wasn't|weren't|isn't|didn't", words):
        good = False  # "not fresh", "wasn't helpful"
        bad = True
    sentiment = "positive" if good and not bad else "negative" if bad else "neutral"
    return category, sentiment


def _latest_line(session: Session, customer: Customer, sku: str) -> OrderLine:
    """The customer's most recent order line of ``sku`` (404 when they never bought it)."""
    product = get_product(session, sku)
    line = session.scalar(
        select(OrderLine)
        .join(Order, OrderLine.order_id == Order.id)
        .where(Order.customer_id == customer.id, OrderLine.product_id == product.id)
        .order_by(Order.created_at.desc(), OrderLine.id.desc())
        .limit(1)
    )
    if line is None:
        raise CommerceError("order-line-not-found", f"You have not bought {sku}.", 404)
    return line


def add(
    session: Session,
    customer: Customer,
    text: str,
    *,
    store_id: str | None = None,
    sku: str | None = None,
    category: str | None = None,
    sentiment: str | None = None,
) -> Feedback:
    """Keep what the customer said; ``sku``: a product they bought (the feedback is about its
    latest order line); a category or sentiment not given is read from the words."""
    said = " ".join(text.split())[:MAX_TEXT]
    if not said:
        raise CommerceError("feedback-empty", "Say what you would like to tell the shop.", 422)
    line = _latest_line(session, customer, sku) if sku else None
    if store_id is not None:
        get_store(session, store_id)
    read_category, read_sentiment = classify(said, product_named=line is not None)
    made = Feedback(
        customer_id=customer.id,
        text=said,
        category=category or read_category,
        sentiment=sentiment or read_sentiment,
        store_id=store_id,
        order_line_id=line.id if line else None,
    )
    session.add(made)
    session.flush()
    return made


def of_customer(session: Session, customer: Customer) -> list[Feedback]:
    return list(
        session.scalars(
            select(Feedback).where(Feedback.customer_id == customer.id).order_by(Feedback.id)
        )
    )


def for_staff(
    session: Session,
    store_id: str | None = None,
    category: str | None = None,
    limit: int = 50,
) -> list[Feedback]:
    """Newest first; a store's own, or of a category, when asked."""
    query = select(Feedback).order_by(Feedback.created_at.desc(), Feedback.id.desc())
    if store_id is not None:
        query = query.where(Feedback.store_id == store_id)
    if category is not None:
        query = query.where(Feedback.category == category)
    return list(session.scalars(query.limit(limit)))


def feedback_dict(session: Session, made: Feedback, staff: bool = False) -> dict[str, Any]:
    """One piece of feedback; for staff with the customer's handle (to follow it up)."""
    line = session.get(OrderLine, made.order_line_id) if made.order_line_id else None
    body: dict[str, Any] = {
        "feedback_id": made.id,
        "text": made.text,
        "category": made.category,
        "sentiment": made.sentiment,
        "store_id": made.store_id,
        "sku": line.product.sku if line else None,
        "product_name": line.product.name if line else None,
        "order_id": line.order_id if line else None,
        "created_at": made.created_at.isoformat(),
    }
    if staff:
        body["customer"] = session.get_one(Customer, made.customer_id).handle
    return body
