"""Customer endpoints under /v1/me: each sees and changes only its own customer's data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.security import HTTPAuthorizationCredentials
from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from commerce.api import schemas
from commerce.api.catalog_routes import (
    DietQuery,
    HasSku,
    LimitQuery,
    MealQuery,
    QuickQuery,
    RecipeQuery,
)
from commerce.api.deps import CustomerId, PinVerified, State, bearer
from commerce.models import Customer
from commerce.services import auth, basket, orders, pickups, recipes, reorder, stores
from commerce.services.common import product_dict

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (400, 401, 403, 404, 409, 410, 422, 423)
}
router = APIRouter(prefix="/v1/me", responses=ERRORS, tags=["customer"])

SkuPath = Annotated[str, Path(min_length=1, max_length=20)]
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
StoreQuery = Annotated[str | None, Query(max_length=40)]


def _me(session: Session, customer_id: int) -> Customer:
    return session.get_one(Customer, customer_id)


@router.get("", response_model=schemas.CustomerOut)
def me(app: State, customer_id: CustomerId) -> dict[str, Any]:
    with app.db.session() as session:
        customer = _me(session, customer_id)
        return {
            "handle": customer.handle,
            "name": customer.name,
            "home_store_id": customer.home_store_id,
            "has_pin": customer.pin_hash is not None,
            "subject": customer.subject,
        }


@router.post("/pin/verify", response_model=schemas.PinResult)
def verify_pin(app: State, customer_id: CustomerId, body: schemas.PinCheck) -> dict[str, Any]:
    """Check a voice PIN (failures count towards the lock: 5 free, then 1, 2, 4 … at most
    15 minutes, during which this answers `423 pin-locked`).

    When right, `ticket` is a single-use PIN ticket, valid for 5 minutes, that
    `POST /v1/me/orders` takes as `pin_ticket`, so the PIN itself need not travel further.
    """
    with app.db.session(write=True) as session:
        customer = _me(session, customer_id)
        if not auth.pin_verified(customer, body.pin):
            return {"verified": False, "ticket": None}
        return {"verified": True, "ticket": auth.issue_ticket(session, customer)}


# --- basket --------------------------------------------------------------------------------


@router.get("/basket", response_model=schemas.BasketResponse)
def get_basket(app: State, customer_id: CustomerId, store_id: StoreQuery = None) -> Any:
    with app.db.session() as session:
        return basket.view(session, _me(session, customer_id), store_id)


@router.post("/basket/items", response_model=schemas.BasketResponse, status_code=201)
def add_item(app: State, customer_id: CustomerId, body: schemas.AddItem) -> Any:
    with app.db.session(write=True) as session:
        customer = _me(session, customer_id)
        basket.add(session, customer, body.sku, body.quantity)
        return basket.view(session, customer)


@router.patch("/basket/items/{sku}", response_model=schemas.BasketResponse)
def change_item(app: State, customer_id: CustomerId, sku: SkuPath, body: schemas.ChangeItem) -> Any:
    with app.db.session(write=True) as session:
        customer = _me(session, customer_id)
        basket.change(session, customer, sku, body.quantity)
        return basket.view(session, customer)


@router.delete("/basket/items/{sku}", response_model=schemas.BasketResponse)
def remove_item(app: State, customer_id: CustomerId, sku: SkuPath) -> Any:
    with app.db.session(write=True) as session:
        customer = _me(session, customer_id)
        basket.remove(session, customer, sku)
        return basket.view(session, customer)


@router.delete("/basket", response_model=schemas.BasketResponse)
def clear_basket(app: State, customer_id: CustomerId) -> Any:
    with app.db.session(write=True) as session:
        customer = _me(session, customer_id)
        basket.clear(session, customer)
        return basket.view(session, customer)


@router.post("/basket/recipe", response_model=schemas.RecipeBasketResponse)
def recipe_to_basket(app: State, customer_id: CustomerId, body: schemas.RecipeToBasket) -> Any:
    """Add a recipe's ingredients scaled to servings, skipping what the customer has."""
    with app.db.session(write=True) as session:
        return recipes.add_to_basket(
            session,
            _me(session, customer_id),
            body.recipe,
            body.servings,
            body.have,
            body.store_id,
            body.include_pantry,
        )


# --- buy again -----------------------------------------------------------------------------


@router.get("/recipes", response_model=schemas.RecipesResponse)
def my_recipes(
    app: State,
    customer_id: CustomerId,
    q: RecipeQuery = None,
    meal: MealQuery = None,
    diet: DietQuery = [],  # noqa: B006 - FastAPI copies the default
    quick: QuickQuery = False,
    limit: LimitQuery = 10,
) -> Any:
    """`GET /v1/recipes`, also ranked by the share of each recipe's shopping (its ingredients
    besides pantry staples) this customer already buys (`bought_share`)."""
    with app.db.session() as session:
        customer = _me(session, customer_id)
        return {"recipes": recipes.search(session, q, meal, limit, diet, quick, customer)}


@router.get("/stores/nearest", response_model=schemas.NearestStoresResponse)
def my_nearest_stores(app: State, customer_id: CustomerId, has_sku: HasSku = None) -> Any:
    """Every store by distance from the customer's home, nearest first (from the home store
    when the account has no home address); the home point itself is never sent. With
    `has_sku` only the stores that have that product on the shelf, each with its `stock`."""
    with app.db.session() as session:
        if has_sku is not None:
            return stores.stores_with_stock(session, has_sku, customer=_me(session, customer_id))
        return stores.stores_near_customer(session, _me(session, customer_id))


@router.get("/usual", response_model=schemas.UsualResponse)
def my_usual(app: State, customer_id: CustomerId) -> Any:
    """What this customer buys regularly, with the usual quantity."""
    with app.db.session() as session:
        items = reorder.usual(session, _me(session, customer_id))
        return {
            "items": [
                {**product_dict(p), "quantity": q, "share": round(share, 2)}
                for p, q, share in items
            ]
        }


@router.get("/purchases", response_model=schemas.PurchasesResponse)
def my_purchases(
    app: State,
    customer_id: CustomerId,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Any:
    """Products bought before, most often first; `q` narrows to ones like "the coffee"."""
    with app.db.session() as session:
        bought = reorder.purchases(session, _me(session, customer_id))
    if q and q.strip():
        choices = [f"{p['name']} {p['brand']} {p['category']}" for p in bought]
        ranked = process.extract(
            q, choices, scorer=fuzz.WRatio, processor=str.lower, limit=limit, score_cutoff=70
        )
        bought = [bought[index] for _, _, index in ranked]
    return {"purchases": bought[:limit]}


@router.post("/reorder", response_model=schemas.ReorderResponse)
def reorder_items(app: State, customer_id: CustomerId, body: schemas.ReorderRequest) -> Any:
    """Put the last order or the usual items into the basket; substitutes for what is out."""
    with app.db.session(write=True) as session:
        return reorder.reorder(
            session, _me(session, customer_id), body.source, body.store_id, body.skus
        )


# --- pickups -------------------------------------------------------------------------------


@router.get("/pickups", response_model=schemas.BookingsResponse)
def my_pickups(app: State, customer_id: CustomerId) -> Any:
    with app.db.session() as session:
        found = pickups.bookings(session, _me(session, customer_id))
        return {"bookings": [pickups.booking_dict(session, b) for b in found]}


@router.post("/pickups", response_model=schemas.BookingOut, status_code=201)
def book_pickup(app: State, customer_id: CustomerId, body: schemas.BookPickup) -> Any:
    """Book a slot; `409 slot-full` lists the nearest free slots as `alternatives`."""
    with app.db.session(write=True) as session:
        booking = pickups.book(session, _me(session, customer_id), body.slot_id)
        return pickups.booking_dict(session, booking)


@router.patch("/pickups/{booking_id}", response_model=schemas.BookingOut)
def reschedule_pickup(
    app: State, customer_id: CustomerId, booking_id: IdPath, body: schemas.BookPickup
) -> Any:
    with app.db.session(write=True) as session:
        booking = pickups.reschedule(session, _me(session, customer_id), booking_id, body.slot_id)
        return pickups.booking_dict(session, booking)


@router.delete("/pickups/{booking_id}", response_model=schemas.BookingOut)
def cancel_pickup(app: State, customer_id: CustomerId, booking_id: IdPath) -> Any:
    with app.db.session(write=True) as session:
        booking = pickups.cancel(session, _me(session, customer_id), booking_id)
        return pickups.booking_dict(session, booking)


# --- checkout and orders -------------------------------------------------------------------


@router.post("/checkout/quote", response_model=schemas.QuoteResponse, status_code=201)
def quote(
    app: State, customer_id: CustomerId, pin_verified: PinVerified, body: schemas.QuoteRequest
) -> Any:
    """Price the basket for a pickup; the quote expires (see `expires_at`). `pin_required`
    is false for a customer without a PIN, and for a kiosk token issued after a PIN sign-in.
    The store's deals apply (`savings`, one deal per line: the biggest); `use_points` spends
    the loyalty points on what is left (`points_used`), which the order then takes."""
    with app.db.session(write=True) as session:
        return orders.create_quote(
            session,
            _me(session, customer_id),
            body.store_id,
            body.slot_id,
            app.quote_ttl_seconds,
            pin_verified=pin_verified,
            use_points=body.use_points,
        )


@router.post("/orders", response_model=schemas.OrderOut, status_code=201)
def place_order(
    app: State,
    customer_id: CustomerId,
    pin_verified: PinVerified,
    body: schemas.PlaceOrder,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> Any:
    """Place the order for a quote, once: a repeat with the same key returns the same order.

    A customer with a PIN sends `pin`, or `pin_ticket` from `POST /v1/me/pin/verify`
    (`403 pin-ticket-invalid` when it is used, expired or another customer's); a kiosk token
    issued after a PIN sign-in needs neither for 15 minutes.
    """
    order, created = orders.place_order(
        app.db,
        customer_id,
        body.quote_id,
        idempotency_key or "",
        body.pin,
        pin_ticket=body.pin_ticket,
        pin_verified=pin_verified,
    )
    if not created:
        response.status_code = 200
    return order


@router.get("/orders", response_model=schemas.OrdersResponse)
def my_orders(
    app: State, customer_id: CustomerId, limit: Annotated[int, Query(ge=1, le=50)] = 20
) -> Any:
    with app.db.session() as session:
        found = orders.history(session, _me(session, customer_id), limit)
        return {"orders": [orders.order_dict(session, o) for o in found]}


@router.post("/orders/{order_id}/cancel", response_model=schemas.OrderOut)
def cancel_order(app: State, customer_id: CustomerId, order_id: IdPath) -> Any:
    """Cancel an order that is still being prepared (`409 order-not-cancellable` after)."""
    with app.db.session(write=True) as session:
        order = orders.cancel_order(session, _me(session, customer_id), order_id)
        return orders.order_dict(session, order)


@router.get("/orders/{order_id}", response_model=schemas.OrderOut)
def my_order(app: State, customer_id: CustomerId, order_id: IdPath) -> Any:
    with app.db.session() as session:
        return orders.order_dict(
            session, orders.get_order(session, _me(session, customer_id), order_id)
        )


# last: the fuzzer (tests/commerce/test_fuzz_api.py) meets it after every other /v1/me route
@router.delete("/token", response_model=schemas.SignedOut)
def sign_out(
    app: State,
    _customer_id: CustomerId,  # 401 unless the token works
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> dict[str, Any]:
    """Revoke the token this request came with (the end of a conversation)."""
    assert credentials is not None  # CustomerId refused a request without one
    with app.db.session(write=True) as session:
        return {"signed_out": auth.revoke_token(session, credentials.credentials)}
