"""Catalog updates without stalls: prices and stock never rebuild the search index, product
edits patch it in place, and a rebuild runs in the background while the old index answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from commerce.api.app import create_app
from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import CatalogState, OrderLine, Product
from commerce.search import SearchIndex
from commerce.services import products
from commerce.services.catalog import CatalogSearch, bump_version, search_doc
from tests.commerce.conftest import bearer

STORE = "riverside"
NEW = {
    "sku": "SNA-90001",
    "name": "Zorblax Crunch Bars",
    "brand": "Quarry Mill",
    "department": "snacks",
    "aisle": "snacks",
    "category": "cereal bar",
    "size": 6,
    "unit": "each",
    "price_cents": 249,
}


@pytest.fixture
def search(any_db: Database) -> CatalogSearch:
    built = CatalogSearch(any_db)
    built.index()  # the first search's build: every test starts from a serving index
    assert built.rebuilds == 1
    return built


def find(db: Database, search: CatalogSearch, q: str, limit: int = 5) -> list[dict]:
    with db.session() as session:
        return search.search(session, q, STORE, limit)


def skus(db: Database, search: CatalogSearch, q: str, limit: int = 5) -> list[str]:
    return [hit["sku"] for hit in find(db, search, q, limit)]


def version(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(CatalogState.version).where(CatalogState.id == 1)) or 0


def stale(search: CatalogSearch) -> None:
    """Make the next search check the catalog version now (not within the next 2 s)."""
    search._checked_at = 0.0


def test_a_price_change_shows_in_search_without_a_rebuild(
    any_db: Database, search: CatalogSearch
) -> None:
    first = find(any_db, search, "semi skimmed milk")[0]
    before = version(any_db)
    with any_db.session(write=True) as session:
        products.set_price(session, first["sku"], 1234)
    stale(search)
    again = find(any_db, search, "semi skimmed milk")[0]
    assert again["sku"] == first["sku"]
    assert again["price"] == 12.34
    assert version(any_db) == before
    assert search.rebuilds == 1
    assert search.patches == 0


def test_a_stock_change_shows_in_search_without_a_rebuild(
    any_db: Database, search: CatalogSearch
) -> None:
    first = find(any_db, search, "bananas")[0]
    with any_db.session(write=True) as session:
        products.set_stock(session, STORE, first["sku"], 0)
    stale(search)
    gone = next(hit for hit in find(any_db, search, "bananas") if hit["sku"] == first["sku"])
    assert gone["in_stock"] is False
    with any_db.session(write=True) as session:
        products.set_stock(session, STORE, first["sku"], 40)
    stale(search)
    back = next(hit for hit in find(any_db, search, "bananas") if hit["sku"] == first["sku"])
    assert back["in_stock"] is True
    assert search.rebuilds == 1


def test_a_price_edit_through_update_bumps_no_version(any_db: Database) -> None:
    with any_db.session() as session:
        sku = session.scalars(select(Product.sku).order_by(Product.id)).first() or ""
    before = version(any_db)
    with any_db.session(write=True) as session:
        products.update_product(session, sku, price_cents=99, aisle="end cap")
    assert version(any_db) == before
    with any_db.session(write=True) as session:
        products.update_product(session, sku, synonyms=["treat"])
    assert version(any_db) == before + 1


def add_new(search: CatalogSearch, **fields: object) -> int:
    with search.editing() as session:
        return products.add_product(session, **{**NEW, **fields}).id


def test_a_new_product_is_found_right_after_it_is_added(
    any_db: Database, search: CatalogSearch
) -> None:
    assert "SNA-90001" not in skus(any_db, search, "zorblax crunch bars")
    add_new(search)
    assert skus(any_db, search, "zorblax crunch bars")[0] == "SNA-90001"
    assert skus(any_db, search, "zorblacks")[0] == "SNA-90001"  # a recogniser's spelling
    stale(search)  # the version moved by our own change only: nothing to rebuild
    assert skus(any_db, search, "zorblax")[0] == "SNA-90001"
    search.wait_for_rebuild()
    assert search.rebuilds == 1
    assert search.patches == 1


def test_a_renamed_product_is_found_by_its_new_name_not_its_old(
    any_db: Database, search: CatalogSearch
) -> None:
    add_new(search)
    with search.editing() as session:
        products.update_product(session, "SNA-90001", name="Quintessa Oat Squares")
    assert skus(any_db, search, "quintessa oat squares")[0] == "SNA-90001"
    assert "SNA-90001" not in skus(any_db, search, "zorblax", 10)
    assert search.rebuilds == 1


def test_a_removed_product_is_gone(any_db: Database, search: CatalogSearch) -> None:
    product_id = add_new(search)
    with search.editing() as session:
        assert products.remove_product(session, "SNA-90001") == product_id
    assert "SNA-90001" not in skus(any_db, search, "zorblax crunch bars", 10)
    assert "SNA-90001" not in skus(any_db, search, "cereal bars", 60)
    assert search.rebuilds == 1


def test_a_product_on_an_order_cannot_be_removed(any_db: Database) -> None:
    with any_db.session() as session:
        ordered = session.scalars(select(OrderLine.product_id)).first()
        if ordered is None:
            pytest.fail("the seeded database has no orders")
        sku = session.get_one(Product, ordered).sku
    with pytest.raises(CommerceError) as err, any_db.session(write=True) as session:
        products.remove_product(session, sku)
    assert err.value.code == "product-ordered"


@pytest.fixture
def held_rebuild(search: CatalogSearch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """A background rebuild that stops, built, before it replaces the index, until released."""
    built, release = threading.Event(), threading.Event()

    def hold(_: SearchIndex) -> None:
        built.set()
        release.wait(30)

    search.before_swap = hold
    yield built, release
    release.set()
    search.wait_for_rebuild(30)


def test_searches_during_a_background_rebuild_answer_from_the_old_index(
    any_db: Database,
    search: CatalogSearch,
    held_rebuild: tuple[threading.Event, threading.Event],
) -> None:
    """Another process added a product (the version moved, this index was not patched)."""
    built, release = held_rebuild
    with any_db.session(write=True) as session:
        products.add_product(session, **NEW)
    old = search.index()
    stale(search)
    assert "SNA-90001" not in skus(any_db, search, "zorblax crunch bars")  # starts the rebuild
    assert built.wait(30), "the background rebuild did not finish building"
    assert search.index() is old  # built but not swapped in: the old index answers
    assert skus(any_db, search, "semi skimmed milk")  # and answers
    assert "SNA-90001" not in skus(any_db, search, "zorblax crunch bars")
    assert search.rebuilds == 1
    release.set()
    search.wait_for_rebuild(30)
    assert search.rebuilds == 2
    assert skus(any_db, search, "zorblax crunch bars")[0] == "SNA-90001"


def test_a_patch_during_a_rebuild_is_kept_when_the_rebuild_lands(
    any_db: Database,
    search: CatalogSearch,
    held_rebuild: tuple[threading.Event, threading.Event],
) -> None:
    built, release = held_rebuild
    search.rebuild_in_background()
    assert built.wait(30)
    add_new(search)  # patched into the serving index meanwhile
    assert skus(any_db, search, "zorblax")[0] == "SNA-90001"
    release.set()
    search.wait_for_rebuild(30)
    assert search.rebuilds == 2
    assert skus(any_db, search, "zorblax")[0] == "SNA-90001"
    with search.editing() as session:
        products.remove_product(session, "SNA-90001")
    assert "SNA-90001" not in skus(any_db, search, "zorblax", 10)
    assert search.rebuilds == 2  # own edits, during the rebuild and after it, start none


def test_searches_on_worker_threads_while_products_are_renamed_all_answer(
    any_db: Database, search: CatalogSearch
) -> None:
    """Worker threads search while products are renamed and patched in: every search answers,
    and each rename is found by its new name at once."""
    with any_db.session() as session:
        edited = list(session.scalars(select(Product).where(Product.category == "milk").limit(8)))
    stop = threading.Event()
    answers: list[int] = []

    def searcher() -> None:
        while not stop.is_set():
            answers.append(len(search.index().search("whole milk", 5)))

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for n, product in enumerate(edited):
            with search.editing() as session:
                products.update_product(session, product.sku, name=f"Moonbeam Dairy {n}")
            stale(search)  # the workers' next search reads the version, mid-edit or not
            assert product.sku in skus(any_db, search, f"moonbeam dairy {n}", 10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert answers
    assert all(count > 0 for count in answers)
    assert search.patches == len(edited)
    search.wait_for_rebuild(30)
    assert search.rebuilds == 1  # every bump was this process's own: nothing to rebuild


def rename(search: CatalogSearch, sku: str, name: str) -> None:
    with search.editing() as session:
        products.update_product(session, sku, name=name)


def rename_while(search: CatalogSearch, sku: str, name: str, meanwhile: Callable[[], None]) -> None:
    """Rename ``sku``; ``meanwhile`` runs once, between the rename's commit and its patch."""

    def once() -> None:
        search.after_commit = None
        meanwhile()

    search.after_commit = once
    rename(search, sku, name)


def milk_skus(db: Database, n: int) -> list[str]:
    with db.session() as session:
        query = select(Product.sku).where(Product.category == "milk").order_by(Product.id)
        return list(session.scalars(query.limit(n)))


def patched_in_without_a_rebuild(
    db: Database, search: CatalogSearch, query: str, sku: str, patches: int
) -> None:
    """``query`` finds ``sku`` first on a stale index, and the own edits were ``patches``
    patches: no rebuild started but the index's first build."""
    stale(search)
    assert skus(db, search, query, 10)[0] == sku
    search.wait_for_rebuild(30)
    assert search.rebuilds == 1
    assert search.patches == patches


def test_a_search_between_an_edits_commit_and_its_patch_starts_no_rebuild(
    any_db: Database, search: CatalogSearch
) -> None:
    """The window a search on another thread may hit: the version has moved, the index does
    not have the change yet. The edit announced itself before its commit: no rebuild."""
    (sku,) = milk_skus(any_db, 1)
    seen: list[tuple[int, bool]] = []

    def search_in_the_window() -> None:
        stale(search)
        seen.append((version(any_db), sku in skus(any_db, search, "moonbeam dairy", 10)))
        search.wait_for_rebuild(30)

    before = version(any_db)
    rename_while(search, sku, "Moonbeam Dairy Milk", search_in_the_window)
    assert seen == [(before + 1, False)]  # committed, not yet patched in
    patched_in_without_a_rebuild(any_db, search, "moonbeam dairy", sku, patches=1)


def test_own_edits_committed_in_one_order_and_patched_in_the_other_start_no_rebuild(
    any_db: Database, search: CatalogSearch
) -> None:
    first, second = milk_skus(any_db, 2)

    def another_edit_meanwhile() -> None:
        rename(search, second, "Stardust Dairy Milk")  # commits and is patched in first
        stale(search)
        assert skus(any_db, search, "stardust dairy", 10)[0] == second

    rename_while(search, first, "Moonbeam Dairy Milk", another_edit_meanwhile)
    patched_in_without_a_rebuild(any_db, search, "moonbeam dairy", first, patches=2)


def test_another_processs_change_during_an_own_edit_still_rebuilds(
    any_db: Database, search: CatalogSearch
) -> None:
    first, second = milk_skus(any_db, 2)

    def another_process_renames() -> None:
        with any_db.session(write=True) as session:  # not through this index: foreign
            products.update_product(session, second, name="Stardust Dairy Milk")

    rename_while(search, first, "Moonbeam Dairy Milk", another_process_renames)
    search.wait_for_rebuild(30)  # started when the edit saw a bump it could not account for
    assert search.rebuilds == 2
    assert skus(any_db, search, "stardust dairy", 10)[0] == second
    assert skus(any_db, search, "moonbeam dairy", 10)[0] == first


def test_a_failed_edit_leaves_nothing_in_flight(any_db: Database, search: CatalogSearch) -> None:
    (sku,) = milk_skus(any_db, 1)

    def failing_edit() -> None:
        with search.editing() as session:
            products.update_product(session, sku, name="Moonbeam Dairy Milk")
            products.remove_product(session, "NO-SUCH-SKU")

    with pytest.raises(CommerceError):
        failing_edit()
    with any_db.session(write=True) as session:  # another process's change
        products.update_product(session, sku, name="Stardust Dairy Milk")
    stale(search)
    skus(any_db, search, "milk")
    search.wait_for_rebuild(30)
    assert search.rebuilds == 2
    assert search.patches == 0


def test_a_patched_index_ranks_as_a_full_build_does(any_db: Database) -> None:
    """Removing products and adding them back gives the same top hits as the full build."""
    with any_db.session() as session:
        docs = [search_doc(p) for p in session.scalars(select(Product).order_by(Product.id))]
    full = SearchIndex(docs)
    sample = docs[::97]
    patched = full
    for doc in sample:
        patched = patched.patched(None, doc.product_id)
    assert len(patched) == len(full) - len(sample)
    for doc in sample:
        patched = patched.patched(doc)
    assert len(patched) == len(full)
    for doc in sample:
        assert [h.sku for h in patched.search(doc.name, 3)][:1] == [
            h.sku for h in full.search(doc.name, 3)
        ][:1], doc.name


def test_bump_version_without_a_row_starts_at_one(any_db: Database) -> None:
    with any_db.session(write=True) as session:
        session.query(CatalogState).delete()
    with any_db.session(write=True) as session:
        bump_version(session)
    assert version(any_db) == 1


OPERATOR = "op_secret_for_the_catalog_tests"


@pytest.fixture
def operated(any_db: Database) -> Iterator[TestClient]:
    with TestClient(
        create_app(any_db, operator_token=OPERATOR), raise_server_exceptions=False
    ) as test_client:
        yield test_client


def api_skus(client: TestClient, q: str, limit: int = 5) -> list[str]:
    response = client.get("/v1/products/search", params={"q": q, "limit": limit})
    assert response.status_code == 200, response.text
    return [hit["sku"] for hit in response.json()["results"]]


def test_the_operator_edits_the_catalog_and_search_follows_without_a_rebuild(
    operated: TestClient,
) -> None:
    op = bearer(OPERATOR)
    first = api_skus(operated, "semi skimmed milk")[0]  # the first search builds the index
    search: CatalogSearch = operated.app.state.commerce.search  # type: ignore[attr-defined]
    added = operated.post("/v1/operator/products", json=NEW, headers=op)
    assert added.status_code == 201, added.text
    assert api_skus(operated, "zorblax crunch bars")[0] == "SNA-90001"
    again = operated.post("/v1/operator/products", json=NEW, headers=op)
    assert again.json()["error"]["code"] == "sku-taken"

    renamed = operated.patch(
        "/v1/operator/products/SNA-90001", json={"name": "Quintessa Oat Squares"}, headers=op
    )
    assert renamed.json()["name"] == "Quintessa Oat Squares"
    assert api_skus(operated, "quintessa oat squares")[0] == "SNA-90001"
    assert "SNA-90001" not in api_skus(operated, "zorblax", 10)

    priced = operated.patch(f"/v1/operator/products/{first}", json={"price_cents": 77}, headers=op)
    assert priced.json()["price"] == 0.77
    hit = operated.get("/v1/products/search", params={"q": "semi skimmed milk"}).json()
    assert hit["results"][0]["price"] == 0.77

    emptied = operated.put(
        f"/v1/operator/stores/{STORE}/stock/{first}", json={"quantity": 0}, headers=op
    )
    assert emptied.json() == {"quantity": 0}
    shelf = operated.get(
        "/v1/products/search", params={"q": "semi skimmed milk", "store_id": STORE}
    ).json()
    assert next(r for r in shelf["results"] if r["sku"] == first)["in_stock"] is False

    removed = operated.delete("/v1/operator/products/SNA-90001", headers=op)
    assert removed.status_code == 204
    assert "SNA-90001" not in api_skus(operated, "quintessa oat squares", 10)
    assert operated.get("/v1/products/SNA-90001").status_code == 404
    assert search.rebuilds == 1
    assert search.patches == 3


def test_catalog_edits_need_the_operator_token(operated: TestClient) -> None:
    for response in (
        operated.post("/v1/operator/products", json=NEW),
        operated.patch("/v1/operator/products/SNA-90001", json={"price_cents": 1}),
        operated.delete("/v1/operator/products/SNA-90001", headers=bearer("op_wrong")),
        operated.put(f"/v1/operator/stores/{STORE}/stock/DAI-00001", json={"quantity": 1}),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "auth-invalid"
