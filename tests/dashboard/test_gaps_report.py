"""An editor opens last month's report in the dashboard to print it for the Kreis
coordination group: German headings, the top need, no contact details, printable."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from tests.dashboard.conftest import Dashboard, make_account, sign_in
from tests.dashboard.test_gaps import EMAIL, PHONE, rasa_venv, tell_gap_story

__all__ = ["rasa_venv"]  # the fixture, shared with the gaps tests


async def test_the_report_page_renders_for_an_editor_and_prints(
    dashboard: Dashboard, page: Page, rasa_venv: Path, tmp_path: Path
) -> None:
    story = await tell_gap_story(dashboard.sessions, year=2995, month=3)
    editor = await make_account(dashboard, "editor")
    await sign_in(page, dashboard, editor)
    await page.goto(f"{dashboard.url}/reports/monthly?month=2995-03")
    await expect(page.get_by_role("heading", name="Monatsbericht 03/2995")).to_be_visible()
    needs = page.get_by_role("region", name="Häufigste unbeantwortete Anliegen")
    await expect(needs.get_by_role("listitem").first).to_contain_text("4-mal gefragt")
    await expect(page.get_by_role("heading", name="Weitergaben an Fachkräfte")).to_be_visible()
    text = await page.content()
    for secret in (PHONE, EMAIL, *map(str, story.chat_ids), *story.pseudonyms):
        assert secret not in text
    await page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    await page.emulate_media(media="print")
    await expect(page.locator("header.top")).to_be_hidden()
    await page.pdf(path=str(tmp_path / "report.pdf"))
    assert (tmp_path / "report.pdf").stat().st_size > 1000
