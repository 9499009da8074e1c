"""Signing in with a real browser: success, throttling after wrong passwords, disabled
accounts, and editors who have no business with cases."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from playwright.async_api import Page, expect
from sqlalchemy import update

from bot.db.models import StaffSession, utcnow
from bot.storage import staff
from tests.dashboard.conftest import Account, Dashboard, make_account, sign_in
from tests.servers import ROOT


async def test_a_caseworker_signs_in_to_the_queue_and_out_again(
    page: Page, dashboard: Dashboard, caseworker: Account
) -> None:
    await sign_in(page, dashboard, caseworker)
    await expect(page.get_by_role("heading", name="Warteschlange")).to_be_visible()
    await expect(page.get_by_text(f"Angemeldet als {caseworker.display_name}")).to_be_visible()
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    await page.get_by_role("button", name="Deutsch").click()
    await page.get_by_role("button", name="Abmelden").click()
    await expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()
    await page.goto(f"{dashboard.url}/queue")
    await expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()


async def test_repeated_wrong_passwords_are_throttled_with_a_clear_message(
    page: Page, dashboard: Dashboard, caseworker: Account
) -> None:
    for _ in range(5):
        await sign_in(page, dashboard, caseworker, password="not the password")
        await expect(page.get_by_role("alert")).to_contain_text("Passwort ist falsch")
    # the right password now waits too: the account is blocked for a while
    await sign_in(page, dashboard, caseworker)
    await expect(page.get_by_role("alert")).to_contain_text("Zu viele fehlgeschlagene Anmeldungen")
    await expect(page.get_by_role("alert")).to_contain_text("15 Minuten")
    await expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _cli(dashboard: Dashboard, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": dashboard.settings.database_url,
        "DATA_DIR": str(dashboard.settings.data_dir),
        "DATA_KEY": "test-data-key-0123456789",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_disabled_account_is_signed_out_and_cannot_sign_in(
    page: Page, dashboard: Dashboard, caseworker: Account
) -> None:
    await sign_in(page, dashboard, caseworker)
    await expect(page.get_by_role("heading", name="Warteschlange")).to_be_visible()
    done = _cli(dashboard, "user", "disable", caseworker.name)
    assert done.returncode == 0, done.stderr
    await page.reload()
    await expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    await sign_in(page, dashboard, caseworker)
    await expect(page.get_by_role("alert")).to_contain_text("gesperrt")
    await expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()


async def test_accounts_are_made_on_the_command_line(
    page: Page, dashboard: Dashboard, tmp_path: Path
) -> None:
    password_file = _write(tmp_path / "pw", "a long enough password\n")
    made = _cli(
        dashboard,
        "user",
        "add",
        "carla.k",
        "--role",
        "caseworker",
        "--password-file",
        password_file,
        "--display-name",
        "Carla K.",
    )
    assert made.returncode == 0, made.stderr
    again = _cli(
        dashboard, "user", "add", "carla.k", "--role", "admin", "--password-file", password_file
    )
    assert again.returncode == 2 and "already" in again.stderr
    _write(tmp_path / "pw", "short\n")
    weak = _cli(
        dashboard, "user", "add", "dora", "--role", "admin", "--password-file", password_file
    )
    assert weak.returncode == 2 and "at least" in weak.stderr
    listed = _cli(dashboard, "user", "list")
    assert "carla.k" in listed.stdout and "Carla K." in listed.stdout
    assert "a long enough password" not in listed.stdout + made.stdout + made.stderr
    await sign_in(
        page, dashboard, Account("carla.k", "Carla K.", "caseworker", "a long enough password")
    )
    await expect(page.get_by_text("Angemeldet als Carla K.")).to_be_visible()


async def test_an_editor_signs_in_but_sees_no_cases(page: Page, dashboard: Dashboard) -> None:
    editor = await make_account(dashboard, "editor")
    await sign_in(page, dashboard, editor)
    await expect(page.get_by_role("heading", name="Antworten")).to_be_visible()  # the matrix
    await expect(page.get_by_role("link", name="Warteschlange")).to_have_count(0)
    for path in ("/queue", "/queue/live", "/cases/1", "/attachments/1", "/admin"):
        response = await page.goto(f"{dashboard.url}{path}")
        assert response is not None and response.status == 403, path


async def test_an_idle_queue_tab_goes_to_the_sign_in_page_by_itself(
    page: Page, dashboard: Dashboard, caseworker: Account
) -> None:
    await sign_in(page, dashboard, caseworker)
    await expect(page.get_by_role("heading", name="Warteschlange")).to_be_visible()
    idle = dt.timedelta(minutes=dashboard.settings.dashboard_idle_minutes + 1)
    async with dashboard.sessions.begin() as session:
        user = await staff.find_user(session, caseworker.name)
        assert user is not None
        await session.execute(
            update(StaffSession)
            .where(StaffSession.user_id == user.id)
            .values(last_seen_at=utcnow() - idle)
        )
    await page.wait_for_url("**/login?expired=1", timeout=15_000)  # the next poll
    await expect(page.get_by_text("Ihre Sitzung ist abgelaufen")).to_be_visible()
