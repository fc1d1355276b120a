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
    """0002 is the head; it comes off a live database and goes back on, on both databases."""
    config = alembic_config(any_db.url)
    assert ScriptDirectory.from_config(config).get_current_head() == "0002"
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
