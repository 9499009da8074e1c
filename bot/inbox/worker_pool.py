"""The inbox worker pool: chats in parallel, each chat strictly in order.

One worker task per chat with pending updates. A slow Rasa call delays only its own chat;
an update that must wait (Rasa down) holds back the later updates of the same chat, so
answers never overtake each other — except commands and buttons that never need Rasa
(`bot.inbox.ordering`). The database, not memory, says what is pending, so a restart
resumes exactly where the last process stopped.

A database fault (PostgreSQL restarting, SQLite busy) leaves the update pending and the
worker retries with backoff; the answer and `done` are written in one transaction, so a
retry never answers twice. Such faults never count as a failed attempt of the update: its
repeat is not counted again (only noted in `last_error`, so the turn knows Rasa may have
answered already), and only real errors bring it to MAX_ATTEMPTS. (Kept in memory: after a
restart the interrupted try counts, as a crash should.)

A question that waits for Rasa sits out its retry step (5 s … 60 s) unless Rasa is back
earlier: `rasa_is_back` (from bot.rasa.health.RasaOutage) lets it go at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.db.models import Chat, InboxUpdate, utcnow
from bot.i18n import has_language
from bot.inbox.database_faults import HEALTH, Backoff, DatabaseHealth, is_database_fault
from bot.inbox.ordering import may_overtake, waits_for_rasa
from bot.replies import compose
from bot.storage import inbox, outbox
from bot.telegram.payloads import reply_to_bot_api

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
DATABASE_FAULT = "database fault"  # `last_error` of an update a database fault interrupted
SWEEP_INTERVAL = 30.0


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _seconds_until_due(row: InboxUpdate) -> float:
    return (_aware(row.next_attempt_at) - utcnow()).total_seconds()


class InboxWorkerPool:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        sessions: async_sessionmaker[AsyncSession],
        default_language: str,
        on_outbox: Callable[[], None] = lambda: None,
        max_concurrent: int = 16,
        health: DatabaseHealth = HEALTH,
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.default_language = default_language
        self.on_outbox = on_outbox
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._dirty: set[int] = set()
        self._wakeups: dict[int, asyncio.Event] = {}
        self._rasa_back: set[int] = set()  # chats whose waiting question may go now
        self.health = health
        self._errors: dict[int, BaseException] = {}
        self._after_fault: set[int] = set()  # updates whose last try a database fault cut short
        self._semaphore = asyncio.Semaphore(max_concurrent)
        application.add_error_handler(self._record_error)

    async def _record_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's error handler: remember what failed so the worker can retry that update."""
        if isinstance(update, Update) and context.error is not None:
            self._errors[update.update_id] = context.error

    def notify(self, chat_id: int) -> None:
        """New work for a chat: start its worker, or tell the running one to look again."""
        worker = self._workers.get(chat_id)
        if worker is not None and not worker.done():
            self._dirty.add(chat_id)
            self._wakeup(chat_id).set()  # a waiting worker looks again: it may overtake
            return
        self._workers[chat_id] = asyncio.create_task(self._work(chat_id), name="chat-worker")

    def rasa_is_back(self) -> None:
        """Rasa answers again: each chat whose next question waits for it tries it now."""
        for chat_id, worker in self._workers.items():
            if not worker.done():
                self._rasa_back.add(chat_id)
                self._wakeup(chat_id).set()

    def _wakeup(self, chat_id: int) -> asyncio.Event:
        return self._wakeups.setdefault(chat_id, asyncio.Event())

    async def resume(self) -> int:
        """Start workers for every chat with pending updates (after a restart, and periodically).

        With the database unreachable this starts nothing: the next sweep tries again.
        """
        try:
            async with self.sessions() as session:
                chats = await inbox.chats_with_pending(session)
        except Exception as exc:
            if not is_database_fault(exc):
                raise
            self.health.failed(exc, "the inbox sweep")
            return 0
        self.health.ok("the inbox sweep")
        for chat_id in chats:
            self.notify(chat_id)
        return len(chats)

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            try:
                await self.resume()
            except Exception:  # the sweep is the safety net: it must outlive any error
                logger.exception("inbox sweep failed; next one in %.0f s", SWEEP_INTERVAL)

    async def stop(self) -> None:
        for worker in self._workers.values():
            worker.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
        self._workers.clear()

    async def _work(self, chat_id: int) -> None:
        backoff = Backoff()
        while True:
            self._dirty.discard(chat_id)
            self._wakeup(chat_id).clear()
            try:
                finished = await self._step(chat_id)
            except Exception as exc:  # never let one update kill the chat's worker
                if is_database_fault(exc):
                    self.health.failed(exc, "an inbox worker")
                    await asyncio.sleep(backoff.next())
                else:
                    logger.exception("processing an update of a chat failed unexpectedly")
                    await asyncio.sleep(1)
                continue
            backoff.reset()
            if finished:
                self._wakeups.pop(chat_id, None)
                self._rasa_back.discard(chat_id)
                return

    async def _step(self, chat_id: int) -> bool:
        """Handle the chat's next update, or wait for it to be due; True when nothing is left."""
        async with self.sessions() as session:
            row = await inbox.oldest_pending(session, chat_id)
            if row is not None and _seconds_until_due(row) > 0 and waits_for_rasa(row.payload):
                later = await inbox.due_pending_after(session, chat_id, row.update_id)
                row = next((r for r in later if may_overtake(r.payload)), row)
        self.health.ok("an inbox worker")
        if row is None:
            if chat_id in self._dirty:
                return False
            self._workers.pop(chat_id, None)
            return True
        wait = _seconds_until_due(row)
        if chat_id in self._rasa_back and waits_for_rasa(row.payload):
            self._rasa_back.discard(chat_id)
            wait = 0.0  # Rasa is back: no need to sit out the rest of the retry step
        if wait > 0:
            # Until it is due, or until new work arrives that may overtake it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup(chat_id).wait(), timeout=wait)
            return False
        async with self._semaphore:
            await self._process(row)
        return False

    async def _start(self, session: AsyncSession, update_id: int) -> int:
        """Count a try of the update, unless it repeats one a database fault cut short."""
        if update_id not in self._after_fault:
            return await inbox.mark_started(session, update_id)
        row = await session.get(InboxUpdate, update_id)
        assert row is not None
        row.last_error = DATABASE_FAULT  # tried before: Rasa may have answered it already
        return row.attempts

    async def _process(self, row: InboxUpdate) -> None:
        async with self.sessions.begin() as session:
            attempts = await self._start(session, row.update_id)
        self._after_fault.discard(row.update_id)
        try:
            await self._handle(row, attempts)
        except Exception as exc:
            if is_database_fault(exc):
                self._after_fault.add(row.update_id)  # `_work` retries it without counting
            raise

    async def _handle(self, row: InboxUpdate, attempts: int) -> None:
        started = utcnow()
        try:
            update = Update.de_json(row.payload, self.application.bot)
        except Exception as exc:  # stored before PTB could read it (the poller checks first)
            logger.warning(
                "update %s cannot be read (%s); skipped", row.update_id, type(exc).__name__
            )
            async with self.sessions.begin() as session:
                await inbox.mark_done(session, row.update_id, status="unparsable")
            return
        await self.application.process_update(update)
        error = self._errors.pop(row.update_id, None)
        if error is not None and is_database_fault(error):
            raise error  # nothing was written: `_work` retries the same update after a pause
        async with self.sessions.begin() as session:
            current = await session.get(InboxUpdate, row.update_id)
            if current is None or current.status != "pending":
                return
            if error is None:
                if _aware(current.next_attempt_at) <= started:
                    # No handler took it (an edited message, a group chat): nothing to answer.
                    await inbox.mark_done(session, row.update_id, status="ignored")
                return
            logger.error(
                "update %s failed (attempt %s/%s): %s",
                row.update_id,
                attempts,
                MAX_ATTEMPTS,
                type(error).__name__,
                exc_info=error,
            )
            if attempts >= MAX_ATTEMPTS:
                await inbox.mark_done(session, row.update_id, status="failed")
                chat_id = int(current.chat_id or 0)
                chat = await session.get(Chat, chat_id)
                language = (
                    chat.language
                    if chat and chat.language and has_language(chat.language)
                    else None
                )
                apology = compose.plain("meta.error", language or self.default_language)
                for method, payload in reply_to_bot_api(apology, chat_id):
                    outbox.enqueue(session, chat_id, method, payload, row.update_id)
            else:
                await inbox.schedule_retry(
                    session, row.update_id, dt.timedelta(seconds=2**attempts), type(error).__name__
                )
        self.on_outbox()
