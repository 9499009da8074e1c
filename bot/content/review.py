"""Is an answer checked, due for another check, or translated from an older German text?

One place for these rules, so the bot's honesty line, `content check` and the editors'
pages agree about the state of an answer.
"""

from __future__ import annotations

import datetime as dt

from bot.content.store import SOURCE_LANGUAGE, ContentEntry

DEFAULT_REVIEW_MAX_AGE = dt.timedelta(days=183)  # six months (REVIEW_MAX_AGE)


def is_outdated(entry: ContentEntry, source: ContentEntry | None) -> bool:
    """A translation whose German source changed after it was made (or checked)."""
    if entry.language == SOURCE_LANGUAGE or source is None or entry.source_hash is None:
        return False
    return entry.source_hash not in {"PENDING", source.fingerprint}


def is_checked(entry: ContentEntry, source: ContentEntry | None) -> bool:
    """Checked by an editor, for the text it renders now: `reviewed` and not outdated."""
    return entry.status == "reviewed" and not is_outdated(entry, source)


def is_due(entry: ContentEntry, today: dt.date, max_age: dt.timedelta) -> bool:
    """The last check against the sources is older than REVIEW_MAX_AGE."""
    return entry.reviewed is not None and today - entry.reviewed > max_age
