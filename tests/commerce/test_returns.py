"""Returns in store: the policy decides (each refusal on a fixed clock), a return is made once
per idempotency key, each customer sees only their own, and the desk's refund is exact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from commerce.api.app import create_app
from commerce.db import Database
from commerce.errors import CommerceError
from commerce.models import Customer, Order, OrderLine, Product
from commerce.services.returns_policy import ReturnPolicy, check, refund_cents
from commerce.tables_returns import Return
from tests.commerce.conftest import bearer, future_slot, live_server, token_for

OPERATOR = "staff-desk-token"
# the policy's clock: a Wednesday morning; the order was collected nine days before
NOW = datetime(2027, 6, 16, 9, 15, tzinfo=UTC)
COLLECTED = NOW - timedelta(days=9)


def product(department: str, price_cents: int = 199) -> Product:
    return Product(sku="X-1", name="Thing", department=department, price_cents=price_cents)


def bought(department: str = "household", quantity: int = 3, status: str = "collected",
           pickup: datetime | None = COLLECTED) -> tuple[Order, OrderLine]:  # fmt: skip
    order = Order(id=7, status=status, pickup_start=pickup, created_at=COLLECTED)
    line = OrderLine(quantity=quantity, unit_price_cents=199, product=product(department))
    return order, line


def refusal(order: Order, line: OrderLine, quantity: int = 1, reason: str = "damaged",
            returned: int = 0, now: datetime = NOW) -> CommerceError:  # fmt: skip
    with pytest.raises(CommerceError) as err:
        check(order, line, quantity, reason, returned, now)
    return err.value


def test_the_policy_refunds_what_was_paid_within_the_window() -> None:
    order, line = bought("household", quantity=3)
    assert check(order, line, 3, "changed-mind", 0, NOW) == 597  # 3 x £1.99, in pence
    # the last second of the 30 days still counts; the next does not
    closes = COLLECTED + timedelta(days=30)
    assert check(order, line, 1, "changed-mind", 0, closes) == 199
    late = refusal(order, line, now=closes + timedelta(seconds=1))
    assert (late.code, late.status, late.details["window_days"]) == (
        "return-window-closed", 409, 30
    )  # fmt: skip
    assert check(order, line, 1, "damaged", 0, NOW + timedelta(days=40), ReturnPolicy(60)) == 199


def test_perishables_come_back_only_when_faulty() -> None:
    for department in ("dairy", "produce", "bakery", "meat & fish", "frozen"):
        order, line = bought(department)
        assert refusal(order, line, reason="changed-mind").code == "return-perishable"
        assert check(order, line, 1, "damaged", 0, NOW) == 199
        assert check(order, line, 1, "wrong-item", 0, NOW) == 199


def test_never_more_than_bought_and_never_twice() -> None:
    order, line = bought(quantity=3)
    more = refusal(order, line, quantity=3, returned=1)
    assert (more.code, more.details) == ("return-more-than-bought", {"returnable": 2})
    assert check(order, line, 2, "damaged", 1, NOW) == 398
    assert refusal(order, line, returned=3).code == "already-returned"


def test_cancelled_and_uncollected_orders_do_not_come_back() -> None:
    assert refusal(*bought(status="cancelled")).code == "order-cancelled"
    waiting = bought(status="placed", pickup=NOW + timedelta(hours=3))
    assert refusal(*waiting).code == "order-not-collected"
    # a placed order whose pickup time has passed went home with the customer
    assert check(*bought(status="placed", pickup=NOW - timedelta(days=1)), 1, "damaged", 0,
                 NOW) == 199  # fmt: skip


def test_refunds_are_exact_in_pence() -> None:
    line = OrderLine(quantity=99, unit_price_cents=333, product=product("household", 333))
    assert refund_cents(line, 99) == 32967  # £329.67, not 329.66999...


def test_a_policy_window_is_a_sane_number_of_days() -> None:
    with pytest.raises(ValueError, match="1 to 365 days"):
        ReturnPolicy(0)


# -- the API ---------------------------------------------------------------------------------


@pytest.fixture
def desk(any_db: Database) -> Iterator[TestClient]:
    app = create_app(any_db, operator_token=OPERATOR)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def an_order(db: Database, handle: str, days_ago: float = 3) -> dict[str, Any]:
    """A collected order of ``handle``'s, ``days_ago``, of three packs of a household product
    and two of a dairy one: {"order_id", "household", "dairy"} (their skus)."""
    with db.session(write=True) as session:
        customer = session.scalars(select(Customer).where(Customer.handle == handle)).one()
        household, dairy = (
            session.scalars(
                select(Product).where(Product.department == d).order_by(Product.sku)
            ).first()
            for d in ("household", "dairy")
        )
        assert household is not None
        assert dairy is not None
        when = datetime.now(UTC) - timedelta(days=days_ago)
        order = Order(
            customer_id=customer.id,
            store_id=customer.home_store_id,
            status="collected",
            total_cents=3 * household.price_cents + 2 * dairy.price_cents,
            pickup_start=when,
            created_at=when - timedelta(hours=6),
        )
        order.lines = [
            OrderLine(product_id=household.id, quantity=3, unit_price_cents=household.price_cents),
            OrderLine(product_id=dairy.id, quantity=2, unit_price_cents=dairy.price_cents),
        ]
        session.add(order)
        session.flush()
        return {"order_id": order.id, "household": household.sku, "dairy": dairy.sku}


def returns_of(db: Database, handle: str) -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Return)
                .join(Customer, Return.customer_id == Customer.id)
                .where(Customer.handle == handle)
            )
            or 0
        )


def test_a_return_is_made_once_per_key(desk: TestClient, any_db: Database) -> None:
    made = an_order(any_db, "alice")
    headers = bearer(token_for(any_db, "alice"))
    body = {"order_id": made["order_id"], "sku": made["household"], "quantity": 2,
            "reason": "changed-mind"}  # fmt: skip
    checked = desk.post("/v1/me/returns/check", json=body, headers=headers)
    assert checked.status_code == 200, checked.text
    assert (checked.json()["returnable"], returns_of(any_db, "alice")) == (3, 0)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = desk.post("/v1/me/returns", json=body, headers=headers | key)
    assert first.status_code == 201, first.text
    again = desk.post("/v1/me/returns", json=body, headers=headers | key)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert returns_of(any_db, "alice") == 1
    answer = first.json()
    assert (answer["quantity"], answer["refund"], answer["refund_to"]) == (
        2, checked.json()["refund"], "payment"
    )  # fmt: skip
    assert len(answer["code"]) == 6
    assert answer["status"] == "authorised"
    reused = desk.post("/v1/me/returns", json={**body, "quantity": 1}, headers=headers | key)
    assert reused.json()["error"]["code"] == "idempotency-key-reused"
    keyless = desk.post("/v1/me/returns", json=body, headers=headers)
    assert keyless.json()["error"]["code"] == "idempotency-key-required"
    # a second return of the same line with a new key: only one pack is left
    more = desk.post("/v1/me/returns", json=body,
                     headers=headers | {"Idempotency-Key": "another"})  # fmt: skip
    assert more.status_code == 409
    assert (more.json()["error"]["code"], more.json()["error"]["returnable"]) == (
        "return-more-than-bought", 1
    )  # fmt: skip
    assert returns_of(any_db, "alice") == 1


def test_the_policy_speaks_through_the_api(desk: TestClient, any_db: Database) -> None:
    made = an_order(any_db, "alice", days_ago=31)
    headers = bearer(token_for(any_db, "alice"))
    line = {"order_id": made["order_id"], "sku": made["household"], "quantity": 1}
    late = desk.post("/v1/me/returns/check", json={**line, "reason": "damaged"}, headers=headers)
    assert late.json()["error"]["code"] == "return-window-closed"
    fresh = an_order(any_db, "alice", days_ago=1)
    milk = {"order_id": fresh["order_id"], "sku": fresh["dairy"], "quantity": 1}
    refused = desk.post(
        "/v1/me/returns", json={**milk, "reason": "changed-mind"},
        headers=headers | {"Idempotency-Key": "k1"},
    )  # fmt: skip
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "return-perishable")
    assert returns_of(any_db, "alice") == 0


def test_each_customer_sees_only_their_own_returns(desk: TestClient, any_db: Database) -> None:
    alices = an_order(any_db, "alice")
    alice, bob = bearer(token_for(any_db, "alice")), bearer(token_for(any_db, "bob"))
    body = {"order_id": alices["order_id"], "sku": alices["household"], "quantity": 1,
            "reason": "damaged"}  # fmt: skip
    stolen = desk.post("/v1/me/returns", json=body, headers=bob | {"Idempotency-Key": "x"})
    assert (stolen.status_code, stolen.json()["error"]["code"]) == (404, "order-not-found")
    made = desk.post("/v1/me/returns", json=body, headers=alice | {"Idempotency-Key": "x"})
    assert made.status_code == 201, made.text
    assert [r["code"] for r in desk.get("/v1/me/returns", headers=alice).json()["returns"]] == [
        made.json()["code"]
    ]
    assert desk.get("/v1/me/returns", headers=bob).json()["returns"] == []
    assert desk.get("/v1/me/returns").status_code == 401


def test_a_return_rides_along_with_the_next_pickup(desk: TestClient, any_db: Database) -> None:
    made = an_order(any_db, "alice")
    headers = bearer(token_for(any_db, "alice"))
    slot = future_slot(any_db, "harbour")
    assert desk.post("/v1/me/pickups", json={"slot_id": slot}, headers=headers).status_code == 201
    body = {"order_id": made["order_id"], "sku": made["dairy"], "quantity": 2,
            "reason": "wrong-item", "refund_to": "points"}  # fmt: skip
    answer = desk.post("/v1/me/returns", json=body, headers=headers | {"Idempotency-Key": "p"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["store_id"] == "harbour"
    assert answer.json()["pickup_start"] is not None


def test_the_desk_receives_the_goods_and_refunds_once(desk: TestClient, any_db: Database) -> None:
    made = an_order(any_db, "alice")
    headers = bearer(token_for(any_db, "alice"))
    staff = bearer(OPERATOR)
    codes = {}
    for refund_to, sku in (("payment", made["household"]), ("points", made["dairy"])):
        body = {"order_id": made["order_id"], "sku": sku, "quantity": 1, "reason": "damaged",
                "refund_to": refund_to}  # fmt: skip
        answer = desk.post("/v1/me/returns", json=body, headers=headers | {"Idempotency-Key": sku})
        codes[refund_to] = answer.json()["code"]
    path = "/v1/operator/returns/{}/received"
    assert desk.post(path.format(codes["payment"]), headers=headers).status_code == 401
    paid = desk.post(path.format(codes["payment"]), headers=staff)
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["refunded_at"] is not None) == ("received", True)
    again = desk.post(path.format(codes["payment"]), headers=staff)
    assert again.json()["error"]["code"] == "return-already-received"
    # points wait for the loyalty hook: received, not yet refunded
    points = desk.post(path.format(codes["points"]), headers=staff).json()
    assert (points["status"], points["refunded_at"]) == ("received", None)
    assert desk.post(path.format("XXXXXX"), headers=staff).status_code == 404


@pytest.mark.slow
def test_concurrent_returns_never_take_back_more_than_bought(any_db: Database) -> None:
    """Twenty repeats of one key make one return; ten different keys for one pack each of a
    three-pack line make three, whatever the interleaving (SQLite and PostgreSQL)."""
    made = an_order(any_db, "alice")
    body = {"order_id": made["order_id"], "sku": made["household"], "quantity": 1,
            "reason": "changed-mind"}  # fmt: skip
    headers = bearer(token_for(any_db, "alice"))
    with (
        live_server(any_db) as url,
        httpx.Client(base_url=url, timeout=60, headers=headers) as http,
    ):

        def send(key: str) -> httpx.Response:
            return http.post("/v1/me/returns", json=body, headers={"Idempotency-Key": key})

        with ThreadPoolExecutor(max_workers=10) as pool:
            repeats = list(pool.map(send, ["same"] * 20))
            others = list(pool.map(send, [f"k{i}" for i in range(10)]))
    assert {r.status_code for r in repeats} <= {200, 201}, [r.text for r in repeats]
    assert len({r.json()["return_id"] for r in repeats}) == 1
    assert sum(r.status_code == 201 for r in others) == 2, "one pack went with the repeats"
    refused = [r.json()["error"]["code"] for r in others if r.status_code != 201]
    assert set(refused) <= {"return-more-than-bought", "already-returned"}, refused
    assert returns_of(any_db, "alice") == 3
