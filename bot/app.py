"""Wiring the bot together and running it until stopped.

`Assistant` owns the database engine, the PTB Application (without PTB's Updater: our
poller stores updates before confirming them), the inbox dispatcher and the outbox sender.
The same object serves real Telegram, a fake Bot API in tests, and the terminal chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy.engine import make_url
from telegram import BotCommand
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import Settings
from bot.content.live import live_content
from bot.conversation import ConversationService
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.models import utcnow
from bot.gaps import notify
from bot.i18n import available_languages, t
from bot.inbox.database_faults import DatabaseHealth
from bot.inbox.worker_pool import InboxWorkerPool
from bot.logging_setup import keep_log_files
from bot.rasa.client import RasaClient
from bot.rasa.health import RasaOutage, action_server_up
from bot.rasa.tracker_store import RasaTrackerStore, TrackerStoreUnavailable
from bot.storage import retention
from bot.telegram.handlers import BOT_COMMANDS, TelegramHandlers
from bot.telegram.poller import InboxPoller
from bot.telegram.sender import OutboxSender
from bot.translation.service import build_translator, close_translator

logger = logging.getLogger(__name__)

LOCAL_TOKEN = "0:local-terminal-chat"  # noqa: S105 - not a secret: the offline chat's fake token
RETENTION_INTERVAL = 24 * 3600


def redacted_database_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class Assistant:
    def __init__(
        self,
        settings: Settings,
        request: BaseRequest | None = None,
        dashboard_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.dashboard_url = dashboard_url  # shown in the ready line when it runs beside us
        self.local = request is not None
        token = settings.telegram_bot_token or LOCAL_TOKEN
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{settings.telegram_api_url}/bot")
            .base_file_url(f"{settings.telegram_api_url}/file/bot")
            .updater(None)
            .rate_limiter(AIORateLimiter(max_retries=0))
        )
        if request is not None:
            builder = builder.request(request).get_updates_request(request)
        else:
            builder = builder.request(HTTPXRequest(connection_pool_size=16)).get_updates_request(
                HTTPXRequest(read_timeout=settings.poll_timeout + 10.0)
            )
        self.application: Application = builder.build()  # type: ignore[type-arg]
        self.engine = make_async_engine(settings.database_url)
        self.sessions = make_sessionmaker(self.engine)
        # Files plus what editors published; follows new publications (see watch below).
        self.store = live_content(settings)
        self.rasa = RasaClient(settings.rasa_url, settings.rasa_token)
        self.translator = build_translator(settings, self.sessions)
        # One per assistant: poller, workers and sender share its log lines.
        self.database_health = DatabaseHealth()
        self.sender = OutboxSender(self.application.bot, self.sessions, health=self.database_health)
        self.tracker_store = RasaTrackerStore(settings.tracker_store_url)
        # Rasa back after an outage: the questions that waited go at once (not at 5…60 s).
        self.rasa_outage = RasaOutage(
            self.rasa.ready,
            lambda: action_server_up(settings.action_server_url),
            on_back=lambda: self.workers.rasa_is_back(),
        )
        self.service = ConversationService(
            settings,
            self.sessions,
            self.store,
            self.rasa,
            forget_in_rasa=self.tracker_store.forget_sender,
            on_outbox=self.sender.wake,
            translator=self.translator,
            rasa_outage=self.rasa_outage,
        )
        self.workers = InboxWorkerPool(
            self.application,
            self.sessions,
            settings.default_language,
            on_outbox=self.sender.wake,
            health=self.database_health,
        )
        TelegramHandlers(self.service).register(self.application)
        self.poller = InboxPoller(
            self.application.bot,
            self.sessions,
            self.workers.notify,
            settings.poll_timeout,
            health=self.database_health,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()

    async def _connect_telegram(self) -> None:
        """getMe until Telegram answers: unreachable Telegram is a wait, not a crash."""
        delay = 2.0
        while True:
            try:
                await self.application.initialize()
                return
            except (TimedOut, NetworkError) as exc:
                logger.warning(
                    "Telegram Bot API at %s not reachable (%s); retrying in %.0f s",
                    self.settings.telegram_api_url,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def _register_commands(self) -> None:
        # English is Telegram's default menu; every other language gets its own.
        for language in available_languages():
            commands = [BotCommand(name, t(f"command.{name}", language)) for name in BOT_COMMANDS]
            try:
                await self.application.bot.set_my_commands(
                    commands, language_code=None if language == "en" else language
                )
            except TelegramError as exc:
                logger.warning("could not register the command menu (%s): %s", language, exc)

    async def _retention_forever(self) -> None:
        while True:
            try:
                async with self.sessions.begin() as session:
                    await retention.run(session, self.settings)
            except Exception:
                logger.exception("retention run failed; next try in a day")
            await self.forget_old_rasa_events()
            await asyncio.sleep(RETENTION_INTERVAL)

    async def forget_old_rasa_events(self) -> int:
        """Rasa's tracker store holds every text too: the same retention period applies."""
        days = self.settings.retention_days
        try:
            removed = await self.tracker_store.forget_before(utcnow() - dt.timedelta(days=days))
        except TrackerStoreUnavailable as exc:
            logger.warning("retention of Rasa's events failed (%s); next try in a day", exc)
            return 0
        except Exception:
            logger.exception("retention of Rasa's events failed; next try in a day")
            return 0
        logger.info("retention: removed %d Rasa events older than %d days", removed, days)
        return removed

    async def tell_gap_subscribers(self) -> None:
        """Users waiting for an answer that the published content has now are told (once:
        see bot.gaps.notify); at the start and whenever editors published something."""
        async with self.sessions.begin() as session:
            told = await notify.notify_answerable(session, self.store.current())
        if told:
            logger.info("told %d gap subscribers about new answers", told)
            self.sender.wake()

    async def start(self) -> None:
        await self._connect_telegram()
        await self.application.start()
        await self._register_commands()
        resumed = await self.workers.resume()
        loops = (
            self.poller.run(),
            self.sender.run(),
            self.workers.sweep_forever(),
            self._retention_forever(),
            # New published content may answer what users asked to be told about.
            self.store.watch(on_change=self.tell_gap_subscribers),
            # In every mode (`serve` has no supervisor): Rasa's, the actions' and our own logs.
            keep_log_files(self.settings.data_dir / "logs", self.settings.retention_days),
        )
        self._tasks = [asyncio.create_task(coro) for coro in loops]
        me = self.application.bot.username
        where = "terminal chat (no Telegram)" if self.local else f"Telegram as @{me}"
        if self.dashboard_url:
            where += f"; caseworker dashboard at {self.dashboard_url}"
        logger.info(
            "ready: serving %s; Rasa at %s; database %s; %d chats resumed",
            where,
            self.settings.rasa_url,
            redacted_database_url(self.settings.database_url),
            resumed,
        )
        self.ready.set()

    async def wait(self) -> None:
        """Run until a loop fails (a wrong token, for example) or the task is cancelled."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()

    async def stop(self) -> None:
        self.poller.stop()
        self.sender.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.workers.stop()
        await self.rasa_outage.close()
        with contextlib.suppress(Exception):
            await self.application.stop()
        with contextlib.suppress(Exception):
            await self.application.shutdown()
        await self.rasa.close()
        await close_translator(self.translator)
        await self.engine.dispose()
        self.store.close()
        self.tracker_store.close()
