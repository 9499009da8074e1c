"""The queue in a browser: new cases and new user messages appear without a reload,
counts per status, filters, and the most urgent case on top."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page, expect

from bot.db.models import utcnow
from bot.storage.cases import case_number
from tests.dashboard.conftest import (
    Account,
    Dashboard,
    close_all_open_cases,
    open_case,
    sign_in,
    user_writes,
)


async def test_a_new_case_and_a_new_message_appear_in_the_queue_without_a_reload(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    await sign_in(page, dashboard, caseworker)
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    open_before = int(await page.locator('strong[data-status="open"]').inner_text())

    opened = await open_case(dashboard, chat_id, urgency=2, deadline=utcnow().date())
    row = page.locator(f"#case-{opened.id}")
    await expect(row).to_be_visible(timeout=15_000)
    await expect(row).to_contain_text(case_number(opened.id))
    await expect(row).to_contain_text("Dringend")
    await expect(page.locator('strong[data-status="open"]')).to_have_text(str(open_before + 1))

    await user_writes(dashboard, opened.id, "Hallo? Ist da jemand?")
    await expect(row.locator("time")).to_be_visible(timeout=15_000)  # "last message" filled in
    assert loads == [], "the queue must update itself, not reload"


async def test_filters_and_order_put_the_right_cases_first(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    await close_all_open_cases(dashboard)
    today = utcnow().date()
    plain = await open_case(dashboard, chat_id, topic="housing", language="en")
    soon = await open_case(
        dashboard,
        chat_id + 1,
        topic="housing",
        language="ar",
        urgency=2,
        deadline=today + dt.timedelta(days=2),
    )
    later = await open_case(dashboard, chat_id + 2, topic="courses", language="en", urgency=1)
    await sign_in(page, dashboard, caseworker)
    ids = await page.locator("table.queue tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    mine = [i for i in ids if i in {f"case-{c.id}" for c in (plain, soon, later)}]
    assert mine == [f"case-{soon.id}", f"case-{later.id}", f"case-{plain.id}"]

    await page.get_by_label("Thema").select_option("housing")
    await page.get_by_label("Sprache").select_option("ar")
    await page.get_by_role("button", name="Anzeigen").click()
    await expect(page.locator(f"#case-{soon.id}")).to_be_visible()
    await expect(page.locator(f"#case-{plain.id}")).to_have_count(0)
    await expect(page.locator(f"#case-{later.id}")).to_have_count(0)

    await page.goto(f"{dashboard.url}/queue?mine=1")
    await expect(page.get_by_text("Keine Fälle für diese Auswahl.")).to_be_visible()
    await page.goto(f"{dashboard.url}/cases/{later.id}")
    await page.get_by_role("button", name="Fall übernehmen").click()
    await page.goto(f"{dashboard.url}/queue?mine=1")
    await expect(page.locator("table.queue tbody tr")).to_have_count(1)
    await expect(page.locator(f"#case-{later.id}")).to_contain_text("In Bearbeitung")
