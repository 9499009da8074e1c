"""Editors' changes in the database, laid over the files in content/.

A publish in the dashboard saves the whole Markdown file (front matter and text) as a row of
`content_revisions`; the newest row per key and language that `content export` has not yet
written back overrides the file. Keys taught in the browser (`content_keys`) extend the
catalog. Every process (bot, action server, dashboard) builds the same store from the same
rows, and the rows are also the history of who changed what.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.content.store import (
    Catalog,
    ContentEntry,
    ContentError,
    ContentStore,
    entry_path,
    parse_text,
)
from bot.db.models import ContentKey, ContentRevision

logger = logging.getLogger(__name__)

OverlayVersion = tuple[int, int]  # newest revision id, number of taught keys

VERSION_QUERY = select(
    select(func.coalesce(func.max(ContentRevision.id), 0)).scalar_subquery(),
    select(func.count()).select_from(ContentKey).scalar_subquery(),
)
PENDING_QUERY = (
    select(ContentRevision).where(ContentRevision.exported.is_(False)).order_by(ContentRevision.id)
)
PENDING_KEYS_QUERY = (
    select(ContentKey.key, ContentKey.topic)
    .where(ContentKey.exported.is_(False))
    .order_by(ContentKey.created_at, ContentKey.key)
)


@dataclass(frozen=True)
class Revision:
    """One published version of one answer in one language."""

    id: int
    key: str
    language: str
    text: str
    action: str
    author_name: str
    created_at: dt.datetime

    @classmethod
    def of(cls, row: ContentRevision) -> Revision:
        return cls(
            row.id, row.key, row.language, row.text, row.action, row.author_name, row.created_at
        )


@dataclass(frozen=True)
class Overlay:
    """What the database adds to the files: newest pending revisions and taught keys."""

    revisions: tuple[Revision, ...] = ()
    keys: tuple[tuple[str, str], ...] = ()  # (full key, topic)


def newest_per_entry(rows: Iterable[Revision]) -> list[Revision]:
    """The newest revision of each (key, language); rows come oldest first."""
    newest: dict[tuple[str, str], Revision] = {}
    for row in rows:
        newest[(row.key, row.language)] = row
    return list(newest.values())


def read_version(connection: Connection) -> OverlayVersion:
    """One cheap query: changes whenever something is published or a key is taught."""
    row = connection.execute(VERSION_QUERY).one()
    return int(row[0] or 0), int(row[1] or 0)


def read_overlay(session: Session) -> Overlay:
    rows = [Revision.of(r) for r in session.scalars(PENDING_QUERY)]
    keys = tuple((str(k), str(t)) for k, t in session.execute(PENDING_KEYS_QUERY))
    return Overlay(tuple(newest_per_entry(rows)), keys)


async def read_overlay_async(session: AsyncSession) -> Overlay:
    rows = [Revision.of(r) for r in await session.scalars(PENDING_QUERY)]
    keys = tuple((str(k), str(t)) for k, t in await session.execute(PENDING_KEYS_QUERY))
    return Overlay(tuple(newest_per_entry(rows)), keys)


def revision_entry(content_dir: Path, key: str, language: str, text: str) -> ContentEntry:
    """A revision's text read like the file it replaces; errors name key and language."""
    where = f"revision of {key} ({language})"
    try:
        path = entry_path(content_dir, key, language)
    except ValueError as exc:
        raise ContentError(f"{where}: '{key}' is not a full key like 'topic.key'") from exc
    entry = parse_text(text, path, where)
    if entry.key != key or entry.language != language:
        raise ContentError(f"{where}: its front matter names {entry.key} ({entry.language})")
    return entry


def with_keys(catalog: Catalog, keys: Iterable[tuple[str, str]]) -> Catalog:
    """The catalog with taught keys added at the end of their topic (new topics last)."""
    topics = {topic: list(names) for topic, names in catalog.topics.items()}
    for key, topic in keys:
        short = key.split(".", 1)[1] if "." in key else key
        names = topics.setdefault(topic, [])
        if short not in names:
            names.append(short)
    return Catalog(topics=topics)


def build_store(
    content_dir: Path, catalog: Catalog, files: Iterable[ContentEntry], overlay: Overlay
) -> ContentStore:
    """Files, then each pending revision in place of its file. A revision that cannot be
    read (publishing checks it, so only a hand-edited row) is skipped with a warning."""
    entries = {(e.key, e.language): e for e in files}
    for revision in overlay.revisions:
        try:
            entry = revision_entry(content_dir, revision.key, revision.language, revision.text)
        except (ContentError, ValueError) as exc:
            logger.warning("revision %d is not readable, the file is served: %s", revision.id, exc)
            continue
        entries[(entry.key, entry.language)] = entry
    return ContentStore(with_keys(catalog, overlay.keys), entries.values())


# --- writing revisions ------------------------------------------------------------------


def entry_text(
    *,
    key: str,
    language: str,
    title: str,
    body: str,
    sources: Iterable[str],
    reviewed: dt.date | None,
    status: str,
    needs_local_review: bool,
    related: Iterable[str],
    source_hash: str | None = None,
) -> str:
    """A content file's text, front matter in the order the files use."""
    meta: dict[str, Any] = {"key": key, "language": language, "title": title}
    meta["sources"] = [s for s in sources if s]
    meta["reviewed"] = reviewed
    meta["status"] = status
    if source_hash:
        meta["source_hash"] = source_hash
    meta["needs_local_review"] = needs_local_review
    related = list(related)
    if related:
        meta["related"] = related
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n{body.strip()}\n"


def text_of(entry: ContentEntry, **changes: Any) -> str:
    """The file text of `entry`, with some fields changed."""
    fields: dict[str, Any] = {
        "key": entry.key,
        "language": entry.language,
        "title": entry.title,
        "body": entry.body,
        "sources": entry.sources,
        "reviewed": entry.reviewed,
        "status": entry.status,
        "needs_local_review": entry.needs_local_review,
        "related": entry.related,
        "source_hash": entry.source_hash,
    }
    fields.update(changes)
    return entry_text(**fields)


def add_revision(
    session: AsyncSession,
    key: str,
    language: str,
    text: str,
    action: str,
    author_id: int | None,
    author_name: str,
) -> ContentRevision:
    row = ContentRevision(
        key=key,
        language=language,
        text=text,
        action=action,
        author_id=author_id,
        author_name=author_name[:80],
    )
    session.add(row)
    return row


async def history(session: AsyncSession, key: str, limit: int = 100) -> list[Revision]:
    """Who changed which language of a key, newest first."""
    query = (
        select(ContentRevision)
        .where(ContentRevision.key == key)
        .order_by(ContentRevision.id.desc())
        .limit(limit)
    )
    return [Revision.of(r) for r in await session.scalars(query)]
