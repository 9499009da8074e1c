"""Rasa's tracker store keeps every text a user wrote: /delete and retention must reach it.

On SQLite deployments it is a file in the data folder, on PostgreSQL deployments a database
of its own on the same server (TRACKER_STORE_URL). Each test tells what /privacy promises:
old conversations go, /delete removes everything, and a store out of reach never ends in a
false "deleted".
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.app import Assistant
from bot.db.models import Chat, InboxUpdate, utcnow
from bot.i18n import t
from bot.rasa.client import RasaClient
from bot.rasa.runtime import (
    TRACKER_PASSWORD_ENV,
    RasaPaths,
    rasa_server_command,
    rasa_server_environment,
)
from bot.rasa.tracker_store import RasaTrackerStore, TrackerStoreUnavailable, bot_side_url
from tests.conftest import DEFAULT_TEST_POSTGRES, RasaServer, UserChat, make_settings
from tests.fake_telegram import FakeTelegram
from tests.servers import ROOT, Process, free_port

LONG_AGO = utcnow() - dt.timedelta(days=400)
YESTERDAY = utcnow() - dt.timedelta(days=1)

# Rasa 3.6's `events` table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent).
RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


# --- helpers: a Rasa-shaped store, written and read the way Rasa does -----------------------


def _admin_connection() -> psycopg.Connection:
    admin_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES)
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(plain, autocommit=True, connect_timeout=3)


def _postgres_url(database: str) -> str:
    admin_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES)
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def _drop_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create_store(url: str, with_table: bool = True) -> None:
    """The database (PostgreSQL) or file (SQLite) with Rasa's events table, as Rasa makes it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        with _admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{parsed.database}"')
    else:
        Path(parsed.database or "").touch()
    if with_table:
        engine = create_engine(bot_side_url(url), poolclass=NullPool)
        RASA_EVENTS.metadata.create_all(engine)
        engine.dispose()


def _add_events(url: str, sender: str, *moments: dt.datetime) -> None:
    engine = create_engine(bot_side_url(url), poolclass=NullPool)
    with engine.begin() as connection:
        for moment in moments:
            connection.execute(
                insert(RASA_EVENTS).values(
                    sender_id=sender,
                    type_name="user",
                    timestamp=moment.timestamp(),
                    data='{"text": "Ich suche eine Wohnung, meine Nummer ist 0151 1234567"}',
                )
            )
    engine.dispose()


def _bring_back(url: str, events: dict[str, list[dt.datetime]]) -> None:
    """The store appears at `url` at once, with these events (made under another name first,
    so the bot never sees it half made)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        staging = f"{parsed.database}_staging"
        staging_url = parsed.set(database=staging).render_as_string(hide_password=False)
    else:
        staging_url = f"sqlite:///{parsed.database}.staging"
    _create_store(staging_url)
    for sender, moments in events.items():
        _add_events(staging_url, sender, *moments)
    if parsed.get_backend_name() == "postgresql":
        with _admin_connection() as admin:
            admin.execute(f'ALTER DATABASE "{staging}" RENAME TO "{parsed.database}"')
    else:
        Path(f"{parsed.database}.staging").rename(parsed.database or "")


def _events_of(url: str, sender: str) -> int:
    engine = create_engine(bot_side_url(url), poolclass=NullPool)
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count()).select_from(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == sender)
        )
    engine.dispose()
    return int(count or 0)


def _unused_tracker_url(database_url: str, tmp_path: Path) -> str:
    """A tracker store of the same kind as the bot's database, not created yet."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    return _postgres_url(f"gk_tracker_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def tracker_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty Rasa tracker store beside the bot's database (SQLite file or PostgreSQL db)."""
    url = _unused_tracker_url(database_url, tmp_path)
    _create_store(url)
    yield url
    if url.startswith("postgresql"):
        _drop_database(make_url(url).database or "")


# --- the store itself --------------------------------------------------------------------


async def test_delete_removes_every_event_of_that_user_and_nobody_elses(tracker_url: str) -> None:
    _add_events(tracker_url, "leaving-user", LONG_AGO, YESTERDAY, utcnow())
    _add_events(tracker_url, "other-user", YESTERDAY)
    store = RasaTrackerStore(tracker_url)

    assert await store.forget_sender("leaving-user") == 3
    assert _events_of(tracker_url, "leaving-user") == 0
    assert _events_of(tracker_url, "other-user") == 1
    assert await store.forget_sender("leaving-user") == 0  # a retried /delete is harmless
    store.close()


async def test_a_store_rasa_has_not_written_to_yet_has_nothing_to_forget(
    database_url: str, tmp_path: Path
) -> None:
    url = _unused_tracker_url(database_url, tmp_path)
    parsed = make_url(url)
    _create_store(url, with_table=False)  # what Rasa's first start begins with
    store = RasaTrackerStore(url)
    try:
        assert await store.forget_sender("someone") == 0
        assert await store.forget_before(utcnow()) == 0
    finally:
        store.close()
        if parsed.get_backend_name() == "postgresql":
            _drop_database(parsed.database or "")


async def test_a_store_out_of_reach_is_an_error_that_never_shows_its_password(
    tmp_path: Path,
) -> None:
    closed_port = free_port()
    secret = "tracker-secret-" + uuid.uuid4().hex[:6]
    unreachable = [
        f"postgresql://rasa:{secret}@127.0.0.1:{closed_port}/tracker",
        f"sqlite:///{tmp_path / 'elsewhere' / 'rasa_tracker.db'}",  # Rasa runs on another host
    ]
    for url in unreachable:
        store = RasaTrackerStore(url)
        with pytest.raises(TrackerStoreUnavailable) as raised:
            await store.forget_sender("someone")
        assert secret not in str(raised.value)
        assert "tracker" in str(raised.value)
        store.close()


async def test_retention_forgets_rasa_events_older_than_the_retention_period(
    database_url: str, tracker_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _add_events(tracker_url, "old-user", LONG_AGO, LONG_AGO)
    _add_events(tracker_url, "returning-user", LONG_AGO, YESTERDAY)
    bot = Assistant(
        make_settings(
            DATABASE_URL=database_url,
            DATA_DIR=str(tmp_path),
            TRACKER_STORE_URL=tracker_url,
            RETENTION_DAYS="180",
        )
    )
    try:
        with caplog.at_level(logging.INFO, logger="bot.app"):
            assert await bot.forget_old_rasa_events() == 3
    finally:
        await bot.stop()
    assert _events_of(tracker_url, "old-user") == 0
    assert _events_of(tracker_url, "returning-user") == 1  # yesterday's stays
    assert "removed 3 Rasa events older than 180 days" in caplog.text


# --- settings and Rasa's endpoints.yml ----------------------------------------------------


def test_the_tracker_store_lives_beside_the_bots_database_but_apart_from_its_tables(
    tmp_path: Path,
) -> None:
    on_sqlite = make_settings(DATA_DIR=str(tmp_path))
    assert on_sqlite.tracker_store_url == f"sqlite:///{tmp_path.resolve() / 'rasa_tracker.db'}"
    on_postgres = make_settings(
        DATA_DIR=str(tmp_path), DATABASE_URL="postgresql+psycopg://gk:pw@db.internal:5433/gk"
    )
    assert on_postgres.tracker_store_url == "postgresql+psycopg://gk:pw@db.internal:5433/gk_rasa"
    assert "gk_rasa" not in repr(on_postgres)  # it may carry a password: kept out of logs
    explicit = make_settings(
        DATA_DIR=str(tmp_path), TRACKER_STORE_URL="postgresql://rasa@127.0.0.1/rasa_tracker"
    )
    assert explicit.tracker_store_url == "postgresql://rasa@127.0.0.1/rasa_tracker"


def test_rasa_gets_the_tracker_password_only_through_its_environment(tmp_path: Path) -> None:
    settings = make_settings(
        DATA_DIR=str(tmp_path),
        DATABASE_URL="postgresql+psycopg://gk:top-secret@127.0.0.1:5432/gk",
        RASA_TOKEN="t" * 32,
    )
    paths = RasaPaths(ROOT, settings.cache_dir)
    command = rasa_server_command(paths, settings, tmp_path / "model.tar.gz", 5005, tmp_path)
    endpoints = (tmp_path / "endpoints.yml").read_text()

    assert "top-secret" not in " ".join(command)
    assert "top-secret" not in endpoints
    assert f"password: ${{{TRACKER_PASSWORD_ENV}}}" in endpoints
    assert 'db: "gk_rasa"' in endpoints and 'login_db: "gk"' in endpoints
    assert rasa_server_environment(settings)[TRACKER_PASSWORD_ENV] == "top-secret"
    for written in ("endpoints.yml", "credentials.yml"):
        assert stat.S_IMODE((tmp_path / written).stat().st_mode) == 0o600


# --- /delete through the bot -------------------------------------------------------------


@pytest.fixture
async def bot_without_tracker(
    database_url: str, telegram: FakeTelegram, tmp_path: Path
) -> AsyncIterator[tuple[Assistant, str]]:
    """The bot pointed at a tracker store that is not there yet (Rasa on a host still down)."""
    url = _unused_tracker_url(database_url, tmp_path)
    settings = make_settings(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        RASA_URL=f"http://127.0.0.1:{free_port()}",  # /delete never needs Rasa itself
        DATA_DIR=str(tmp_path),
        TRACKER_STORE_URL=url,
        TELEGRAM_POLL_TIMEOUT="1",
    )
    bot = Assistant(settings)
    await bot.start()
    yield bot, url
    await bot.stop()
    if url.startswith("postgresql"):
        _drop_database(make_url(url).database or "")


async def test_delete_waits_while_rasas_store_is_out_of_reach_and_completes_when_it_is_back(
    bot_without_tracker: tuple[Assistant, str],
    user: UserChat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot, tracker = bot_without_tracker
    [confirm] = await user.says("/delete")
    async with bot.sessions() as session:
        chat = await session.get(Chat, user.chat_id)
        assert chat is not None
        pseudonym = chat.pseudonym

    with caplog.at_level(logging.WARNING):
        [sorry] = await user.presses(confirm.button("alles löschen"), on=confirm)
    assert sorry.text == t("meta.unavailable", "de")  # not "deleted": nothing is, yet
    async with bot.sessions() as session:
        assert await session.get(Chat, user.chat_id) is not None
        pending = await session.scalar(
            select(func.count())
            .select_from(InboxUpdate)
            .where(InboxUpdate.chat_id == user.chat_id, InboxUpdate.status == "pending")
        )
    assert pending == 1
    # (On a slow machine the retry after 5 s may already have logged its own line.)
    waits = [r.getMessage() for r in caplog.records if r.name == "bot.conversation.service"]
    waits = [w for w in waits if "(attempt 1)" in w]
    assert len(waits) == 1 and "tracker store" in waits[0]
    assert str(user.chat_id) not in waits[0]

    # Rasa's store is back, with what Rasa kept of this user and of someone else.
    _bring_back(tracker, {pseudonym: [YESTERDAY, utcnow()], "someone-else": [utcnow()]})
    [deleted] = await user._replies(1)  # the update was retried by itself

    assert deleted.text == t("meta.deleted", "de")
    assert _events_of(tracker, pseudonym) == 0
    assert _events_of(tracker, "someone-else") == 1
    async with bot.sessions() as session:
        assert await session.get(Chat, user.chat_id) is None


# --- the real thing: Rasa itself writing to PostgreSQL --------------------------------------


@pytest.mark.e2e
async def test_rasa_keeps_its_trackers_in_postgresql_and_forget_sender_erases_them(
    rasa_server: RasaServer, rasa_model: Path, tmp_path: Path
) -> None:
    """Rasa creates its own database beside the bot's and writes every turn there."""
    bot_db = f"gk_test_{uuid.uuid4().hex[:10]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{bot_db}"')
    # A password in the URL (trust auth ignores it): it must reach Rasa through its environment.
    database_url = (
        make_url(_postgres_url(bot_db))
        .set(password="only-in-the-environment")
        .render_as_string(hide_password=False)
    )
    settings = make_settings(
        DATA_DIR=str(rasa_server.data_dir),
        DATABASE_URL=database_url,
        ACTION_SERVER_PORT=str(rasa_server.action_port),
    )
    tracker_db = make_url(settings.tracker_store_url).database
    assert tracker_db == f"{bot_db}_rasa"
    port = free_port()
    command = rasa_server_command(
        RasaPaths(ROOT, settings.cache_dir), settings, rasa_model, port, tmp_path / "run"
    )
    rasa = Process(command, tmp_path / "rasa-postgres.log", rasa_server_environment(settings))
    client = RasaClient(f"http://127.0.0.1:{port}", settings.rasa_token)
    try:
        rasa.wait_http(
            f"http://127.0.0.1:{port}/status?token={settings.rasa_token}",
            timeout=300,
            ok=lambda status: bool(status.get("model_id")),
        )
        assert "only-in-the-environment" not in " ".join(command)
        turn = await client.send("pg-user", "Wie finde ich eine Wohnung?", {"language": "de"})
        assert turn.replies
        await client.send("pg-neighbour", "Hallo", {"language": "de"})

        kept = _events_of(settings.tracker_store_url, "pg-user")
        assert kept >= 2  # at least the user's message and Rasa's answer
        store = RasaTrackerStore(settings.tracker_store_url)
        assert await store.forget_sender("pg-user") == kept
        store.close()
        assert _events_of(settings.tracker_store_url, "pg-user") == 0
        assert _events_of(settings.tracker_store_url, "pg-neighbour") > 0
        for written in (tmp_path / "run" / "endpoints.yml", tmp_path / "rasa-postgres.log"):
            assert "only-in-the-environment" not in written.read_text()
    finally:
        await client.close()
        rasa.stop()
        _drop_database(tracker_db or "")
        _drop_database(bot_db)
