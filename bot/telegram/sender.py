"""Sending the outbox to Telegram: retries that honour 429 `retry_after`, backoff on 5xx.

Each chat's messages go out in order, one at a time; different chats go out in parallel and
independently: a chat whose send is slow (a timeout, a retry) never holds up the others.
Telegram being unreachable only delays messages: they stay in the outbox until delivered.
A database fault only pauses the sender; a write after Telegram accepted a message is retried
until it lands, since giving up would send the message a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.content.markup import to_plain_text
from bot.db.models import OutboxMessage, utcnow
from bot.inbox.database_faults import HEALTH, Backoff, DatabaseHealth, is_database_fault
from bot.storage import outbox
from bot.telegram.errors import retry_after_seconds

logger = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
IDLE_POLL = 1.0
STOP_GRACE = 5.0  # seconds for sends under way to finish (and be marked sent) on stop

Write = Callable[[AsyncSession], Awaitable[None]]


def backoff_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4 … seconds, at most a minute: keeps trying through long outages."""
    return dt.timedelta(seconds=min(2.0**attempts, MAX_BACKOFF))


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        max_parallel_chats: int = 8,
        health: DatabaseHealth = HEALTH,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.max_parallel_chats = max_parallel_chats
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._unreachable_logged = False
        self.health = health
        self._sending: dict[int, asyncio.Task[None]] = {}  # chat id -> its send under way

    def wake(self) -> None:
        """Something was added to the outbox: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        backoff = Backoff()
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    if not await self.send_due():
                        await self._wait_for_work()
                except Exception as exc:
                    if not is_database_fault(exc):
                        raise
                    self.health.failed(exc, "the outbox sender")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=backoff.next())
                    continue
                backoff.reset()
        finally:
            await self._finish_sending()

    async def send_due(self) -> bool:
        """Start sending the due head message of each chat that is not sending already.

        True if a send was started. Each send runs on its own and wakes the loop when done,
        so the next message of that chat goes out without waiting for any other chat.
        """
        free = self.max_parallel_chats - len(self._sending)
        if free <= 0:
            return False
        # A chat whose send is under way while we read may have its head marked sent just
        # after our read: that row is stale, so such chats wait for the next round.
        busy = set(self._sending)
        async with self.sessions() as session:
            heads = await outbox.due_heads(session, limit=self.max_parallel_chats * 2)
        self.health.ok("the outbox sender")
        started = False
        for row in heads:
            if free <= 0:
                break
            if row.chat_id in busy or row.chat_id in self._sending:
                continue
            self._sending[row.chat_id] = asyncio.create_task(
                self._send_one(row), name="outbox-send"
            )
            free -= 1
            started = True
        return started

    async def _send_one(self, row: OutboxMessage) -> None:
        try:
            await self._send(row)
        except Exception:  # an unexpected error: the row stays pending and is tried again
            logger.exception("sending outbox message %s failed unexpectedly", row.id)
        finally:
            self._sending.pop(row.chat_id, None)
            self._wake.set()

    async def _finish_sending(self) -> None:
        """On stop, let sends under way finish, so a delivered message is marked sent."""
        tasks = list(self._sending.values())
        if not tasks:
            return
        _, unfinished = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _write(self, write: Write) -> None:
        """One transaction after Telegram answered, retried through a database outage."""
        backoff = Backoff()
        while True:
            try:
                async with self.sessions.begin() as session:
                    await write(session)
            except Exception as exc:
                if not is_database_fault(exc):
                    raise
                self.health.failed(exc, "the outbox sender")
                await asyncio.sleep(backoff.next())
                continue
            self.health.ok("the outbox sender")
            return

    async def _wait_for_work(self) -> None:
        async with self.sessions() as session:
            due = await outbox.next_due_at(session)
        timeout = IDLE_POLL
        if due is not None:
            timeout = max(0.05, min(IDLE_POLL, (due - utcnow()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    async def _call(self, method: str, payload: dict[str, Any]) -> Message | bool:
        """One Bot API call from a stored payload (see bot.telegram.payloads)."""
        markup = payload.get("reply_markup")
        preview = payload.get("link_preview_options")
        common: dict[str, Any] = {
            "chat_id": payload["chat_id"],
            "text": payload["text"],
            "parse_mode": payload.get("parse_mode"),
            "reply_markup": InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None,
            "link_preview_options": LinkPreviewOptions(**preview) if preview else None,
        }
        if method == "sendMessage":
            return await self.bot.send_message(**common)
        if method == "editMessageText":
            return await self.bot.edit_message_text(message_id=payload["message_id"], **common)
        raise ValueError(f"outbox method {method!r} is not supported")

    async def _send(self, row: OutboxMessage) -> None:
        who = f"outbox message {row.id}"  # never the chat id; its chat may already be erased
        try:
            result = await self._call(row.method, row.payload)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            logger.warning("Telegram flood limit for %s: retrying in %.0f s", who, seconds)
            await self._retry(row, dt.timedelta(seconds=seconds), "429 retry_after")
            return
        except (BadRequest, Forbidden, ValueError) as exc:  # BadRequest is a NetworkError
            await self._permanent_error(row, exc, who)
            return
        except (TimedOut, NetworkError, TelegramError) as exc:
            if not self._unreachable_logged:
                logger.warning(
                    "Telegram not reachable (%s): outbox messages wait", type(exc).__name__
                )
                self._unreachable_logged = True
            await self._retry(row, backoff_delay(row.attempts), type(exc).__name__)
            return
        if self._unreachable_logged:
            logger.info("Telegram reachable again: sending the outbox")
            self._unreachable_logged = False
        message_id = result.message_id if isinstance(result, Message) else None

        async def mark_sent(session: AsyncSession) -> None:
            await outbox.mark_sent(session, row.id, message_id)

        await self._write(mark_sent)

    async def _retry(self, row: OutboxMessage, delay: dt.timedelta, error: str) -> None:
        async def schedule(session: AsyncSession) -> None:
            await outbox.schedule_retry(session, row.id, delay, error)

        await self._write(schedule)

    async def _permanent_error(self, row: OutboxMessage, exc: Exception, who: str) -> None:
        """400/403: retrying the same call cannot help; repair what can be repaired."""
        text = str(exc).lower()
        method, payload = row.method, dict(row.payload)
        if "message is not modified" in text:
            repair = "sent"
        elif method == "editMessageText" and (
            "to edit not found" in text or "can't be edited" in text
        ):
            repair = "send anew"
            method = "sendMessage"
            payload.pop("message_id", None)
        elif "can't parse entities" in text and payload.get("parse_mode"):
            repair = "plain text"
            payload.pop("parse_mode")
            payload["text"] = to_plain_text(str(payload.get("text", "")))
        else:
            repair = "give up"

        async def write(session: AsyncSession) -> None:
            if repair == "sent":
                await outbox.mark_sent(session, row.id, row.payload.get("message_id"))
            elif repair == "give up":
                await outbox.mark_failed(session, row.id, str(exc))
            else:
                await outbox.replace_payload(session, row.id, method, payload)

        await self._write(write)
        if repair == "plain text":
            logger.error("HTML rejected by Telegram for %s; resending as plain text", who)
        elif repair == "give up":
            logger.warning("giving up on %s: %s", who, exc)
