"""An editor teaches the bot a question it could not answer, and tries the bot.

The stack is real: a Rasa server of this module's own (its model gets replaced, so it is not
the session's shared one), the action server and the bot (fake Telegram Bot API) on the same
database as the dashboard. The editor saves a new answer with a handful of phrasings; the
answer is in the menu at once; the background retrain loads a new model into the running
Rasa, and a young person asking in other words gets the new answer. A training that fails
leaves Rasa's model alone and the editor reads why. Trying the bot stores nothing.
"""

from __future__ import annotations

import asyncio
import os
import random
import string
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from bot.app import Assistant
from bot.dashboard.server import dashboard_running
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.models import ContentKey, ConversationMessage, InboxUpdate, TrainingRun
from bot.rasa.access import create_rasa_token
from bot.rasa.runtime import RasaPaths, rasa_server_command, rasa_server_environment
from tests.conftest import DATA_KEY, make_settings
from tests.dashboard.conftest import Dashboard, make_account, sign_in
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import ROOT, Process, free_port, python_module

pytestmark = pytest.mark.e2e

TRAINING_WITHIN = 1_200_000  # ms; ~1 min with the embedding cache warm, more on a busy CI
TITLE = "Bibliotheksausweis: Bücher kostenlos ausleihen"
BODY = (
    "Mit einem Ausweis der Stadtbücherei kannst du Bücher, Filme und Sprachkurse ausleihen. "
    "Bring deinen Ausweis oder deine Aufenthaltsgestattung mit."
)
SOURCE = "https://www.bibliotheksverband.de/"
EXAMPLES = [
    "Was brauche ich für einen Bibliotheksausweis?",
    "Kann ich in der Stadtbücherei Bücher ausleihen?",
    "Wo kann ich kostenlos Bücher leihen?",
    "Brauche ich einen Ausweis für die Bücherei?",
    "How do I get a library card?",
    "Can I borrow books from the public library?",
    "Kütüphane kartı nasıl alınır?",
    "Как получить читательский билет в библиотеке?",
    "كيف أحصل على بطاقة مكتبة؟",
]
# Not one of the examples, but in the words a user would use for the same need.
IN_OTHER_WORDS = "Wie kriege ich einen Ausweis für die Stadtbücherei?"
# The failing training's question stays taught (in this module's database) and is part of
# the next training, so it must not share phrasings with the library card (that is refused).
SWIMMING = [
    "Wo kann ich schwimmen lernen?",
    "Gibt es einen Schwimmkurs für Erwachsene?",
    "Is there a swimming course for adults?",
]


@dataclass
class OwnRasa:
    url: str
    data_dir: Path
    token: str
    tracker_store_url: str


@pytest.fixture(scope="module")
def own_rasa(
    rasa_model: Path, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OwnRasa]:
    """Rasa (the files' model) and an action server that reads this database's content."""
    data_dir = tmp_path_factory.mktemp("teach")
    create_rasa_token(data_dir)
    action_port, rasa_port = free_port(), free_port()
    tracker = f"sqlite:///{data_dir / 'rasa_tracker.db'}"
    settings = make_settings(
        DATA_DIR=str(data_dir),
        DATABASE_URL=database_url,
        TRACKER_STORE_URL=tracker,
        ACTION_SERVER_PORT=str(action_port),
    )
    assert settings.rasa_token is not None
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATA_KEY": DATA_KEY,
        "DATABASE_URL": database_url,
        "CONTENT_REFRESH_SECONDS": "0.5",
    }
    actions = Process(
        python_module(["bot", "actions", "--port", str(action_port)]), data_dir / "actions.log", env
    )
    actions.wait_http(f"http://127.0.0.1:{action_port}/health", timeout=60)
    paths = RasaPaths(ROOT, settings.cache_dir)
    command = rasa_server_command(paths, settings, rasa_model, rasa_port, data_dir / "run")
    rasa = Process(command, data_dir / "rasa.log", rasa_server_environment(settings))
    url = f"http://127.0.0.1:{rasa_port}"
    rasa.wait_http(
        f"{url}/status?token={settings.rasa_token}",
        timeout=300,
        ok=lambda status: bool(status.get("model_id")),
    )
    yield OwnRasa(url, data_dir, settings.rasa_token, tracker)
    rasa.stop()
    actions.stop()


def _settings_for(rasa: OwnRasa, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(rasa.data_dir),
        "RASA_URL": rasa.url,
        "TRACKER_STORE_URL": rasa.tracker_store_url,
        "CONTENT_REFRESH_SECONDS": "0.5",
        **extra,
    }


@pytest.fixture
async def board(own_rasa: OwnRasa, database_url: str) -> AsyncIterator[Dashboard]:
    settings = make_settings(
        **_settings_for(own_rasa, database_url, DASHBOARD_PORT=str(free_port()))
    )
    engine = make_async_engine(database_url)
    async with dashboard_running(settings) as url:
        yield Dashboard(url, settings, make_sessionmaker(engine))
    await engine.dispose()


async def _rasa_model(rasa: OwnRasa) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        status = await client.get(f"{rasa.url}/status", params={"token": rasa.token})
    return str(status.json()["model_file"])


def _new_key() -> str:
    """A key no earlier run taught."""
    return "library_card_" + "".join(random.choices(string.ascii_lowercase, k=6))


# One pair of keys per test session, taught alike on SQLite and on PostgreSQL: the first
# database's retrain really trains (no earlier run taught them), the second finds that model
# by its fingerprint and only loads it — a training is minutes on two cores.
SESSION = "".join(random.choices(string.ascii_lowercase, k=6))
LIBRARY_KEY, SWIMMING_KEY = f"library_card_{SESSION}", f"swimming_{SESSION}"


@pytest.fixture(scope="session")
def taught_models() -> Iterator[set[Path]]:
    """Models trained for this session's keys, removed at its end (no cache filling up)."""
    models: set[Path] = set()
    yield models
    for model in models:
        model.unlink(missing_ok=True)


async def _teach(page: Page, key: str, examples: list[str]) -> None:
    await page.get_by_role("link", name="Neue Frage beibringen").click()
    await page.get_by_label("Thema").select_option("everyday")
    await page.get_by_label("Schlüssel").fill(key)
    await page.get_by_label("Titel auf Deutsch (auch der Menü-Knopf)").fill(TITLE)
    await page.get_by_label("Antwort auf Deutsch").fill(BODY)
    await page.get_by_label("Quellen").fill(SOURCE)
    await page.get_by_label("Beispiel-Fragen").fill("\n".join(examples))
    await page.get_by_role("button", name="Speichern und Bot trainieren").click()


async def _heard(
    telegram: FakeTelegram, chat_id: int, after: int, what: Callable[[Sent], bool]
) -> Sent:
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        for message in telegram.messages_to(chat_id)[after:]:
            if what(message):
                return message
        if asyncio.get_running_loop().time() > deadline:
            texts = [m.text[:60] for m in telegram.messages_to(chat_id)[after:]]
            raise AssertionError(f"not heard; the chat got: {texts}")
        await asyncio.sleep(0.2)


async def _menu_with(telegram: FakeTelegram, chat_id: int, full_key: str) -> Sent:
    """Open the topic's menu until it offers `full_key`."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        seen = len(telegram.messages_to(chat_id))
        await telegram.user_presses(chat_id, "t:everyday", 1)
        menu = await _heard(telegram, chat_id, seen, lambda m: True)
        if f"a:{full_key}" in dict(menu.buttons).values():
            return menu
        assert asyncio.get_running_loop().time() < deadline, "the new key never reached the menu"
        await asyncio.sleep(0.5)


async def test_a_failed_training_leaves_the_model_in_place_and_says_why(
    page: Page,
    own_rasa: OwnRasa,
    database_url: str,
    tmp_path: Path,
) -> None:
    """`rasa train` fails (a Rasa venv whose rasa exits with an error, quoting an example)."""
    cache = tmp_path / "cache"
    rasa_bin = RasaPaths(ROOT, cache).rasa_bin
    rasa_bin.parent.mkdir(parents=True)
    rasa_bin.write_text(
        "#!/bin/sh\n"
        "echo 'Starting to train component CrossLingualIntentClassifier'\n"
        f"echo \"YamlValidationException: example '{SWIMMING[0]}' cannot be read\"\n"
        "exit 1\n"
    )
    rasa_bin.chmod(0o755)
    (rasa_bin.parent.parent / ".complete").write_text("ok\n")
    settings = make_settings(
        **_settings_for(
            own_rasa, database_url, DASHBOARD_PORT=str(free_port()), GK_CACHE_DIR=str(cache)
        )
    )
    before = await _rasa_model(own_rasa)
    engine = make_async_engine(database_url)
    async with dashboard_running(settings) as url:
        failing = Dashboard(url, settings, make_sessionmaker(engine))
        editor = await make_account(failing, "editor", display_name="Erika Editor")
        await sign_in(page, failing, editor)
        await _teach(page, SWIMMING_KEY, SWIMMING)
        await expect(page.locator("#training-status")).to_contain_text(
            "Training fehlgeschlagen", timeout=60_000
        )
        reason = page.locator(".training-error pre")
        await expect(reason).to_contain_text("rasa train exited with code 1")
        await expect(reason).to_contain_text("YamlValidationException")
        await expect(reason).not_to_contain_text(SWIMMING[0])  # taught texts are blanked
        await expect(page.locator("#training-status")).to_contain_text(
            "weiter mit dem bisherigen Modell"
        )
    await engine.dispose()
    assert await _rasa_model(own_rasa) == before


async def test_a_phrasing_that_already_belongs_to_another_answer_is_refused(
    page: Page, board: Dashboard
) -> None:
    """The same phrasing under two answers makes both ambiguous: the bot would give neither."""
    editor = await make_account(board, "editor", display_name="Erika Editor")
    await sign_in(page, board, editor)
    key = _new_key()
    await _teach(page, key, [*EXAMPLES[:3], "integrationskurs anmelden wo"])  # nlu/de.yml's
    await expect(page.locator(".notice.problem")).to_contain_text("gehören schon zu einer")
    taken = page.locator(".notice.problem ul.taken li")
    await expect(taken).to_have_count(1)
    await expect(taken).to_contain_text("integrationskurs anmelden wo")
    await expect(taken).to_contain_text("courses.integration_course")
    async with board.sessions() as session:
        saved = await session.scalar(
            select(func.count()).select_from(ContentKey).where(ContentKey.key.contains(key))
        )
    assert saved == 0


async def test_an_editor_teaches_a_question_and_a_user_asking_in_other_words_gets_it(
    page: Page,
    board: Dashboard,
    own_rasa: OwnRasa,
    database_url: str,
    telegram: FakeTelegram,
    chat_id: int,
    taught_models: set[Path],
) -> None:
    settings = make_settings(
        **_settings_for(
            own_rasa,
            database_url,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.url,
            TELEGRAM_POLL_TIMEOUT="1",
        )
    )
    bot = Assistant(settings)
    await bot.start()
    key = LIBRARY_KEY
    full_key = f"everyday.{key}"
    try:
        # before: the question in other words gets no such answer
        await telegram.user_says(chat_id, "/start")
        await telegram.wait_for(chat_id, 1)
        seen = len(telegram.messages_to(chat_id))
        await telegram.user_says(chat_id, IN_OTHER_WORDS)
        first = await _heard(telegram, chat_id, seen, lambda m: True)
        assert TITLE not in first.text

        editor = await make_account(board, "editor", display_name="Erika Editor")
        await sign_in(page, board, editor)
        await _teach(page, key, EXAMPLES)
        await expect(page.get_by_role("status")).to_contain_text(f"Gespeichert: {full_key}")
        await expect(page.locator("#training-status")).to_contain_text(
            "weiter mit dem bisherigen Modell"
        )

        # until the model knows it, the answer is in its topic's menu (once the bot has seen
        # the publication: it looks every CONTENT_REFRESH_SECONDS)
        menu = await _menu_with(telegram, chat_id, full_key)
        seen = len(telegram.messages_to(chat_id))
        await telegram.user_presses(chat_id, f"a:{full_key}", menu.message_id)
        await _heard(telegram, chat_id, seen, lambda m: TITLE in m.text)

        # the background retrain ends with the new model loaded into the running Rasa
        await expect(page.locator("#training-status")).to_contain_text(
            "Fertig – der Bot kennt die Frage", timeout=TRAINING_WITHIN
        )
        async with board.sessions() as session:
            run = await session.scalar(select(TrainingRun).order_by(TrainingRun.id.desc()))
            assert run is not None and run.status == "loaded" and run.model_file
            model_file = run.model_file
        taught_models.add(board.settings.cache_dir / "models" / model_file)
        assert (await _rasa_model(own_rasa)).endswith(model_file)

        # a young person asking in other words gets the new answer
        seen = len(telegram.messages_to(chat_id))
        await telegram.user_says(chat_id, IN_OTHER_WORDS)
        answered = await _heard(telegram, chat_id, seen, lambda m: TITLE in m.text)
        assert "Stadtbücherei" in answered.text
    finally:
        await bot.stop()


async def test_trying_the_bot_shows_intent_and_answer_and_stores_nothing(
    page: Page, board: Dashboard
) -> None:
    async def stored() -> tuple[int, int]:
        async with board.sessions() as session:
            messages = await session.scalar(select(func.count()).select_from(ConversationMessage))
            inbox = await session.scalar(select(func.count()).select_from(InboxUpdate))
        return int(messages or 0), int(inbox or 0)

    before = await stored()
    editor = await make_account(board, "editor", display_name="Erika Editor")
    await sign_in(page, board, editor)
    await page.get_by_role("link", name="Bot ausprobieren").click()

    await page.get_by_label("Frage").fill("Wie finde ich eine Wohnung?")
    await page.get_by_role("button", name="Ausprobieren").click()
    await expect(page.locator("#try-intent")).to_have_text("ask_find_flat")
    await expect(page.locator("#try-key")).to_have_text("housing.find_flat")
    await expect(page.locator(".ranking tbody tr")).not_to_have_count(0)
    bubble = page.locator("#try-result .tg-bubble")
    await expect(bubble.locator("b").first).not_to_be_empty()
    await expect(bubble).to_have_attribute("lang", "de")

    # Arabic, detected: the answer is shown right to left
    await page.get_by_label("Frage").fill("كيف أجد شقة؟")
    await page.get_by_role("button", name="Ausprobieren").click()
    await expect(page.locator("#try-result .tg-bubble")).to_have_attribute("dir", "rtl")
    await expect(page.locator("#try-result .tg-bubble")).to_have_attribute("lang", "ar")

    assert await stored() == before
