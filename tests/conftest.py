"""Fixtures: real servers on free ports (Rasa, action server, fake Telegram), real databases.

The database fixture is parametrised: every test that touches the database runs against
SQLite and against the local PostgreSQL (TEST_POSTGRES_URL, default the machine's `test` db).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.app import Assistant
from bot.config import Settings, load_settings
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.migrate import upgrade
from bot.db.models import ConversationMessage, InboxUpdate
from bot.rasa.access import create_rasa_token
from bot.rasa.runtime import (
    RasaPaths,
    ensure_model,
    ensure_venv,
    rasa_server_command,
    rasa_server_environment,
)
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import ROOT, Process, RasaProxy, free_port, python_module

DEFAULT_TEST_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATA_KEY = "test-data-key-0123456789"


def make_settings(**env: str) -> Settings:
    """Settings from an explicit environment only (never the developer's .env)."""
    base = {
        "DATA_KEY": DATA_KEY,
        "LOG_LEVEL": "INFO",
        "HOME": str(Path.home()),
    }
    if "GK_CACHE_DIR" in os.environ:
        base["GK_CACHE_DIR"] = os.environ["GK_CACHE_DIR"]
    return load_settings(environ={**base, **env}, env_file=Path("/nonexistent/.env"))


# --- Rasa and the action server (once per test session) --------------------------------


@dataclass
class RasaServer:
    url: str
    data_dir: Path
    action_port: int
    process: Process
    token: str
    tracker_store_url: str  # where this Rasa keeps its trackers; bots must forget there


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    settings = make_settings()
    paths = RasaPaths(ROOT, settings.cache_dir)
    ensure_venv(paths, settings.rasa_python)
    return ensure_model(paths)


@pytest.fixture(scope="session")
def rasa_server(rasa_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaServer]:
    data_dir = tmp_path_factory.mktemp("rasa")
    # The token file in the data folder, as `python -m bot setup` makes it: every settings
    # built with this DATA_DIR (the bot fixtures, a bot started as a process) find it there.
    create_rasa_token(data_dir)
    action_port, rasa_port = free_port(), free_port()
    settings = make_settings(DATA_DIR=str(data_dir), ACTION_SERVER_PORT=str(action_port))
    assert settings.rasa_token is not None
    env = {**os.environ, "DATA_DIR": str(data_dir), "DATA_KEY": DATA_KEY}
    actions = Process(
        python_module(["bot", "actions", "--port", str(action_port)]), data_dir / "actions.log", env
    )
    actions.wait_http(f"http://127.0.0.1:{action_port}/health", timeout=60)
    paths = RasaPaths(ROOT, settings.cache_dir)
    command = rasa_server_command(paths, settings, rasa_model, rasa_port, data_dir / "run")
    env = rasa_server_environment(settings)
    rasa = Process(command, data_dir / "rasa.log", env)
    url = f"http://127.0.0.1:{rasa_port}"
    rasa.wait_http(
        f"{url}/status?token={settings.rasa_token}",
        timeout=300,
        ok=lambda status: bool(status.get("model_id")),
    )
    yield RasaServer(
        url, data_dir, action_port, rasa, settings.rasa_token, settings.tracker_store_url
    )
    rasa.stop()
    actions.stop()


# --- databases ---------------------------------------------------------------------------


def _postgres_database() -> Iterator[str]:
    admin_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES)
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"gk_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {admin_url} is not reachable ({exc}); set TEST_POSTGRES_URL")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'assistant.db'}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database():
        upgrade(url)
        yield url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[object]:
    engine = make_async_engine(database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


# --- Telegram, the bot, and users ----------------------------------------------------------

_chat_ids = itertools.count(random.randint(10_000_000, 90_000_000))


@pytest.fixture
def chat_id() -> int:
    return next(_chat_ids)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def rasa_proxy(rasa_server: RasaServer) -> AsyncIterator[RasaProxy]:
    proxy = RasaProxy(rasa_server.url)
    await proxy.up()
    yield proxy
    await proxy.close()


def bot_settings(
    database_url: str, telegram: FakeTelegram, rasa_url: str, rasa_server: RasaServer
) -> Settings:
    return make_settings(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        RASA_URL=rasa_url,
        DATA_DIR=str(rasa_server.data_dir),
        TRACKER_STORE_URL=rasa_server.tracker_store_url,
        ACTION_SERVER_PORT=str(rasa_server.action_port),
        TELEGRAM_POLL_TIMEOUT="1",
    )


@pytest.fixture
async def assistant(
    database_url: str, rasa_server: RasaServer, rasa_proxy: RasaProxy, telegram: FakeTelegram
) -> AsyncIterator[Assistant]:
    bot = Assistant(bot_settings(database_url, telegram, rasa_proxy.url, rasa_server))
    await bot.start()
    yield bot
    await bot.stop()


async def out_keys(assistant: Assistant, chat_id: int) -> list[str | None]:
    """The content keys of what the bot sent to a chat, in order."""
    async with assistant.sessions() as session:
        rows = await session.scalars(
            select(ConversationMessage.content_key)
            .where(ConversationMessage.chat_id == chat_id, ConversationMessage.direction == "out")
            .order_by(ConversationMessage.id)
        )
        return list(rows)


async def processed(assistant: Assistant, update_id: int, within: float = 60) -> None:
    """Wait until the bot has finished with an update that gets no reply of its own."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with assistant.sessions() as session:
            row = await session.get(InboxUpdate, update_id)
            if row is not None and row.status != "pending":
                return
        assert asyncio.get_running_loop().time() < deadline, f"update {update_id} still pending"
        await asyncio.sleep(0.2)


class UserChat:
    """One young person chatting with the bot through the fake Telegram."""

    def __init__(self, telegram: FakeTelegram, chat_id: int) -> None:
        self.telegram = telegram
        self.chat_id = chat_id
        self.seen = 0

    async def _replies(self, count: int) -> list[Sent]:
        messages = await self.telegram.wait_for(self.chat_id, self.seen + count)
        new = messages[self.seen :]
        self.seen = len(messages)
        return new

    async def says(self, text: str, replies: int = 1) -> list[Sent]:
        await self.telegram.user_says(self.chat_id, text)
        return await self._replies(replies)

    async def sends(self, content: dict[str, object], replies: int = 1) -> list[Sent]:
        await self.telegram.user_sends(self.chat_id, content)
        return await self._replies(replies)

    async def presses(self, data: str, on: Sent, replies: int = 1) -> list[Sent]:
        await self.telegram.user_presses(self.chat_id, data, on.message_id)
        return await self._replies(replies)

    async def hears_nothing_more(self, wait: float = 1.0) -> None:
        await asyncio.sleep(wait)
        extra = self.telegram.messages_to(self.chat_id)[self.seen :]
        assert not extra, f"unexpected extra messages: {[m.text[:60] for m in extra]}"


@pytest.fixture
def user(telegram: FakeTelegram, chat_id: int) -> UserChat:
    return UserChat(telegram, chat_id)


CHAT_ID_SPACING = 100


@pytest.fixture(autouse=True)
def _chat_ids_kept_apart() -> Iterator[None]:
    """Some tests use `chat_id + 1`, `+ 2` … for more chats (the queue, the case desk). After
    each test the counter jumps ahead, so those chats are never the next test's user, who
    would otherwise meet another test's language and open cases."""
    yield
    for _ in range(CHAT_ID_SPACING):
        next(_chat_ids)
