"""The content store as published right now: files plus the editors' database overlay.

`LiveContent` is a `ContentStore` whose entries and catalog come from the store it currently
holds. It looks at the overlay version (one `SELECT max(id)`) at most every
CONTENT_REFRESH_SECONDS and rebuilds the store when it changed, so a publish in the
dashboard reaches menus and answers of the bot and the action server without a restart.

Two ways to stay current: the bot runs `watch()` (checks in a thread, never blocking its
event loop); the action server and the dashboard let `current()` check when it is due.
A database that cannot be read keeps the last store (a warning once, then a line when it
is back): answers are never lost over a refresh.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.content.overlay import Overlay, OverlayVersion, build_store, read_overlay, read_version
from bot.content.store import Catalog, ContentEntry, ContentError, ContentStore, FileCache
from bot.db.engine import make_sync_engine

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 2.0


class LiveContent(ContentStore):
    """A ContentStore that follows what editors publish (see the module docstring)."""

    def __init__(
        self,
        content_dir: Path,
        engine: Engine | None,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # No super().__init__: entries and catalog are read from the current store.
        self.content_dir = content_dir
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._files = FileCache(content_dir)
        self._lock = threading.Lock()
        self._version: OverlayVersion | None = None
        self._checked_at = clock()
        self._failing = False
        self._watched = False
        self._store = self._build(self._read() if engine is not None else None)

    # ContentStore reads these two; they follow the current store.
    @property
    def catalog(self) -> Catalog:
        return self.current().catalog

    @catalog.setter
    def catalog(self, value: Catalog) -> None:  # pragma: no cover - never set
        raise AttributeError("the catalog of live content follows the published store")

    @property
    def _entries(self) -> dict[tuple[str, str], ContentEntry]:
        return self.current()._entries

    @_entries.setter
    def _entries(self, value: dict[tuple[str, str], ContentEntry]) -> None:  # pragma: no cover
        raise AttributeError("the entries of live content follow the published store")

    def current(self) -> ContentStore:
        """The published store; checks the database first when a check is due."""
        if not self._watched and self._clock() - self._checked_at >= self.refresh_seconds:
            self.refresh()
        return self._store

    def refresh(self, force: bool = False) -> bool:
        """Rebuild when the overlay version changed (or `force`); True if it was rebuilt."""
        if self.engine is None:
            return False
        with self._lock:
            self._checked_at = self._clock()
            try:
                with self.engine.connect() as connection:
                    version = read_version(connection)
                if version == self._version and not force:
                    return False
                overlay = self._read()
            except SQLAlchemyError as exc:
                if not self._failing:
                    logger.warning(
                        "published content cannot be read (%s); serving the last content",
                        type(exc).__name__,
                    )
                self._failing = True
                return False
            if self._failing:
                logger.info("published content readable again")
                self._failing = False
            try:
                self._store = self._build(overlay)
            except (ContentError, OSError, ValueError) as exc:
                # A file changed on disk and cannot be read: keep serving the last store.
                logger.warning("content not rebuilt, a file cannot be read: %s", exc)
                return False
            logger.info(
                "published content loaded: up to revision %d, %d answers from the database",
                self._version[0] if self._version else 0,
                len(overlay.revisions) if overlay else 0,
            )
            return True

    async def watch(self, on_change: Callable[[], Awaitable[None]] | None = None) -> None:
        """The bot's loop: check every CONTENT_REFRESH_SECONDS, in a thread.

        `on_change` runs at the start and after every rebuild; if it fails it runs again
        after the next check, so it must be idempotent.
        """
        self._watched = True
        pending = on_change is not None
        failing = False
        try:
            while True:
                if pending and on_change is not None:
                    try:
                        await on_change()
                        pending = failing = False
                    except Exception as exc:
                        if not failing:
                            logger.warning(
                                "acting on published content failed (%s); trying again",
                                type(exc).__name__,
                            )
                        failing = True
                await asyncio.sleep(self.refresh_seconds)
                try:
                    pending = await asyncio.to_thread(self.refresh) or pending
                except Exception:  # the bot must keep answering with the last content
                    logger.exception("looking for published content failed; trying again")
        finally:
            self._watched = False

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def _read(self) -> Overlay | None:
        """Version and overlay read together, so the version names what was read."""
        assert self.engine is not None
        try:
            with Session(self.engine) as session:
                version = read_version(session.connection())
                overlay = read_overlay(session)
        except SQLAlchemyError as exc:
            if self._store_exists():
                raise
            logger.warning(
                "published content cannot be read (%s); serving the files in content/",
                type(exc).__name__,
            )
            self._failing = True
            return None
        self._version = version
        return overlay

    def _store_exists(self) -> bool:
        return "_store" in self.__dict__

    def _build(self, overlay: Overlay | None) -> ContentStore:
        return build_store(
            self.content_dir, self._files.catalog(), self._files.entries(), overlay or Overlay()
        )


def live_content(settings: Settings) -> LiveContent:
    """The published content for this process, read from the bot's database."""
    return LiveContent(
        settings.content_dir,
        make_sync_engine(settings.database_url),
        settings.content_refresh_seconds,
    )
