"""Public endpoints: products, stores, stock, pickup slots, recipes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy import text

from commerce.api import schemas
from commerce.api.deps import State
from commerce.services import pickups, recipes, stores
from commerce.services.common import get_product, get_store, product_dict
from commerce.services.resolve import resolve
from commerce.services.vocabulary import catalog_vocabulary
from commerce.services.when import find_slot

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse} for code in (400, 404, 422)
}
router = APIRouter(prefix="/v1", responses=ERRORS)

StorePath = Annotated[str, Path(min_length=1, max_length=40)]
SkuPath = Annotated[str, Path(min_length=1, max_length=20)]
HasSku = Annotated[
    str | None,
    Query(min_length=1, max_length=20, description="only the stores that have it in stock"),
]


@router.get("/health", tags=["service"])
def health(app: State) -> dict[str, str]:
    with app.db.session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/catalog/vocabulary", response_model=schemas.VocabularyResponse, tags=["catalog"])
def vocabulary(app: State) -> Any:
    """Every product, brand, recipe and store name a customer may say, and how each generic
    item is measured: what the speech recogniser and the NLU lookup tables are built from."""
    with app.db.session() as session:
        return catalog_vocabulary(session)


@router.get("/products/search", response_model=schemas.SearchResponse, tags=["catalog"])
def search_products(
    app: State,
    q: Annotated[str, Query(min_length=1, max_length=200, description="what the customer said")],
    store_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Products for a spoken query, best first; `in_stock` is at `store_id` when given."""
    with app.db.session() as session:
        results = app.search.search(session, q, store_id, limit)
    return {"query": q, "store_id": store_id, "results": results}


@router.get("/products/resolve", response_model=schemas.ResolveResponse, tags=["catalog"])
def resolve_item(
    app: State,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, description="one item as said: 'two loaves of bread'"),
    ],
    store_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    """Products for one spoken basket item, best first, each with the `packs` to buy.

    `quantity` is what was said: `packs` with a container word ("two loaves"), `amount` and
    `unit` for a volume or mass ("two litres" -> 2000 ml) or a count of items ("a dozen" ->
    12 each). `422 quantity-out-of-range` for nothing ("zero eggs") or over 99 packs.
    """
    with app.db.session() as session:
        return resolve(app.search, session, q, store_id, limit)


@router.get("/products/{sku}", response_model=schemas.ProductOut, tags=["catalog"])
def product(app: State, sku: SkuPath) -> dict[str, Any]:
    with app.db.session() as session:
        return product_dict(get_product(session, sku))


@router.get("/stores", response_model=schemas.StoresResponse, tags=["stores"])
def list_stores(
    app: State,
    q: Annotated[
        str | None, Query(max_length=200, description="a spoken store name: 'the old town store'")
    ] = None,
    near: Annotated[
        str | None,
        Query(max_length=60, description="'latitude,longitude': nearest first, with distance_km"),
    ] = None,
    has_sku: HasSku = None,
) -> dict[str, Any]:
    """All stores, or with `q` only the stores it names, best first (none for no match); with
    `near` all stores by distance from that point, nearest first (`422 invalid-request` for a
    point that is not one); with `has_sku` only the stores that have that product on the
    shelf, each with its `stock` (`404 product-not-found`)."""
    with app.db.session() as session:
        if has_sku is not None:
            point = stores.parse_point(near) if near is not None else None
            return stores.stores_with_stock(session, has_sku, point)
        if near is not None:
            return {"stores": stores.stores_near(session, stores.parse_point(near))}
        return {"stores": stores.stores(session, q)}


@router.get("/stores/{store_id}", response_model=schemas.StoreOut, tags=["stores"])
def one_store(app: State, store_id: StorePath) -> dict[str, Any]:
    with app.db.session() as session:
        return stores.store_dict(get_store(session, store_id))


@router.get("/stores/{store_id}/stock/{sku}", response_model=schemas.StockResponse, tags=["stores"])
def stock(app: State, store_id: StorePath, sku: SkuPath) -> dict[str, Any]:
    with app.db.session() as session:
        return stores.stock_of(session, store_id, sku)


@router.get(
    "/stores/{store_id}/pickup-slots", response_model=schemas.SlotsResponse, tags=["pickup"]
)
def pickup_slots(
    app: State,
    store_id: StorePath,
    date: Annotated[dt.date, Query(description="the store's local date, YYYY-MM-DD")],
) -> dict[str, Any]:
    """Slots on a day that have not started; created on first request for far-ahead days."""
    with app.db.session() as session:
        store = get_store(session, store_id)
        pickups.check_day(store, date)
        missing = not pickups.has_slots(session, store, date)
    if missing:
        with app.db.session(write=True) as session:
            pickups.ensure_slots(session, get_store(session, store_id), date)
    with app.db.session() as session:
        return pickups.list_slots(session, store_id, date)


@router.get(
    "/stores/{store_id}/pickup-slots/find",
    response_model=schemas.FindSlotResponse,
    tags=["pickup"],
)
def find_pickup_slot(
    app: State,
    store_id: StorePath,
    when: Annotated[
        str,
        Query(min_length=1, max_length=200, description="as said: 'tomorrow at five'"),
    ],
) -> dict[str, Any]:
    """The free slot for a spoken time or window, in the store's time zone, and alternatives.

    `400 when-not-understood`, `date-in-past`, `date-out-of-range`, `store-closed` (a day
    every store is closed, such as Christmas Day: `holiday` names it); `404 store-not-found`.
    """
    return find_slot(app.db, store_id, when)


RecipeQuery = Annotated[str | None, Query(max_length=200)]
MealQuery = Annotated[str | None, Query(max_length=20)]
DietQuery = Annotated[
    list[Literal["vegan", "vegetarian", "gluten-free"]],
    Query(max_length=3, description="diets every recipe must suit (repeat the parameter)"),
]
QuickQuery = Annotated[bool, Query(description="30 minutes at most, or tagged quick")]
LimitQuery = Annotated[int, Query(ge=1, le=50)]


@router.get("/recipes", response_model=schemas.RecipesResponse, tags=["recipes"])
def list_recipes(
    app: State,
    q: RecipeQuery = None,
    meal: MealQuery = None,
    diet: DietQuery = [],  # noqa: B006 - FastAPI copies the default
    quick: QuickQuery = False,
    limit: LimitQuery = 10,
) -> dict[str, Any]:
    """Recipes by spoken name and/or meal (breakfast, lunch, dinner, dessert, snack), best
    fit first: diet words and "quick" in `q` ("a quick vegan curry") or in `diet` / `quick`
    filter; the name match, then the cooking time rank (`/v1/me/recipes` also ranks by what
    the customer buys)."""
    with app.db.session() as session:
        return {"recipes": recipes.search(session, q, meal, limit, diet, quick)}


@router.get("/recipes/{recipe}", response_model=schemas.RecipeOut, tags=["recipes"])
def one_recipe(app: State, recipe: Annotated[str, Path(max_length=60)]) -> dict[str, Any]:
    with app.db.session() as session:
        return recipes.recipe_dict(recipes.get_recipe(session, recipe))
