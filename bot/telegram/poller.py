"""Long polling that never loses an update: store first, then confirm.

PTB's own Updater confirms updates as soon as they are queued in memory; a crash then loses
them. Here the offset only moves past updates after they are committed to the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.storage import inbox
from bot.telegram.errors import retry_after_seconds
from bot.telegram.sanitize import chat_id_of, sanitize_update

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
MAX_BACKOFF = 60.0


class FatalTelegramError(RuntimeError):
    """The token is wrong or revoked: retrying cannot help, the operator must act."""


class InboxPoller:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        on_update: Callable[[int], None],
        poll_timeout: int = 25,
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.on_update = on_update
        self.poll_timeout = poll_timeout
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        offset: int | None = None
        backoff = 1.0
        unreachable_logged = False
        while not self._stopping.is_set():
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
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
            if not updates:
                continue
            chats = await self._store([u.to_dict() for u in updates])
            offset = updates[-1].update_id + 1
            for chat_id in chats:
                self.on_update(chat_id)

    async def _store(self, raw_updates: list[dict[str, object]]) -> list[int]:
        """Commit all updates of one batch; returns the chats that have new work."""
        chats: list[int] = []
        async with self.sessions.begin() as session:
            for raw in raw_updates:
                update = sanitize_update(raw)
                chat_id = chat_id_of(update)
                new = await inbox.store(session, int(update["update_id"]), chat_id, update)
                if new and chat_id is not None and chat_id not in chats:
                    chats.append(chat_id)
        return chats

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
