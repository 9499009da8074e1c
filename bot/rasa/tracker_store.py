"""Erasing a user's conversation from Rasa's own tracker store (for /delete and retention).

Rasa's HTTP API cannot delete a tracker, and its SQL tracker store only appends; so we delete
the rows of its `events` table directly. The tracker database is ours (see rasa_runtime).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

logger = logging.getLogger(__name__)


def _delete(tracker_db: Path, where: str, parameters: tuple[object, ...]) -> int:
    if not tracker_db.exists():
        return 0
    with sqlite3.connect(tracker_db, timeout=10) as connection:
        try:
            cursor = connection.execute(f"DELETE FROM events WHERE {where}", parameters)  # noqa: S608
        except sqlite3.OperationalError as exc:  # no table yet: Rasa never stored anything
            logger.debug("nothing to forget in Rasa's tracker: %s", exc)
            return 0
        return cursor.rowcount


def forget_sender(tracker_db: Path, sender_id: str) -> int:
    """Delete every Rasa event of `sender_id` (/delete); returns how many rows went."""
    return _delete(tracker_db, "sender_id = ?", (sender_id,))


def forget_before(tracker_db: Path, cutoff: dt.datetime) -> int:
    """Delete every Rasa event older than `cutoff` (the retention period)."""
    return _delete(tracker_db, "timestamp < ?", (cutoff.timestamp(),))
