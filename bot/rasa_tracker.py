"""Erasing a user's conversation from Rasa's own tracker store (for /delete and retention).

Rasa's HTTP API cannot delete a tracker, and its SQL tracker store only appends; so we delete
the rows of its `events` table directly. The tracker database is ours (see rasa_runtime).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

logger = logging.getLogger(__name__)


def forget_sender(tracker_db: Path, sender_id: str) -> int:
    """Delete every Rasa event of `sender_id`; returns how many rows went."""
    if not tracker_db.exists():
        return 0
    with sqlite3.connect(tracker_db, timeout=10) as connection:
        try:
            cursor = connection.execute("DELETE FROM events WHERE sender_id = ?", (sender_id,))
        except sqlite3.OperationalError as exc:  # no table yet: Rasa never stored anything
            logger.debug("nothing to forget in Rasa's tracker: %s", exc)
            return 0
        return cursor.rowcount
