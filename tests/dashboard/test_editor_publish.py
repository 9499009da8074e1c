"""An editor corrects an answer in the browser and young people get it without a restart.

The editor signs in (and lands on the answers matrix), opens an answer, edits it, sees it
previewed as Telegram shows it, publishes it, and the running bot (fake Telegram Bot API)
shows the new title in its menu and answers with the new text. The action server, which
answers typed questions, serves it too. A broken answer is refused with the check's words;
caseworkers never see these pages; `content export` writes the publication into the files.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page, expect

from bot.app import Assistant
from bot.content.editing import STATES
from bot.content.markup import to_plain_text as plain
from bot.dashboard.i18n import UI_LANGUAGES, strings
from bot.i18n import format_date, t
from bot.rasa.access import create_rasa_token
from tests.conftest import DATA_KEY, make_settings
from tests.dashboard.conftest import Account, Dashboard, http_sign_in, make_account, sign_in
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import ROOT, Process, free_port, python_module

KEY = "training.internship"
NEW_TITLE = "Praktikum: so klappt es"
NEW_LINE = "Ein Praktikum zeigt dir einen Beruf von innen, meist zwei bis sechs Wochen."


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Berlin")).date()  # the office's day (TIMEZONE)


@pytest.fixture
async def editor(dashboard: Dashboard) -> Account:
    return await make_account(dashboard, "editor", display_name="Erika Editor")


async def _heard(
    telegram: FakeTelegram, chat_id: int, after: int, what: Callable[[Sent], bool]
) -> Sent:
    """The first message (or edit) to the chat after the first `after` that `what` knows."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        for message in telegram.messages_to(chat_id)[after:]:
            if what(message):
                return message
        if asyncio.get_running_loop().time() > deadline:
            texts = [m.text[:60] for m in telegram.messages_to(chat_id)]
            raise AssertionError(f"not heard; the chat got: {texts}")
        await asyncio.sleep(0.2)


async def _answer_shown(telegram: FakeTelegram, chat_id: int) -> tuple[Sent, Sent]:
    """Tap the topic, then the answer's button: the menu and the answer the user gets."""
    seen = len(telegram.messages_to(chat_id))
    await telegram.user_presses(chat_id, "t:training", 1)
    menu = await _heard(telegram, chat_id, seen, lambda m: f"a:{KEY}" in dict(m.buttons).values())
    seen = len(telegram.messages_to(chat_id))
    await telegram.user_presses(chat_id, f"a:{KEY}", menu.message_id)
    shown = await _heard(telegram, chat_id, seen, lambda m: "<b>" in m.text)
    return menu, shown


def _action_server(database_url: str, data_dir: Path) -> tuple[Process, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATA_KEY": DATA_KEY,
        "DATABASE_URL": database_url,
        "CONTENT_REFRESH_SECONDS": "0.5",
    }
    process = Process(
        python_module(["bot", "actions", "--port", str(port)]), data_dir / "actions.log", env
    )
    process.wait_http(f"http://127.0.0.1:{port}/health", timeout=60)
    return process, f"http://127.0.0.1:{port}/webhook"


def _typed_question(language: str) -> dict[str, object]:
    """What Rasa sends the action server for a typed question read as ask_internship."""
    latest = {
        "text": "Praktikum?",
        "intent": {"name": "ask_internship", "confidence": 0.97},
        "metadata": {"language": language},
    }
    return {
        "next_action": "action_answer",
        "sender_id": "s1",
        "tracker": {
            "sender_id": "s1",
            "slots": {},
            "latest_message": latest,
            "events": [{"event": "user", "text": "Praktikum?", "parse_data": latest}],
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.0",
    }


async def _action_answer(client: httpx.AsyncClient, url: str) -> str:
    response = await client.post(url, json=_typed_question("de"))
    response.raise_for_status()
    return str(response.json()["responses"][0]["custom"]["text"])


async def test_an_editor_publishes_an_answer_and_the_running_bot_uses_it(
    page: Page,
    dashboard: Dashboard,
    editor: Account,
    database_url: str,
    telegram: FakeTelegram,
    chat_id: int,
    tmp_path: Path,
) -> None:
    create_rasa_token(tmp_path)
    settings = make_settings(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        RASA_URL=f"http://127.0.0.1:{free_port()}",  # menus and buttons never need Rasa
        DATA_DIR=str(tmp_path),
        TELEGRAM_POLL_TIMEOUT="1",
        CONTENT_REFRESH_SECONDS="0.5",
    )
    bot = Assistant(settings)
    await bot.start()
    actions, webhook = _action_server(database_url, tmp_path)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            await telegram.user_says(chat_id, "/start")
            _, before = await _answer_shown(telegram, chat_id)
            assert NEW_LINE not in before.text
            assert NEW_LINE not in await _action_answer(client, webhook)

            # the editor lands on the matrix and opens the German internship answer
            await sign_in(page, dashboard, editor)
            await expect(page.get_by_role("heading", name="Antworten")).to_be_visible()
            await page.get_by_role("link", name=f"{KEY} de:").click()
            await expect(page.get_by_label("Titel (auch der Menü-Knopf)")).not_to_be_empty()

            # a broken link is refused with the words of `content check`
            body = page.get_by_label("Text", exact=True)
            original = await body.input_value()
            await body.fill(f"{NEW_LINE}\n\n[Anmeldung](www.ohne-https.de)\n\n{original}")
            await page.get_by_role("button", name="Veröffentlichen").click()
            await expect(page.locator(".notice.problem")).to_be_visible()
            await expect(page.locator(".finding.error").first).to_contain_text("[text](https://")

            # fixed, marked as checked, previewed as Telegram shows it, published
            await page.get_by_label("Titel (auch der Menü-Knopf)").fill(NEW_TITLE)
            await page.get_by_label("Stand", exact=True).select_option("reviewed")
            await page.get_by_label("Text", exact=True).fill(f"{NEW_LINE}\n\n{original}")
            await page.get_by_role("button", name="Vorschau").click()
            bubble = page.locator(".tg-bubble")
            await expect(bubble.locator("b").first).to_have_text(NEW_TITLE)
            await expect(bubble).to_contain_text(NEW_LINE)
            checked = plain(t("answer.reviewed_note", "de", date=format_date(_today(), "de")))
            await expect(bubble).to_contain_text(checked)
            await page.get_by_role("button", name="Veröffentlichen").click()
            await expect(page.get_by_role("status")).to_contain_text("Veröffentlicht")
            await expect(page.locator("table.history tbody tr").first).to_contain_text(
                "Erika Editor"
            )

            # the running bot: new title in the menu, new text in the answer
            # The bot looks for published content every CONTENT_REFRESH_SECONDS: a user who
            # opens the menu at once may still see the old one (or the old menu and then the
            # new answer, when the refresh falls between the two taps): ask until both are new.
            deadline = asyncio.get_running_loop().time() + 20
            menu, after = await _answer_shown(telegram, chat_id)
            while NEW_LINE not in after.text or (NEW_TITLE, f"a:{KEY}") not in menu.buttons:
                assert asyncio.get_running_loop().time() < deadline, "bot kept the old content"
                await asyncio.sleep(0.5)
                menu, after = await _answer_shown(telegram, chat_id)
            assert NEW_LINE in after.text
            assert NEW_TITLE in after.text
            assert (NEW_TITLE, f"a:{KEY}") in menu.buttons

            # the action server (typed questions) agrees, still without a restart
            deadline = asyncio.get_running_loop().time() + 10
            while NEW_LINE not in await _action_answer(client, webhook):
                assert asyncio.get_running_loop().time() < deadline, "action server kept old text"
                await asyncio.sleep(0.3)
    finally:
        actions.stop()
        await bot.stop()


async def test_caseworkers_do_not_see_the_editors_pages(
    http: httpx.AsyncClient, caseworker: Account
) -> None:
    await http_sign_in(http, caseworker)
    assert (await http.get("/content")).status_code == 403
    assert (await http.get(f"/content/{KEY}/de")).status_code == 403
    queue = await http.get("/queue")
    assert 'href="/content"' not in queue.text


async def test_export_writes_what_was_published_into_the_files(
    page: Page, dashboard: Dashboard, editor: Account, database_url: str, tmp_path: Path
) -> None:
    """One click on 'still valid', then `content export` into a copy of content/."""
    await sign_in(page, dashboard, editor)
    await page.goto(f"{dashboard.url}/content/courses.tutoring/ar")
    await page.get_by_role("button", name="Noch gültig").click()
    await expect(page.get_by_role("status")).to_contain_text("heute geprüft")
    await expect(page.locator("table.history tbody tr").first).to_contain_text("Erika Editor")

    shutil.copytree(ROOT / "content", tmp_path / "content")
    env = {
        **os.environ,
        "PROJECT_ROOT": str(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "DATA_KEY": DATA_KEY,
        "DATABASE_URL": database_url,
    }
    done = subprocess.run(  # noqa: ASYNC221 - the command line as an editor runs it
        [sys.executable, "-m", "bot", "content", "export"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote content/courses/tutoring.de.md" in done.stdout
    today = _today().isoformat()
    german = (tmp_path / "content/courses/tutoring.de.md").read_text(encoding="utf-8")
    assert f"reviewed: {today}" in german
    assert german.startswith("---\nkey: courses.tutoring\n")

    again = subprocess.run(  # noqa: ASYNC221
        [sys.executable, "-m", "bot", "content", "export"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "0 files, 0 new keys exported" in again.stdout


def test_every_state_action_and_notice_of_the_editors_pages_has_words() -> None:
    families = {
        "content_state": [*STATES, "due"],
        "content_sym": STATES,
        "content_action": ["edit", "still_valid", "new_key", "variant"],
        "content_done": ["published", "still_valid"],
        "content_finding": ["error", "warning"],
    }
    for language in UI_LANGUAGES:
        words = strings(language)
        missing = [f"{f}.{n}" for f, names in families.items() for n in names]
        assert not [key for key in missing if key not in words], language
