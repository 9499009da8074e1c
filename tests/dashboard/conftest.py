"""Fixtures for the dashboard: a real uvicorn server on a free port against a real database
(SQLite and PostgreSQL, from `database_url`), Debian's Chromium driven by Playwright, and
staff accounts and cases made through the same storage functions the bot uses.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.dashboard.security import hash_password
from bot.dashboard.server import dashboard_running
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.models import Case, Chat, LoginFailure
from bot.storage import case_thread, cases, staff
from tests.conftest import make_settings
from tests.servers import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
_numbers = itertools.count(random.randint(1000, 9000))


@dataclass
class Dashboard:
    url: str
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]


@dataclass
class Account:
    name: str
    display_name: str
    role: str
    password: str = PASSWORD


@pytest.fixture(scope="session")
async def dashboard_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Dashboard]:
    settings = make_settings(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path_factory.mktemp("dashboard")),
        DASHBOARD_PORT=str(free_port()),
    )
    engine = make_async_engine(database_url)
    async with dashboard_running(settings) as url:
        yield Dashboard(url, settings, make_sessionmaker(engine))
    await engine.dispose()


@pytest.fixture
async def dashboard(dashboard_server: Dashboard) -> Dashboard:
    """The running dashboard. Every test signs in from 127.0.0.1, so one test's failed
    sign-ins are wiped first: they must not throttle the next test."""
    async with dashboard_server.sessions.begin() as session:
        await session.execute(delete(LoginFailure))
    return dashboard_server


def _chromium_installed() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    _chromium_installed()
    expect.set_options(timeout=10_000)  # a 2-core CI machine, busy with Rasa, can be slow
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    made = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    yield made
    await made.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


async def make_account(board: Dashboard, role: str = "caseworker", **extra: str) -> Account:
    number = next(_numbers)
    account = Account(f"{role[:2]}{number}", extra.get("display_name", f"Berta {number}"), role)
    async with board.sessions.begin() as session:
        await staff.add_user(
            session, account.name, role, hash_password(account.password), account.display_name
        )
    return account


@pytest.fixture
async def caseworker(dashboard: Dashboard) -> Account:
    return await make_account(dashboard, "caseworker")


@pytest.fixture
async def admin(dashboard: Dashboard) -> Account:
    return await make_account(dashboard, "admin", display_name="Ada Admin")


async def open_case(
    board: Dashboard, chat_id: int, description: str = "Brief vom Jobcenter", **extra: Any
) -> Case:
    """A case as the bot opens it: a chat, what was said before, then the case."""
    async with board.sessions.begin() as session:
        if await session.get(Chat, chat_id) is None:
            session.add(Chat(id=chat_id, pseudonym=f"p{chat_id}", language="en"))
            await session.flush()
        opened = await cases.open_case(
            session,
            chat_id,
            topic=extra.pop("topic", "bureaucracy"),
            language=extra.pop("language", "en"),
            description=description,
            source_update_id=None,
            **extra,
        )
        return opened


async def close_all_open_cases(board: Dashboard) -> None:
    """For tests about order and paging: the cases of earlier tests out of the way."""
    async with board.sessions.begin() as session:
        await session.execute(
            update(Case).where(Case.status != "resolved").values(status="resolved")
        )


async def user_writes(board: Dashboard, case_id: int, text: str) -> None:
    async with board.sessions.begin() as session:
        found = await session.get(Case, case_id)
        assert found is not None
        case_thread.add_user_message(session, found, text, None)


async def sign_in(page: Page, board: Dashboard, account: Account, password: str = "") -> None:
    await page.goto(f"{board.url}/login")
    await page.get_by_label("Benutzername").fill(account.name)
    await page.get_by_label("Passwort").fill(password or account.password)
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_load_state()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field in the page"
    return match[1]


async def http_sign_in(client: httpx.AsyncClient, account: Account) -> httpx.Response:
    """Sign in like a browser would, with httpx: form token from the page, then POST."""
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={
            "name": account.name,
            "password": account.password,
            "csrf_token": csrf_in(form.text),
        },
    )


@pytest.fixture
async def http(dashboard: Dashboard) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=dashboard.url, follow_redirects=False) as client:
        yield client
