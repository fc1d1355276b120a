"""Customers' conversations in Rasa's tracker store: filed by subject, exported, erased, and
purged once older than the retention period.

A signed-in customer's conversation id begins with their ``subject`` (a random key the
commerce service gives each customer, meaning nothing outside these two stores) and a dot,
so all of one customer's conversations are found without a table of who said what: what
``GET /v1/me/export`` and ``DELETE /v1/me`` leave to the assistant (``run_assistant.py
conversations export|erase SUBJECT``). Every event older than ``keep_days`` (endpoints.yml)
is deleted by the tracker store on start and daily after, and by ``conversations purge``.

Python 3.10 syntax and SQLAlchemy Core that works on 1.4 and 2.x: the tracker store imports
this inside Rasa's environment, the commands in the assistant's.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

KEEP_DAYS = 30  # the retention period unless endpoints.yml's tracker_store says keep_days
SUBJECT = re.compile(r"[0-9a-f]{32}")
EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("intent_name", sa.String),
    sa.column("action_name", sa.String),
    sa.column("data", sa.Text),
)
SAID = {"user": "customer", "bot": "assistant"}  # the events whose words a person reads


def conversation_id(subject: str | None, name: str) -> str:
    """The id of a conversation: ``name`` filed under the customer's subject when known."""
    return f"{subject}.{name}" if subject else name


def _check(subject: str) -> str:
    if not SUBJECT.fullmatch(subject):
        raise ValueError("a subject is 32 lowercase hex digits (GET /v1/me answers it)")
    return subject


def _of(subject: str) -> Any:
    return EVENTS.c.sender_id.startswith(_check(subject) + ".", autoescape=True)


def store_url(tracker_store: Mapping[str, Any], root: Path | None = None) -> str:
    """The database URL of an endpoints.yml ``tracker_store`` entry (``${VAR}`` expanded)."""

    def value(key: str) -> str | None:
        found = tracker_store.get(key)
        return None if found is None else os.path.expandvars(str(found))

    dialect = value("dialect") or "sqlite"
    db = value("db") or "rasa.db"
    if dialect == "sqlite":
        path = Path(db)
        return f"sqlite:///{path if path.is_absolute() or root is None else root / path}"
    port = value("port")
    url = sa.engine.URL.create(
        "postgresql+psycopg" if dialect == "postgresql" else dialect,
        username=value("username"),
        password=value("password"),
        host=value("url") or "localhost",
        port=int(port) if port else None,
        database=db,
    )
    return url.render_as_string(hide_password=False)


def tracker_store_of(endpoints: Path) -> dict[str, Any]:
    """The ``tracker_store`` entry of an endpoints file."""
    entry: dict[str, Any] = (yaml.safe_load(endpoints.read_text()) or {}).get("tracker_store") or {}
    return entry


def open_store(endpoints: Path, root: Path) -> sa.engine.Engine:
    """An engine on the tracker store an endpoints file names (relative paths from ``root``)."""
    return sa.create_engine(store_url(tracker_store_of(endpoints), root))


def export(engine: sa.engine.Engine, subject: str) -> list[dict[str, Any]]:
    """The customer's conversations: per conversation, what was said by whom and when, and
    what the assistant understood (no slots: they repeat the commerce service's records)."""
    rows = sa.select(
        EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data
    ).where(_of(subject), EVENTS.c.type_name.in_(list(SAID)))
    conversations: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as connection:
        for sender, kind, timestamp, data in connection.execute(
            rows.order_by(EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.id)
        ):
            event = json.loads(data or "{}")
            said: dict[str, Any] = {
                "by": SAID[kind],
                "at": datetime.fromtimestamp(timestamp, timezone.utc).isoformat(),
                "text": event.get("text"),
            }
            if kind == "user":
                said["understood"] = (event.get("parse_data") or {}).get("intent", {}).get("name")
            conversations.setdefault(sender, []).append(said)
    return [{"conversation": name, "turns": turns} for name, turns in conversations.items()]


def _delete(engine: sa.engine.Engine, where: Any) -> int:
    with engine.begin() as connection:
        deleted = int(connection.execute(sa.delete(EVENTS).where(where)).rowcount or 0)
    if deleted and engine.dialect.name == "sqlite":
        with engine.connect() as connection:  # the words gone from the file's pages too
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
    return deleted


def erase(engine: sa.engine.Engine, subject: str) -> int:
    """Delete every event of the customer's conversations; how many there were."""
    return _delete(engine, _of(subject))


def purge(engine: sa.engine.Engine, keep_days: int, now: datetime | None = None) -> int:
    """Delete every event older than ``keep_days`` days; how many there were."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=keep_days)
    return _delete(engine, EVENTS.c.timestamp < cutoff.timestamp())
