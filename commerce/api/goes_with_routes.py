"""Goes well with (`GET /v1/products/{sku}/bought-together`) and the customer's settings
(`GET|PATCH /v1/me/settings`: `hints`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from commerce.api import schemas
from commerce.api.deps import CustomerId, State
from commerce.api.schemas import goes_with
from commerce.models import Customer
from commerce.services import preferences
from commerce.services.bought_together import bought_together

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (400, 401, 404, 422)
}
router = APIRouter(prefix="/v1", responses=ERRORS)


@router.get(
    "/products/{sku}/bought-together",
    response_model=goes_with.BoughtTogetherResponse,
    tags=["catalog"],
)
def products_bought_together(
    app: State,
    sku: Annotated[str, Path(min_length=1, max_length=20)],
    store_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> Any:
    """What goes well with a product, from every customer's orders: products bought in the
    same orders more often than by chance (`lift`), in orders of two customers or more, best
    first; `in_stock` at `store_id` when given. A new order counts at once."""
    with app.db.session() as session:
        return bought_together(session, sku, store_id, limit)


@router.get("/me/settings", response_model=goes_with.SettingsOut, tags=["customer"])
def my_settings(app: State, customer_id: CustomerId) -> Any:
    with app.db.session() as session:
        return preferences.settings_of(session, session.get_one(Customer, customer_id))


@router.patch("/me/settings", response_model=goes_with.SettingsOut, tags=["customer"])
def change_my_settings(app: State, customer_id: CustomerId, body: goes_with.SettingsChange) -> Any:
    """Change the settings given; `hints: false` stops suggestions offered unasked."""
    with app.db.session(write=True) as session:
        customer = session.get_one(Customer, customer_id)
        return preferences.change_settings(session, customer, body.model_dump())
