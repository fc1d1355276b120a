"""Returns in store and feedback: the customer's under /v1/me; the staff's (with the operator
token, as every /v1/operator route) at the store desk and over the feedback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from commerce.api import schemas
from commerce.api.deps import CustomerId, State
from commerce.api.operator_routes import operator
from commerce.api.schemas import returns as bodies
from commerce.models import Customer
from commerce.services import feedback, returns

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (400, 401, 404, 409, 422)
}
router = APIRouter(prefix="/v1/me", responses=ERRORS, tags=["customer"])
staff = APIRouter(tags=["staff"], dependencies=[Depends(operator)], responses=ERRORS)

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)]


def _request(body: bodies.ReturnRequest) -> returns.ReturnRequest:
    return returns.ReturnRequest(
        body.order_id, body.sku, body.quantity, body.reason, body.refund_to
    )


@router.post("/returns/check", response_model=bodies.ReturnCheck)
def check_return(app: State, customer_id: CustomerId, body: bodies.ReturnRequest) -> Any:
    """What returning part of an order line would refund, and where it goes back (the next
    pickup, when one is booked), or why it cannot: changes nothing."""
    with app.db.session() as session:
        return returns.assess(session, session.get_one(Customer, customer_id), _request(body))


@router.post("/returns", response_model=bodies.ReturnOut, status_code=201)
def make_return(
    app: State,
    customer_id: CustomerId,
    body: bodies.ReturnRequest,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A return authorisation with a short `code` to show at the store's pickup desk,
    attached to the next pickup when one is booked; once per `Idempotency-Key` (a repeat
    answers 200 with the same return). Refused: `order-cancelled`, `order-not-collected`,
    `already-returned`, `return-more-than-bought` (`returnable`), `return-window-closed`,
    `return-perishable` (fresh food only when damaged or the wrong item) (409)."""
    made, created = returns.create(app.db, customer_id, _request(body), idempotency_key or "")
    if not created:
        response.status_code = 200
    return made


@router.get("/returns", response_model=bodies.ReturnsResponse)
def my_returns(
    app: State, customer_id: CustomerId, limit: Annotated[int, Query(ge=1, le=50)] = 20
) -> Any:
    with app.db.session() as session:
        found = returns.mine(session, session.get_one(Customer, customer_id), limit)
        return {"returns": [returns.return_dict(session, r) for r in found]}


@router.post("/feedback", response_model=bodies.FeedbackOut, status_code=201)
def tell_the_shop(app: State, customer_id: CustomerId, body: bodies.FeedbackRequest) -> Any:
    """Tell the shop something: about a store (`store_id`), a product bought (`sku`: its
    latest order line) or anything; category and sentiment are read from the words when not
    given."""
    with app.db.session(write=True) as session:
        made = feedback.add(
            session,
            session.get_one(Customer, customer_id),
            body.text,
            store_id=body.store_id,
            sku=body.sku,
            category=body.category,
            sentiment=body.sentiment,
        )
        return feedback.feedback_dict(session, made)


@staff.get("/v1/feedback", response_model=bodies.StaffFeedbackResponse)
def staff_feedback(
    app: State,
    store_id: Annotated[str | None, Query(max_length=40)] = None,
    category: bodies.Category | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """What customers told the shop, newest first (the staff's operator token)."""
    with app.db.session() as session:
        found = feedback.for_staff(session, store_id, category, limit)
        return {"feedback": [feedback.feedback_dict(session, f, staff=True) for f in found]}


@staff.post("/v1/operator/returns/{code}/received", response_model=bodies.ReturnOut)
def return_received(app: State, code: Annotated[str, Path(min_length=4, max_length=8)]) -> Any:
    """The pickup desk took the goods of return `code` back: the refund is issued (to the
    original payment; points through the loyalty hook). `409 return-already-received`."""
    with app.db.session(write=True) as session:
        return returns.return_dict(session, returns.receive(session, code))
