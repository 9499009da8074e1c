"""Machine translation between a caseworker and a young person, against a fake Google.

The story: Hodan writes in Somali; the caseworker reads German. The googletrans adapter must
ask the service the right question, the answer is cached (also for the next process), and
when the service is down nothing waits, nothing breaks, and the log says so exactly once.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import ConfigError
from bot.db.models import Translation
from bot.translation import NoTranslator, to_german
from bot.translation.cache import TranslationCache
from bot.translation.google import GoogleBackend, split_for_requests
from bot.translation.service import MachineTranslator, build_translator, close_translator
from tests.conftest import DATA_KEY, make_settings
from tests.fake_google_translate import FakeGoogleTranslate

SOMALI = "Waxaan helay warqad ka timid Jobcenter-ka. Ma fahmin waxa ay ka dhigan tahay."
GERMAN = "Ich habe einen Brief vom Jobcenter bekommen. Ich verstehe nicht, was er bedeutet."
SECRET = DATA_KEY.encode()
# The database (and so the cache) is shared by the tests; a test that counts requests needs a
# message nobody translated before.
_case_numbers = itertools.count(1)


def fresh_message(google: FakeGoogleTranslate) -> tuple[str, str]:
    """Hodan's message with a new case number, and its German, taught to the fake."""
    number = f"GK-{next(_case_numbers):05d}-{time.time_ns()}"
    somali, german = f"{SOMALI} Kiiska {number}.", f"{GERMAN} Fall {number}."
    google.learn("so", "de", somali, german)
    return somali, german


@pytest.fixture
async def google() -> AsyncIterator[FakeGoogleTranslate]:
    fake = FakeGoogleTranslate()
    fake.learn("so", "de", SOMALI, GERMAN)
    await fake.up()
    yield fake
    await fake.down()


class ManualClock:
    """The translator's clock for its rest after a failure, moved on by the test, so that a
    slow machine cannot end the rest early."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def translator(
    google: FakeGoogleTranslate, sessions: Any, clock: ManualClock
) -> AsyncIterator[MachineTranslator]:
    machine = MachineTranslator(
        GoogleBackend(google.url, timeout=1.0),
        TranslationCache(sessions, SECRET),
        timeout=1.0,
        rest_seconds=0.5,
        clock=clock,
    )
    yield machine
    await machine.aclose()


async def test_a_somali_message_reaches_the_caseworker_in_german(
    translator: MachineTranslator, google: FakeGoogleTranslate
) -> None:
    somali, german = fresh_message(google)
    assert await translator.translate(somali, "so", "de") == german

    (request,) = google.requests
    assert (request.client, request.source, request.target, request.text) == (
        "gtx",
        "so",
        "de",
        somali,
    )
    assert "t" in request.params["dt"]  # the translated sentences are asked for
    assert request.params["ie"] == ["UTF-8"]


async def test_a_cached_translation_needs_no_second_request_even_in_a_new_process(
    translator: MachineTranslator, google: FakeGoogleTranslate, sessions: Any
) -> None:
    text, _ = fresh_message(google)
    first = await translator.translate(text, "so", "de")
    assert first is not None and first.startswith(GERMAN)
    assert await translator.translate(text, "so", "de") == first
    assert len(google.requests) == 1

    restarted = MachineTranslator(
        GoogleBackend(google.url, timeout=1.0), TranslationCache(sessions, SECRET), timeout=1.0
    )
    try:
        assert await restarted.translate(text, "so", "de") == first
    finally:
        await restarted.aclose()
    assert len(google.requests) == 1


async def test_the_cache_holds_no_readable_text(
    translator: MachineTranslator, sessions: Any
) -> None:
    """A row is useless without the original (that is what makes /delete complete)."""
    text = "Magacaygu waa Hodan, taariikhda dhalashadaydu waa 03.04.2004."
    translation = await translator.translate(text, "so", "de")
    assert translation is not None
    async with sessions() as session:
        rows = list(await session.scalars(select(Translation)))
    assert all(translation.encode() not in row.sealed for row in rows)
    assert all("Hodan" not in row.digest for row in rows)
    other_install = TranslationCache(sessions, b"another-installation-secret")
    assert await other_install.get(text, "so", "de") is None
    assert await TranslationCache(sessions, SECRET).get(text, "so", "de") == translation


async def test_a_long_reply_is_sent_in_pieces_and_comes_back_whole(
    translator: MachineTranslator, google: FakeGoogleTranslate
) -> None:
    paragraph = f"Bitte bring den Brief und deinen Ausweis mit ({time.time_ns()}). " * 20
    reply = "\n\n".join([paragraph.strip()] * 4)  # about 3,600 characters
    translated = await translator.translate(reply, "de", "so")

    assert translated is not None
    assert len(google.requests) > 1
    assert all(len(r.text) <= 1500 for r in google.requests)
    assert translated.count("\n\n") == 3
    assert translated.replace("so: ", "") == reply


def test_pieces_are_cut_at_paragraphs_then_sentences() -> None:
    text = "Erster Satz. Zweiter Satz.\n\n" + "Lang. " * 400
    pieces = split_for_requests(text, limit=500)
    assert "".join(pieces) == text
    assert pieces[0].startswith("Erster Satz. Zweiter Satz.\n\n")
    assert all(len(p) <= 500 for p in pieces)
    assert all(p.endswith((" ", ".", "\n")) for p in pieces)


@pytest.mark.parametrize("trouble", ["down", "500", "slow"])
async def test_when_google_is_unreachable_nothing_waits_and_the_log_says_so_once(
    trouble: str,
    translator: MachineTranslator,
    google: FakeGoogleTranslate,
    caplog: pytest.LogCaptureFixture,
    clock: ManualClock,
) -> None:
    if trouble == "down":
        await google.down()
    elif trouble == "500":
        google.status = 500
    else:
        google.delay = 3.0
    caplog.set_level(logging.INFO, logger="bot.translation")

    started = time.monotonic()
    messages = [fresh_message(google) for _ in range(6)]
    results = [await translator.translate(somali, "so", "de") for somali, _ in messages[:5]]
    elapsed = time.monotonic() - started

    assert results == [None] * 5
    assert elapsed < 2.0  # one timeout at most, then the service rests
    assert translator.resting
    asked = len(google.requests)
    assert asked <= 1
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.translation")]
    assert len(lines) == 1, lines
    assert "unavailable" in lines[0]
    assert {"down": "ConnectError", "500": "HTTP 500", "slow": "timeout"}[trouble] in lines[0]
    assert "Jobcenter" not in lines[0]

    # After the rest, the next message tries again; success is logged once, too.
    if trouble == "down":
        await google.up()
    google.status, google.delay = 200, 0.0
    clock.advance(0.6)
    somali, german = messages[5]
    assert await translator.translate(somali, "so", "de") == german
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.translation")]
    assert len(lines) == 2 and "is back" in lines[1]


async def test_a_second_failure_after_the_rest_is_the_same_outage(
    translator: MachineTranslator,
    google: FakeGoogleTranslate,
    caplog: pytest.LogCaptureFixture,
    clock: ManualClock,
) -> None:
    google.status = 503
    caplog.set_level(logging.INFO, logger="bot.translation")
    assert await translator.translate(fresh_message(google)[0], "so", "de") is None
    clock.advance(0.6)
    assert await translator.translate(fresh_message(google)[0], "so", "de") is None
    assert len(google.requests) == 2
    assert len([r for r in caplog.records if r.name.startswith("bot.translation")]) == 1


async def test_cached_translations_still_work_during_an_outage(
    translator: MachineTranslator, google: FakeGoogleTranslate
) -> None:
    assert await translator.translate(SOMALI, "so", "de") == GERMAN
    await google.down()
    assert await translator.translate(fresh_message(google)[0], "so", "de") is None
    assert await translator.translate(SOMALI, "so", "de") == GERMAN


async def test_a_language_google_does_not_know_is_no_outage(
    translator: MachineTranslator, google: FakeGoogleTranslate
) -> None:
    assert await translator.translate("Silav", "xx", "de") is None
    assert google.requests == []
    assert not translator.resting
    assert await translator.translate(SOMALI, "so", "de") == GERMAN


async def test_the_german_second_look_for_the_nlu(
    translator: MachineTranslator, google: FakeGoogleTranslate
) -> None:
    assert await to_german(translator, SOMALI, "so") == GERMAN
    assert await to_german(translator, "Ich brauche Hilfe", "de") is None
    google.learn("so", "de", "Jobcenter", "Jobcenter")
    assert await to_german(translator, "Jobcenter", "so") is None  # nothing new to classify
    assert await to_german(NoTranslator(), SOMALI, "so") is None


async def test_the_setting_chooses_the_translator(
    google: FakeGoogleTranslate, sessions: Any, database_url: str
) -> None:
    off = build_translator(make_settings(DATABASE_URL=database_url), sessions)
    assert isinstance(off, NoTranslator)
    assert await off.translate(SOMALI, "so", "de") is None

    on = build_translator(
        make_settings(
            DATABASE_URL=database_url,
            TRANSLATOR="googletrans",
            TRANSLATOR_URL=google.url,
            TRANSLATOR_TIMEOUT="2",
        ),
        sessions,
    )
    try:
        assert isinstance(on, MachineTranslator)
        assert on.timeout == 2.0
        assert await on.translate(SOMALI, "so", "de") == GERMAN
    finally:
        await close_translator(on)


def test_translator_settings_are_checked() -> None:
    settings = make_settings()
    assert (settings.translator, settings.translator_timeout) == ("none", 4.0)
    assert settings.translator_url == "https://translate.googleapis.com"
    for bad in ({"TRANSLATOR": "deepl"}, {"TRANSLATOR_TIMEOUT": "soon"}, {"TRANSLATOR_URL": "x"}):
        with pytest.raises(ConfigError):
            make_settings(**bad)


async def test_retention_removes_old_translations(sessions: Any) -> None:
    import datetime as dt

    from bot.storage import retention

    async with sessions.begin() as session:
        session.add(
            Translation(
                digest="0" * 64,
                sealed=b"x" * 40,
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=400),
            )
        )
    async with sessions.begin() as session:
        counts = await retention.purge(session, retention_days=180)
    assert counts["translations"] >= 1
    async with sessions() as session:
        old = await session.scalar(
            select(func.count()).select_from(Translation).where(Translation.digest == "0" * 64)
        )
    assert old == 0


def test_the_migration_creates_the_translations_table_as_the_model_says(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.db.engine import make_sync_engine
    from bot.db.models import Base

    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    about_translations = [d for d in diff if "translations" in repr(d)]
    assert about_translations == []
