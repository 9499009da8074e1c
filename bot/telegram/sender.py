"""Sending the outbox to Telegram: retries that honour 429 `retry_after`, backoff on 5xx.

Each chat's messages go out in order, one at a time; different chats go out in parallel.
Telegram being unreachable only delays messages: they stay in the outbox until delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
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
from bot.privacy import pseudonymise
from bot.storage import outbox
from bot.telegram.errors import retry_after_seconds

logger = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
IDLE_POLL = 1.0


def backoff_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4 … seconds, at most a minute: keeps trying through long outages."""
    return dt.timedelta(seconds=min(2.0**attempts, MAX_BACKOFF))


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        pseudonym_key: bytes,
        max_parallel_chats: int = 8,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.pseudonym_key = pseudonym_key
        self.max_parallel_chats = max_parallel_chats
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._unreachable_logged = False

    def wake(self) -> None:
        """Something was added to the outbox: look now instead of at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            sent_any = await self.send_due()
            if not sent_any:
                await self._wait_for_work()

    async def send_due(self) -> bool:
        """Send the due head message of every chat once; True if anything was attempted."""
        async with self.sessions() as session:
            heads = await outbox.due_heads(session, limit=self.max_parallel_chats)
        if not heads:
            return False
        await asyncio.gather(*(self._send(row) for row in heads))
        return True

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
        who = pseudonymise(row.chat_id, self.pseudonym_key)
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
        async with self.sessions.begin() as session:
            await outbox.mark_sent(session, row.id, message_id)

    async def _retry(self, row: OutboxMessage, delay: dt.timedelta, error: str) -> None:
        async with self.sessions.begin() as session:
            await outbox.schedule_retry(session, row.id, delay, error)

    async def _permanent_error(self, row: OutboxMessage, exc: Exception, who: str) -> None:
        """400/403: retrying the same call cannot help; repair what can be repaired."""
        text = str(exc).lower()
        async with self.sessions.begin() as session:
            if "message is not modified" in text:
                await outbox.mark_sent(session, row.id, row.payload.get("message_id"))
                return
            if row.method == "editMessageText" and (
                "to edit not found" in text or "can't be edited" in text
            ):
                payload = {k: v for k, v in row.payload.items() if k != "message_id"}
                await outbox.replace_payload(session, row.id, "sendMessage", payload)
                return
            if "can't parse entities" in text and row.payload.get("parse_mode"):
                payload = {k: v for k, v in row.payload.items() if k != "parse_mode"}
                payload["text"] = to_plain_text(str(payload.get("text", "")))
                await outbox.replace_payload(session, row.id, row.method, payload)
                logger.error("HTML rejected by Telegram for %s; resending as plain text", who)
                return
            logger.warning("giving up on a message to %s: %s", who, exc)
            await outbox.mark_failed(session, row.id, str(exc))
