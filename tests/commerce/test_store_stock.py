"""Which store has it (`GET /v1/stores?has_sku=&near=`, `GET /v1/me/stores/nearest?has_sku=`)
and special opening hours on dates (holidays), on a fixed clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update

from commerce.db import Database
from commerce.models import PickupSlot, Product, Stock, Store
from commerce.seed.special_hours import special_hours_rows
from commerce.services.pickups import closed_on, local_today
from commerce.tables_stores import StoreSpecialHours
from tests.commerce.conftest import bearer, token_for


def shelf(db: Database, sku: str) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            select(Stock.store_id, Stock.quantity)
            .join(Product, Product.id == Stock.product_id)
            .where(Product.sku == sku)
        ).all()
    return {store: quantity for store, quantity in rows}


def out_somewhere(db: Database) -> str:
    """A product some store has none of and others have."""
    with db.session() as session:
        for sku in session.scalars(select(Product.sku).order_by(Product.sku)):
            levels = shelf(db, sku).values()
            if 0 in levels and any(levels):
                return sku
    raise AssertionError("the seed leaves ~6 % of each store's range out of stock")


def test_stores_that_have_it_match_the_stock_table(any_client: TestClient, any_db: Database):
    sku = out_somewhere(any_db)
    answer = any_client.get("/v1/stores", params={"has_sku": sku}).json()
    expected = {store: quantity for store, quantity in shelf(any_db, sku).items() if quantity}
    assert {s["store_id"]: s["stock"]["quantity"] for s in answer["stores"]} == expected
    assert answer["product"]["sku"] == sku
    assert all(s["stock"]["sku"] == sku for s in answer["stores"])


def test_has_sku_near_a_point_nearest_first(client: TestClient, sqlite_db: Database):
    sku = out_somewhere(sqlite_db)
    with sqlite_db.session(write=True) as session:
        product_id = session.scalar(select(Product.id).where(Product.sku == sku))
        session.execute(update(Stock).where(Stock.product_id == product_id).values(quantity=7))
        session.execute(
            update(Stock)
            .where(Stock.product_id == product_id, Stock.store_id == "northgate")
            .values(quantity=0)
        )
    near_northgate = {"has_sku": sku, "near": "52.2198,-1.7047"}
    stores = client.get("/v1/stores", params=near_northgate).json()["stores"]
    assert [s["store_id"] for s in stores] == ["old-town", "riverside", "harbour"]
    distances = [s["distance_km"] for s in stores]
    assert distances == sorted(distances)
    assert [s["stock"]["quantity"] for s in stores] == [7, 7, 7]


def test_nobody_has_it(client: TestClient, sqlite_db: Database):
    sku = out_somewhere(sqlite_db)
    with sqlite_db.session(write=True) as session:
        product_id = session.scalar(select(Product.id).where(Product.sku == sku))
        session.execute(update(Stock).where(Stock.product_id == product_id).values(quantity=0))
    answer = client.get("/v1/stores", params={"has_sku": sku}).json()
    assert answer["stores"] == []
    assert answer["product"]["sku"] == sku


def test_which_of_my_stores_has_it_from_home(client: TestClient, sqlite_db: Database):
    sku = out_somewhere(sqlite_db)
    headers = bearer(token_for(sqlite_db, "alice"))
    answer = client.get("/v1/me/stores/nearest", params={"has_sku": sku}, headers=headers).json()
    everything = client.get("/v1/me/stores/nearest", headers=headers).json()["stores"]
    order = [s["store_id"] for s in everything]
    have = [s["store_id"] for s in answer["stores"]]
    assert answer["measured_from"] == "home"
    assert have == [store for store in order if shelf(sqlite_db, sku)[store] > 0]


@pytest.mark.parametrize("params", [{"has_sku": "NOPE-1"}, {"has_sku": "NOPE-1", "near": "1,1"}])
def test_unknown_product_is_404(client: TestClient, params):
    answer = client.get("/v1/stores", params=params)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "product-not-found"


@pytest.fixture
def holidays_2027(sqlite_db: Database) -> Database:
    """The seed's special hours written for 2027 (the template's are for the year it was made)."""
    with sqlite_db.session(write=True) as session:
        session.execute(delete(StoreSpecialHours))
        stores = session.scalars(select(Store)).all()
        rows = special_hours_rows(stores, [2027])
        session.execute(insert(StoreSpecialHours), rows)
    return sqlite_db


def special(client: TestClient, store: str) -> dict[str, tuple[str | None, str | None, str]]:
    body = client.get(f"/v1/stores/{store}").json()
    return {s["date"]: (s["opens"], s["closes"], s["name"]) for s in body["special_hours"]}


def test_christmas_week_hours(client: TestClient, holidays_2027: Database):
    with time_machine.travel(datetime(2027, 12, 20, 9, 0, tzinfo=UTC), tick=False):
        riverside = special(client, "riverside")
        harbour = special(client, "harbour")
        closed = client.get("/v1/stores/old-town").json()["closed_dates"]
    # Christmas Eve 2027 is a Friday: weekday opening, early closing
    assert riverside["2027-12-24"] == ("07:00", "18:00", "Christmas Eve")
    assert riverside["2027-12-25"] == (None, None, "Christmas Day")
    assert riverside["2027-12-26"] == ("10:00", "16:00", "Boxing Day")
    assert harbour["2027-12-31"] == ("08:00", "19:00", "New Year's Eve")
    assert {"date": "2027-12-25", "name": "Christmas Day"} in closed


def test_easter_differs_on_jersey(client: TestClient, holidays_2027: Database):
    with time_machine.travel(datetime(2027, 3, 20, 9, 0, tzinfo=UTC), tick=False):
        riverside = special(client, "riverside")
        harbour = special(client, "harbour")
        closed = [c["date"] for c in client.get("/v1/stores/riverside").json()["closed_dates"]]
    easter = date(2027, 3, 28).isoformat()
    assert riverside[easter] == (None, None, "Easter Sunday")
    assert easter in closed
    assert harbour[easter] == ("10:00", "14:00", "Easter Sunday")
    assert riverside["2027-03-29"] == ("09:00", "18:00", "Easter Monday")


def test_special_hours_cannot_open_after_closing(sqlite_db: Database):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), sqlite_db.session(write=True) as session:
        session.add(
            StoreSpecialHours(
                store_id="riverside", day=date(2030, 1, 2), name="x", opens="18:00", closes="09:00"
            )
        )


def test_pickup_slots_follow_special_hours(client: TestClient, sqlite_db: Database):
    """Special hours set after the day's slots were made: the slots outside them are neither
    listed nor booked, and a day closed all day is refused as Christmas Day is."""
    with sqlite_db.session() as session:
        riverside = session.get_one(Store, "riverside")
        day = local_today(riverside) + timedelta(days=3)
    while closed_on(day) or closed_on(day + timedelta(days=1)):
        day += timedelta(days=2)
    with sqlite_db.session(write=True) as session:
        session.add_all(
            [
                StoreSpecialHours(
                    store_id="riverside", day=day, name="Carnival", opens="07:00", closes="12:00"
                ),
                StoreSpecialHours(store_id="riverside", day=day + timedelta(days=1), name="Flood"),
            ]
        )
    listed = client.get("/v1/stores/riverside/pickup-slots", params={"date": day.isoformat()})
    slots = listed.json()["slots"]
    assert slots
    assert all(s["end"][11:16] <= "12:00" for s in slots)
    with sqlite_db.session() as session:
        late = session.scalars(
            select(PickupSlot.id)
            .where(PickupSlot.store_id == "riverside")
            .where(PickupSlot.start > datetime.combine(day, time(16), UTC))
            .order_by(PickupSlot.start)
        ).first()
    headers = bearer(token_for(sqlite_db, "alice"))
    booked = client.post("/v1/me/pickups", json={"slot_id": late}, headers=headers)
    assert booked.status_code == 409
    assert booked.json()["error"]["code"] == "store-closed"
    closed = client.get(
        "/v1/stores/riverside/pickup-slots", params={"date": (day + timedelta(days=1)).isoformat()}
    )
    assert closed.status_code == 400
    assert closed.json()["error"]["code"] == "store-closed"
    assert closed.json()["error"]["holiday"] == "Flood"
    found = client.get(
        "/v1/stores/riverside/pickup-slots/find",
        params={"when": f"{day.isoformat()}T17:00:00"},
    ).json()
    assert found["slot"] is None or found["slot"]["end"][11:16] <= "12:00"
