"""Shared fixtures: seeded databases (SQLite always, PostgreSQL where the machine has it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from commerce.db import Database
from commerce.migrate import upgrade
from commerce.seed import seeder
from tests.clock.fixed_clock import FixedClock

# The whole-stack fixtures (stack, dialogue, start_chat, shop) live in tests/stack.py.
pytest_plugins = ["tests.stack"]

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"


def service_missing(what: str, err: Exception) -> None:
    """Fail in CI (REQUIRE_SERVICES=1), skip with the reason elsewhere."""
    message = f"{what} is not reachable ({type(err).__name__}: {err})"
    if REQUIRED:
        pytest.fail(f"{message}; CI requires it (REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(f"{message}; set REQUIRE_SERVICES=1 to make this a failure")


def in_rasa_env(code: str, clock: FixedClock | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with Rasa's environment's Python in the project folder (what runs inside
    Rasa, such as its tracker store), on ``clock`` when given, failing on a non-zero exit."""
    root = Path(__file__).resolve().parents[1]
    python = root / ".venv-rasa" / "bin" / "python"
    if not python.exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(str(python)))
    timed = clock.environment() if clock else {}
    path = os.pathsep.join(p for p in (str(root), timed.get("PYTHONPATH")) if p)
    return subprocess.run(
        [str(python), "-W", "ignore", "-c", code],
        cwd=root,
        env={**os.environ, **timed, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def seed_sqlite(path: Path) -> Path:
    """A migrated SQLite file at ``path``, seeded with ten customers at this process's now."""
    db = Database.connect(f"sqlite:///{path}")
    upgrade(db)
    seeder.seed(db, customers=10)
    db.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated and seeded SQLite file, built once; tests work on copies of it."""
    return seed_sqlite(tmp_path_factory.mktemp("template") / "commerce.db")


@pytest.fixture
def sqlite_db(seeded_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "commerce.db"
    shutil.copy(seeded_sqlite_template, path)
    assert not seeded_sqlite_template.with_name("commerce.db-wal").exists()
    db = Database.connect(f"sqlite:///{path}")
    yield db
    db.dispose()


def _admin(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _create_database(url: str, name: str, template: str | None = None) -> None:
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    finally:
        admin.dispose()


def _drop_database(url: str, name: str) -> None:
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> str:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as err:
        service_missing(f"PostgreSQL at {PG_URL}", err)
    return PG_URL


@pytest.fixture(scope="session")
def pg_template(pg_url: str) -> Iterator[str]:
    """A migrated, seeded PostgreSQL database, built once; tests get copies of it."""
    name = f"vca_tpl_{uuid.uuid4().hex[:10]}"
    _create_database(pg_url, name)
    try:
        db = Database.connect(_with_database(pg_url, name))
        upgrade(db)
        seeder.seed(db, customers=10)
        db.dispose()
        yield name
    finally:
        _drop_database(pg_url, name)


@pytest.fixture
def pg_db(pg_url: str, pg_template: str) -> Iterator[Database]:
    """A fresh copy of the seeded PostgreSQL database for one test."""
    name = f"vca_{uuid.uuid4().hex[:12]}"
    _create_database(pg_url, name, template=pg_template)
    db = Database.connect(_with_database(pg_url, name), pool_size=20)
    try:
        yield db
    finally:
        db.dispose()
        _drop_database(pg_url, name)


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """The same test on the embedded SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_db")
    return request.getfixturevalue("pg_db")
