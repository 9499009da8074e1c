"""Long polling that never loses an update: store first, then confirm.

PTB's own Updater confirms updates as soon as they are queued in memory; a crash then loses
them. Here the offset only moves past updates after they are committed to the inbox.

Updates are fetched as raw JSON and parsed one by one: PTB's `get_updates` parses the whole
batch and, on an update it cannot read, logs the raw JSON (names, texts) at CRITICAL and
raises — the same batch then comes back for ever. An update we cannot read is stored as
`unparsable` (sanitised like every other) and skipped, so the next one is answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.inbox.database_faults import HEALTH, Backoff, DatabaseHealth, is_database_fault
from bot.storage import inbox
from bot.telegram.errors import retry_after_seconds
from bot.telegram.sanitize import chat_id_of, sanitize_update

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
MAX_BACKOFF = 60.0
UNPARSABLE = "unparsable"


class FatalTelegramError(RuntimeError):
    """The token is wrong or revoked: retrying cannot help, the operator must act."""


@dataclass
class Received:
    """One update as it goes into the inbox."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    status: str = "pending"


@dataclass
class Batch:
    updates: list[Received] = field(default_factory=list)
    next_offset: int | None = None


async def fetch_raw_updates(bot: Bot, offset: int | None, poll_seconds: int) -> list[Any]:
    """getUpdates without PTB's parsing (see the module docstring).

    `do_api_request` would warn that `get_updates` exists (an error under our test
    settings), so this takes the same internal path `get_updates` itself takes. The read
    timeout is the get-updates connection's own (the poll timeout plus a margin, set in
    `bot.app`).
    """
    data = {"timeout": poll_seconds, "offset": offset, "allowed_updates": ALLOWED_UPDATES}
    result = await bot._post("getUpdates", data)
    return list(result) if isinstance(result, list) else []


def read_update(raw: Any, bot: Bot) -> Received | None:
    """Sanitise one raw update and check that PTB can read it; None without an update_id."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        logger.warning("skipped an update without an update_id from getUpdates")
        return None
    try:
        payload = sanitize_update(raw)
        chat_id = chat_id_of(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        logger.warning(
            "update %s has an unexpected shape (%s); stored without content and skipped",
            update_id,
            type(exc).__name__,
        )
        return Received(update_id, None, {"update_id": update_id}, UNPARSABLE)
    try:
        Update.de_json(payload, bot)
    except Exception as exc:  # any error of PTB's parser: the update must not block the chat
        logger.warning(
            "update %s cannot be read by python-telegram-bot (%s); stored and skipped",
            update_id,
            type(exc).__name__,
        )
        return Received(update_id, chat_id, payload, UNPARSABLE)
    return Received(update_id, chat_id, payload)


class InboxPoller:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        on_update: Callable[[int], None],
        poll_timeout: int = 25,
        health: DatabaseHealth = HEALTH,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.on_update = on_update
        self.poll_timeout = poll_timeout
        self.health = health
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        offset: int | None = None
        backoff = 1.0
        database_backoff = Backoff()
        unreachable_logged = False
        while not self._stopping.is_set():
            try:
                raw_updates = await fetch_raw_updates(self.bot, offset, self.poll_timeout)
            except RetryAfter as exc:
                await self._sleep(retry_after_seconds(exc))
                continue
            except (InvalidToken, Forbidden) as exc:
                raise FatalTelegramError(
                    "Telegram rejected the bot token. Check TELEGRAM_BOT_TOKEN (from @BotFather)."
                ) from exc
            except Conflict:
                logger.error(
                    "another process is polling this bot token (409 Conflict); "
                    "stop it or use a different token. Retrying in 10 s"
                )
                await self._sleep(10)
                continue
            except (TimedOut, NetworkError) as exc:
                if not unreachable_logged:
                    logger.warning(
                        "Telegram Bot API not reachable (%s); messages wait on Telegram's side, "
                        "retrying with backoff up to %.0f s",
                        type(exc).__name__,
                        MAX_BACKOFF,
                    )
                    unreachable_logged = True
                await self._sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if unreachable_logged:
                logger.info("Telegram Bot API reachable again")
                unreachable_logged = False
            backoff = 1.0
            if not raw_updates:
                continue
            batch = self._read(raw_updates)
            try:
                chats = await self._store(batch.updates)
            except Exception as exc:
                if not is_database_fault(exc):
                    raise
                # The offset stays: Telegram hands out the same updates again next time.
                self.health.failed(exc, "the poller")
                await self._sleep(database_backoff.next())
                continue
            self.health.ok("the poller")
            database_backoff.reset()
            if batch.next_offset is not None:
                offset = batch.next_offset
            for chat_id in chats:
                self.on_update(chat_id)

    def _read(self, raw_updates: list[Any]) -> Batch:
        batch = Batch()
        for raw in raw_updates:
            received = read_update(raw, self.bot)
            if received is None:
                continue
            batch.updates.append(received)
            batch.next_offset = max(batch.next_offset or 0, received.update_id + 1)
        return batch

    async def _store(self, updates: list[Received]) -> list[int]:
        """Commit all updates of one batch; returns the chats that have new work."""
        chats: list[int] = []
        async with self.sessions.begin() as session:
            for received in updates:
                new = await inbox.store(
                    session,
                    received.update_id,
                    received.chat_id,
                    received.payload,
                    status=received.status,
                )
                pending = received.status == "pending"
                chat_id = received.chat_id
                if new and pending and chat_id is not None and chat_id not in chats:
                    chats.append(chat_id)
        return chats

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
