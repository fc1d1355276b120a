"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from commerce.db import Database
from commerce.migrate import alembic_config
from commerce.models import Base


def test_migrated_schema_matches_models(any_db: Database):
    with any_db.writer.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert drift == []


def test_checks_are_enforced_by_the_database(any_db: Database):
    """Even a bug in the service cannot overbook a slot or store a zero-quantity line."""
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from commerce.models import PickupSlot

    with pytest.raises(IntegrityError), any_db.session(write=True) as session:
        session.execute(update(PickupSlot).values(booked=PickupSlot.capacity + 1))


def test_pin_tickets_migration_reverts_and_reapplies(any_db: Database):
    """0002 (and 0003-0012 above it) come off a live database and go back on, on both databases."""
    config = alembic_config(any_db.url)
    assert ScriptDirectory.from_config(config).get_current_head() == "0012"
    with any_db.writer.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        connection.commit()
        assert "pin_tickets" not in inspect(connection).get_table_names()
        command.upgrade(config, "head")
        connection.commit()
        assert "pin_tickets" in inspect(connection).get_table_names()
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert drift == []


def test_devices_migration_reverts_and_reapplies_on_a_populated_database(any_db: Database):
    """0003 goes off and on again with devices, device tokens and guests in the database.

    On SQLite ``customers`` is referenced by populated tables, so 0003 must change it in
    place; tokens without an expiry keep working through it.
    """
    from datetime import UTC, datetime, timedelta

    import pytest
    from sqlalchemy import func, select

    from assistant.errors import CommerceError
    from commerce.models import ApiToken, Customer
    from commerce.services import auth, devices

    with any_db.session(write=True) as session:
        alice = auth.find_customer(session, "alice")
        old_token = auth.mint_token(session, alice)
        kiosk, _ = devices.add_device(session, "kiosk", store_id="riverside")
        devices.guest(session, kiosk)
        short_lived = auth.mint_token(
            session, alice, expires_at=datetime.now(UTC) + timedelta(hours=1), device_id=kiosk.id
        )
        customers = session.scalar(select(func.count()).select_from(Customer))
    config = alembic_config(any_db.url)
    with any_db.writer.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        connection.commit()
        inspector = inspect(connection)
        assert "devices" not in inspector.get_table_names()
        assert {"phone", "is_guest"}.isdisjoint(
            c["name"] for c in inspector.get_columns("customers")
        )
        assert {"expires_at", "revoked_at", "device_id"}.isdisjoint(
            c["name"] for c in inspector.get_columns("api_tokens")
        )
        command.upgrade(config, "head")
        connection.commit()
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert drift == []
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == customers
        assert auth.customer_for_token(session, old_token).handle == "alice"
        # the downgrade could not keep a token's expiry, so it did not keep the token
        with pytest.raises(CommerceError):
            auth.customer_for_token(session, short_lived)
        assert session.scalars(select(ApiToken).where(ApiToken.expires_at.is_not(None))).all() == []


def test_device_binding_and_unique_phones_are_enforced_by_the_database(any_db: Database):
    import pytest
    from sqlalchemy import select, update
    from sqlalchemy.exc import IntegrityError

    from commerce.models import Customer, Device

    for bad in (
        Device(kind="home", name="x", token_hash="a" * 64, store_id="riverside"),
        Device(kind="kiosk", name="x", token_hash="b" * 64),
        Device(kind="phone", name="x", token_hash="c" * 64, store_id="riverside"),
    ):
        with pytest.raises(IntegrityError), any_db.session(write=True) as session:
            session.add(bad)
    alices = select(Customer.phone).where(Customer.handle == "alice").scalar_subquery()
    with pytest.raises(IntegrityError), any_db.session(write=True) as session:
        session.execute(update(Customer).where(Customer.handle == "bob").values(phone=alices))


def down_and_up(
    db: Database, revision: str, table: str, column: str, meanwhile: str | None = None
) -> None:
    """Take the migrations above ``revision`` off (``column`` of ``table`` is gone, and the
    SQL ``meanwhile`` runs) and put them back on: no drift from the models after."""
    from sqlalchemy import text

    config = alembic_config(db.url)
    with db.writer.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()
        assert column not in {c["name"] for c in inspect(connection).get_columns(table)}
        if meanwhile is not None:
            connection.execute(text(meanwhile))
            connection.commit()
        command.upgrade(config, "head")
        connection.commit()
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert drift == []


def test_token_pin_window_migration_reverts_and_reapplies(any_db: Database):
    """0004 goes off and on again under a PIN-verified kiosk token: the token keeps working,
    and after the round trip it no longer carries the PIN (the column's values are gone)."""
    from datetime import UTC, datetime, timedelta

    from commerce.services import auth, devices

    with any_db.session(write=True) as session:
        bob = auth.find_customer(session, "bob")
        kiosk, _ = devices.add_device(session, "kiosk", store_id="riverside")
        token = auth.mint_token(
            session,
            bob,
            expires_at=datetime.now(UTC) + timedelta(minutes=30),
            device_id=kiosk.id,
            pin_verified_until=datetime.now(UTC) + timedelta(minutes=15),
        )
        assert auth.token_pin_verified(session, token)
    down_and_up(any_db, "0003", "api_tokens", "pin_verified_until")
    with any_db.session() as session:
        assert auth.customer_for_token(session, token).handle == "bob"
        assert not auth.token_pin_verified(session, token)


def test_pin_lock_migration_ends_locks_for_good(any_db: Database):
    """0005 goes off and on again; an account the old rule locked for good (5+ wrong PINs)
    comes back one wrong PIN short of a lock that ends, and its right PIN works again."""
    from sqlalchemy import select

    from commerce.models import Customer
    from commerce.seed.seeder import DEMO_PIN
    from commerce.services import auth

    locked_for_good = "UPDATE customers SET failed_pin_attempts = 9 WHERE handle = 'bob'"
    down_and_up(any_db, "0004", "customers", "pin_locked_until", meanwhile=locked_for_good)
    with any_db.session(write=True) as session:
        bob = session.scalars(select(Customer).where(Customer.handle == "bob")).one()
        assert (bob.failed_pin_attempts, bob.pin_locked_until) == (auth.MAX_PIN_ATTEMPTS - 1, None)
        assert auth.try_pin(bob, DEMO_PIN)


def test_kiosk_quiet_hour_migration_reverts_and_reapplies(any_db: Database):
    down_and_up(any_db, "0005", "devices", "last_failed_sign_in_at")


def test_store_locations_migration_places_the_seed_stores(any_db: Database):
    """0007 goes off and on again on a seeded database; going on, it gives the seed stores
    their places (a database seeded before it answers "which store is nearest" at once)."""
    from sqlalchemy import text

    config = alembic_config(any_db.url)
    with any_db.writer.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
        connection.commit()
        assert "latitude" not in {c["name"] for c in inspect(connection).get_columns("stores")}
        command.upgrade(config, "head")
        connection.commit()
        rows = connection.execute(text("SELECT id, latitude FROM stores ORDER BY id"))
        places = {row[0]: row[1] for row in rows}
    assert places == {
        "harbour": 49.18803,
        "northgate": 52.21984,
        "old-town": 52.20523,
        "riverside": 52.19852,
    }
