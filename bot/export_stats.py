"""`python -m bot export stats`: what editors need to improve the content, with no text at all.

Why a separate export: the conversation export is pseudonymous, not anonymous — a stable
pseudonym plus free text can identify a person. Editors mostly need counts: which answers are
used, which intents arrive, where the bot falls back (`fallback.clarify`,
`fallback.out_of_scope`, `handoff.offer` …), per language and ISO week. This export has no
text, no pseudonym and no case number; the database does the counting (GROUP BY per day, folded
into ISO weeks here, because SQLite has no ISO-week function that PostgreSQL shares).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.db.models import ConversationMessage
from bot.telegram.handlers import BOT_COMMANDS

STATS_FIELDS = ("week", "direction", "language", "intent", "content_key", "fallback", "count")
FALLBACK_PREFIXES = ("fallback.", "handoff.offer")
OTHER = "other"
# Keys and intents are identifiers; anything else (there should be nothing) is not exported.
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.\-]{1,80}")

StatsKey = tuple[str, str, str, str, str, str]


def _day_column(engine: Engine) -> Any:
    """The UTC calendar day of a message, in SQL that both databases understand."""
    created = ConversationMessage.created_at
    if engine.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", created))
    return func.date(created)  # SQLite stores the UTC time as text


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def safe_label(value: str | None) -> str:
    """An intent or content key as exported: never user text, not even a mistyped command."""
    if not value:
        return ""
    if value.startswith("command.") and value.removeprefix("command.") not in BOT_COMMANDS:
        return "command.other"  # `/anything` a user typed becomes an intent name
    return value if _IDENTIFIER.fullmatch(value) else OTHER


def fallback_kind(content_key: str) -> str:
    return content_key if content_key.startswith(FALLBACK_PREFIXES) else ""


def _grouped_rows(engine: Engine, since: dt.datetime | None) -> Iterator[tuple[Any, ...]]:
    day = _day_column(engine).label("day")
    m = ConversationMessage
    columns = (day, m.direction, m.language, m.intent, m.content_key)
    query = select(*columns, func.count()).group_by(*columns)
    if since is not None:
        query = query.where(m.created_at >= since)
    with Session(engine) as session:
        yield from session.execute(query)


def stats(engine: Engine, since: dt.datetime | None = None) -> Counter[StatsKey]:
    counts: Counter[StatsKey] = Counter()
    for day, direction, language, intent, content_key, count in _grouped_rows(engine, since):
        key_label = safe_label(content_key)
        counts[
            (
                iso_week(_as_date(day)),
                direction,
                safe_label(language),
                safe_label(intent),
                key_label,
                fallback_kind(key_label),
            )
        ] += count
    return counts


def write_csv(counts: Counter[StatsKey], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATS_FIELDS)
    rows: Iterable[tuple[StatsKey, int]] = sorted(counts.items())
    for key, count in rows:
        writer.writerow((*key, count))
    return len(counts)
