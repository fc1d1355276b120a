"""Rasa's SQL tracker store without the secrets that travel with a turn.

Runs inside Rasa (``.venv-rasa``; Python 3.10 syntax); endpoints.yml names it as the tracker
store's ``type``. The front end hands the customer's token (and, once, a PIN ticket) to the
action server directly (``skills/handover.py``), so no message Rasa gets should carry one. This
store is the second line: should a caller still put one in a message's metadata, what it
writes keeps none of it, wherever it appears in an event (the message's metadata, its parse
data, the ``session_started_metadata`` slot), and it logs that it had to (the key, never the
value): the security tests look for that line. On start it scrubs what an older store wrote.

It also keeps conversations no longer than ``keep_days`` (an entry of the tracker store in
endpoints.yml; 30 unless set): older events are deleted when it starts and once a day after
(``assistant/conversations.py``; ``run_assistant.py conversations purge`` does it by hand).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from sqlalchemy import Index, or_

from assistant import conversations

SECRET_KEYS = frozenset({"customer_token", "pin_ticket"})
PURGE_EVERY_S = 24 * 3600.0
log = logging.getLogger(__name__)


def secret_keys_in(value: Any) -> set[str]:
    """The SECRET_KEYS that ``value`` (a JSON-like structure) holds, at any depth."""
    if isinstance(value, dict):
        found = {k for k in value if k in SECRET_KEYS}
        return found.union(*(secret_keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(secret_keys_in(v) for v in value))
    return set()


def without_secrets(value: Any) -> Any:
    """``value`` (a JSON-like structure) with every SECRET_KEYS entry left out, at any depth."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


class PrivateSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that stores each new event without the turn's secrets, and on
    start takes them out of what an earlier store wrote."""

    def __init__(self, *args: Any, keep_days: int = conversations.KEEP_DAYS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep_days = int(keep_days)
        self.scrub_stored()
        self.index_sessions()
        self._purge_daily()

    def _purge_daily(self) -> None:
        """Delete what is older than ``keep_days`` now, and again in a day (a daemon timer:
        it dies with Rasa, and the next start purges first)."""
        try:
            purged = conversations.purge(self.engine, self.keep_days)
            if purged:
                log.info("retention: %d events older than %d days deleted", purged, self.keep_days)
        except Exception:  # a failed purge must not stop the conversations; tried again tomorrow
            log.exception("retention: the purge of old conversations failed")
        timer = threading.Timer(PURGE_EVERY_S, self._purge_daily)
        timer.daemon = True
        timer.start()

    def index_sessions(self) -> None:
        """Indexes for what every turn asks of the table: where the conversation's latest
        session starts, and that session's events (Rasa indexes ``sender_id`` alone, so each
        turn scanned every event the conversation ever had)."""
        event = self.SQLEvent
        for index in (
            Index("ix_events_sender_type_time", event.sender_id, event.type_name, event.timestamp),
            Index("ix_events_sender_time", event.sender_id, event.timestamp),
        ):
            index.create(self.engine, checkfirst=True)

    def scrub_stored(self) -> int:
        """Rewrite the stored events that hold a secret without it; how many there were.
        On SQLite the file is vacuumed after, so the old text is gone from its pages too."""
        event = self.SQLEvent
        suspects = or_(*(event.data.like(f'%"{key}"%') for key in sorted(SECRET_KEYS)))
        with self.session_scope() as session:
            rows = session.query(event).filter(suspects).all()
            for row in rows:
                row.data = json.dumps(without_secrets(json.loads(row.data)))
            session.commit()
        if rows and self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
        return len(rows)

    def _additional_events(self, session: Any, tracker: Any) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            data = event.as_dict()
            leaked = secret_keys_in(data)
            if leaked:
                log.warning(
                    "a secret reached Rasa in a %s event (%s): left out of the store",
                    data.get("event"),
                    ", ".join(sorted(leaked)),
                )
            stored = Event.from_parameters(without_secrets(data))
            yield stored if stored is not None else event

    def events_in_session(self, sender_id: str) -> int:
        """How many events the conversation's current session holds (one SQL count): what
        each of its turns reads and replays (``assistant/rasa_channel.py`` keeps it bounded)."""
        with self.session_scope() as session:
            return int(self._event_query(session, sender_id, False).count())
