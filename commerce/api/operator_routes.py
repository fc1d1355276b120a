"""Operator endpoints: what the service's operator (the assistant that started it) may do with
the operator token the service was given (``COMMERCE_OPERATOR_TOKEN``). Without one configured
every call is refused."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from commerce.api import schemas
from commerce.api.deps import State
from commerce.errors import CommerceError
from commerce.models import Product
from commerce.services import auth, privacy, products
from commerce.services.common import product_dict

operator_bearer = HTTPBearer(
    auto_error=False, scheme_name="OperatorToken", description="The service operator's token"
)


def operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(operator_bearer)],
) -> None:
    """Refuse unless the request carries the configured operator token (compared in constant
    time); with none configured, refuse everything."""
    expected: str | None = request.app.state.operator_token
    given = credentials.credentials if credentials is not None else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CommerceError("auth-invalid", "The operator token is not valid.", 401)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (401, 404, 409, 422)
}
router = APIRouter(
    prefix="/v1/operator", tags=["operator"], dependencies=[Depends(operator)], responses=ERRORS
)


@router.post("/customer-tokens", response_model=schemas.CustomerToken, status_code=201)
def customer_token(app: State, body: schemas.CustomerTokenRequest) -> dict[str, Any]:
    """A new API token for a customer (handle, loyalty number or id) for one conversation of
    the assistant; it expires after ``ttl_seconds`` (never without). `404 customer-not-found`."""
    expires_at = (
        datetime.now(UTC) + timedelta(seconds=body.ttl_seconds) if body.ttl_seconds else None
    )
    with app.db.session(write=True) as session:
        who = auth.find_customer(session, body.customer)
        token = auth.mint_token(session, who, expires_at=expires_at)
    return {
        "customer_token": token,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }


SkuPath = Annotated[str, Path(min_length=1, max_length=20)]
StorePath = Annotated[str, Path(min_length=1, max_length=40)]

# Catalog edits. Prices and stock are read live by every search; a change to a product's words
# is patched into this process's search index after the commit (``editing``: other service
# processes see the catalog version move and rebuild in the background).


@router.post("/products", response_model=schemas.ProductOut, status_code=201)
def add_product(app: State, body: schemas.NewProduct) -> dict[str, Any]:
    """A new product, found by search at once. `409 sku-taken`."""
    with app.search.editing() as session:
        product_id = products.add_product(session, **body.model_dump()).id
    with app.db.session() as session:
        return product_dict(session.get_one(Product, product_id))


@router.patch("/products/{sku}", response_model=schemas.ProductOut)
def change_product(app: State, sku: SkuPath, body: schemas.ProductChange) -> dict[str, Any]:
    """Change a product's price, aisle, words or pack size. `404 product-not-found`."""
    changes = body.model_dump(exclude_none=True)
    with app.search.editing() as session:
        product_id = products.update_product(session, sku, **changes).id
    with app.db.session() as session:
        return product_dict(session.get_one(Product, product_id))


@router.delete("/products/{sku}", status_code=204)
def remove_product(app: State, sku: SkuPath) -> Response:
    """Take a product off the catalog. `404 product-not-found`, `409 product-ordered`."""
    with app.search.editing() as session:
        products.remove_product(session, sku)
    return Response(status_code=204)


@router.put("/stores/{store_id}/stock/{sku}", response_model=schemas.StockLevel)
def set_stock(app: State, store_id: StorePath, sku: SkuPath, body: schemas.StockLevel) -> Any:
    """Units of a product on a store's shelf. `404 store-not-found`, `product-not-found`."""
    with app.db.session(write=True) as session:
        return {"quantity": products.set_stock(session, store_id, sku, body.quantity)}


# Customers erased through DELETE /v1/me: their conversations and gateway sessions are the
# assistant's to erase (this service reaches neither); its gateways read and mark these.


@router.get("/erasures", response_model=schemas.Erasures)
def erasures(app: State, after: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Erasure requests after id `after`, oldest first: pending, or done within the hour."""
    return {"erasures": privacy.erasures(app.db, after)}


@router.post("/erasures/{request_id}/done", response_model=schemas.Erasure)
def erasure_done(app: State, request_id: Annotated[int, Path(ge=1)]) -> dict[str, Any]:
    """The conversations and sessions of the request's subject are erased. `404
    erasure-not-found`."""
    return privacy.erasure_done(app.db, request_id)
