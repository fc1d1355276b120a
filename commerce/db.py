"""Database engines and sessions for SQLite (embedded default) and PostgreSQL (at scale).

SQLite serialises writers. So that two writers never deadlock while upgrading a read lock, a
write session starts with ``BEGIN IMMEDIATE`` and waits (busy timeout) for its turn, while read
sessions start a plain deferred transaction. WAL mode lets readers run beside the writer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


def private_sqlite_file(path: Path) -> None:
    """Create the SQLite database ``path`` (and chmod an existing one and its WAL files)
    readable by its owner only: it holds customers' data and token hashes. SQLite gives the
    journal and WAL files it creates later the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077 and file.stat().st_uid == os.getuid():
            file.chmod(0o600)


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


@dataclass
class Database:
    """A reader and a writer engine on one database (the same engine except on SQLite)."""

    url: str
    reader: Engine
    writer: Engine

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10) -> Database:
        url = normalise_url(url)
        if url.startswith("sqlite"):
            database = make_url(url).database
            if database and database != ":memory:" and not database.startswith("file:"):
                private_sqlite_file(Path(database))
            return cls(url, _sqlite_engine(url, "BEGIN"), _sqlite_engine(url, "BEGIN IMMEDIATE"))
        engine = create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)
        return cls(url, engine, engine)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def __post_init__(self) -> None:
        self._read = sessionmaker(self.reader, expire_on_commit=False)
        self._write = sessionmaker(self.writer, expire_on_commit=False)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        factory = self._write if write else self._read
        with factory() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()
