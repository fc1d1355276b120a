"""Deals at a store (`/v1/stores/{id}/deals`) and the customer's loyalty (`/v1/me/loyalty`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from commerce.api import schemas
from commerce.api.deps import CustomerId, State
from commerce.models import Customer, Product
from commerce.services import deals, loyalty

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (400, 401, 404, 422)
}
router = APIRouter(prefix="/v1", responses=ERRORS)

# How a query must find a product for its deals to count: by a word of what it is, never
# only by its brand, department or a guessed word ("deals on coffee" is not coffee mugs' aisle).
NAMED = ("name", "synonym", "category")
QUERY_HITS = 200


@router.get("/stores/{store_id}/deals", response_model=schemas.DealsResponse, tags=["catalog"])
def store_deals(
    app: State,
    store_id: Annotated[str, Path(min_length=1, max_length=40)],
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="a product said")
    ] = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    """The store's deals valid now: percentage off, multi-buy ("3 for 2") and member prices;
    with `q`, only those on the products it names ("coffee", "cheddar"); with `sku`, on that
    product."""
    with app.db.session() as session:
        product_ids: list[int] | None = None
        if q is not None:
            hits = app.search.index().search(q, limit=QUERY_HITS)
            product_ids = [hit.product_id for hit in hits if hit.match in NAMED]
        if sku is not None:
            product = session.scalar(select(Product).where(Product.sku == sku))
            wanted = [] if product is None else [product.id]
            product_ids = wanted if product_ids is None else [i for i in product_ids if i in wanted]
        found = deals.store_deals(session, store_id, product_ids, limit=limit)
    return {"store_id": store_id, "query": q, "deals": found}


@router.get("/me/loyalty", response_model=schemas.LoyaltyOut, tags=["customer"])
def my_loyalty(app: State, customer_id: CustomerId) -> dict[str, Any]:
    """Points (online orders and in-store receipts alike), what they are worth, the tier, the
    latest changes. Spend them with `use_points` in a quote."""
    with app.db.session() as session:
        return loyalty.summary(session, session.get_one(Customer, customer_id))
