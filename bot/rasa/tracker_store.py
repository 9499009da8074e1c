"""Erasing conversations from Rasa's own tracker store (for /delete and retention).

Rasa's HTTP API cannot delete a tracker, and its SQL tracker store only appends; so we delete
rows of its `events` table directly, through TRACKER_STORE_URL (the same store Rasa is given
in endpoints.yml, see bot.rasa.runtime). SQLAlchemy 2 Core from the bot's venv, run in a
thread: deletions are rare (one per /delete, one per day for retention).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

from sqlalchemy import (
    Column,
    ColumnElement,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5  # seconds; an unreachable store must fail fast, the update is retried

# The two columns we need of Rasa's `events` table (rasa/core/tracker_store.py, SQLEvent).
EVENTS = Table(
    "events",
    MetaData(),
    Column("sender_id", String(255)),
    Column("timestamp", Float),
)


class TrackerStoreUnavailable(RuntimeError):
    """Rasa's tracker store cannot be reached; nothing was deleted, try again later."""


def redacted(url: str | URL) -> str:
    """The URL for log lines and errors: never with its password."""
    return make_url(url).render_as_string(hide_password=True)


def bot_side_url(url: str) -> URL:
    """The tracker store URL with the bot venv's driver (psycopg 3; Rasa itself uses psycopg2)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


class RasaTrackerStore:
    """Deletes events from Rasa's SQL tracker store (SQLite file or PostgreSQL database)."""

    def __init__(self, url: str) -> None:
        self.url = bot_side_url(url)
        self.where = redacted(self.url)
        connect_args: dict[str, object] = {}
        if self.url.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
        else:
            connect_args["timeout"] = 10  # Rasa may hold SQLite's write lock for a moment
        # NullPool: no connection lingers between the rare deletions.
        self._engine: Engine = create_engine(
            self.url, poolclass=NullPool, hide_parameters=True, connect_args=connect_args
        )

    async def forget_sender(self, sender_id: str) -> int:
        """Delete every Rasa event of `sender_id` (/delete); returns how many rows went."""
        return await asyncio.to_thread(self._delete, EVENTS.c.sender_id == sender_id)

    async def forget_before(self, cutoff: dt.datetime) -> int:
        """Delete every Rasa event older than `cutoff` (the retention period)."""
        return await asyncio.to_thread(self._delete, EVENTS.c.timestamp < cutoff.timestamp())

    def _delete(self, condition: ColumnElement[bool]) -> int:
        self._check_file()
        try:
            with self._engine.begin() as connection:
                result = connection.execute(delete(EVENTS).where(condition))
                return result.rowcount
        except DBAPIError as exc:
            if _no_events_table(exc):
                logger.debug("Rasa's tracker store has no events table yet")
                return 0
            raise self._unavailable(exc) from None

    def _check_file(self) -> None:
        """A SQLite file that is not there is a wrong path or another host, not 'nothing'."""
        if self.url.get_backend_name() != "sqlite":
            return
        if not Path(self.url.database or "").is_file():
            raise TrackerStoreUnavailable(f"Rasa's tracker store {self.where} does not exist")

    def _unavailable(self, exc: DBAPIError) -> TrackerStoreUnavailable:
        # Only the driver's class name: its message may quote connection details.
        kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
        return TrackerStoreUnavailable(f"Rasa's tracker store {self.where} is unreachable ({kind})")

    def close(self) -> None:
        self._engine.dispose()


def _no_events_table(exc: DBAPIError) -> bool:
    """Rasa has not created its table yet (it does so at its first start)."""
    if getattr(exc.orig, "sqlstate", None) == "42P01":  # PostgreSQL: undefined_table
        return True
    return "no such table" in str(exc.orig)
