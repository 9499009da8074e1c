"""A case in the browser: claim, reply (to the outbox), resolve; the claim conflict; user
text shown as text; the thread updating live; attachments; and the history."""

from __future__ import annotations

from playwright.async_api import Dialog, Page, expect
from sqlalchemy import select

from bot.dashboard.server import dashboard_running
from bot.db.models import Case, OutboxMessage
from bot.storage.cases import case_number
from tests.conftest import make_settings
from tests.dashboard.conftest import (
    Account,
    Dashboard,
    make_account,
    open_case,
    sign_in,
    user_writes,
)
from tests.servers import free_port

HOSTILE = "<script>alert(1)</script><b>x</b>"


async def _outbox(dashboard: Dashboard, chat_id: int) -> list[str]:
    async with dashboard.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.payload["text"] for row in rows]


async def test_claim_reply_and_resolve_reach_the_user_through_the_outbox(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    opened = await open_case(dashboard, chat_id, "Mein Asylbescheid ist gekommen")
    await sign_in(page, dashboard, caseworker)
    await page.get_by_role("link", name=case_number(opened.id)).click()
    await expect(page.get_by_role("heading", name=f"Fall {case_number(opened.id)}")).to_be_visible()
    await expect(page.locator(".facts")).to_contain_text("Mein Asylbescheid ist gekommen")

    await page.get_by_role("button", name="Fall übernehmen").click()
    await expect(page.locator("#notice")).to_contain_text("Sie bearbeiten jetzt diesen Fall")
    await expect(page.locator("#holder")).to_have_text(caseworker.display_name)
    assert "is now looking at your case" in (await _outbox(dashboard, chat_id))[-1]

    await page.get_by_label("Antwort an die Person").fill("Bitte schicken Sie mir ein Foto.")
    await page.get_by_role("button", name="Antwort senden").click()
    await expect(page.locator("#notice")).to_contain_text("unterwegs")
    staff_line = page.locator(".from-staff").last
    await expect(staff_line).to_contain_text("Bitte schicken Sie mir ein Foto.")
    await expect(staff_line).to_contain_text(caseworker.display_name)
    sent = (await _outbox(dashboard, chat_id))[-1]
    assert "Bitte schicken Sie mir ein Foto." in sent and caseworker.display_name in sent
    await expect(page.locator("#case-status")).to_have_text("Wartet auf Antwort")

    await page.get_by_label("Neuer Status").select_option("resolved")
    await page.get_by_role("button", name="Status ändern").click()
    await expect(page.locator("#case-status")).to_have_text("Erledigt")
    assert "marked as resolved" in (await _outbox(dashboard, chat_id))[-1]
    await expect(page.get_by_label("Antwort an die Person")).to_have_count(0)
    history = page.locator(".history")
    for step in ("Fall eröffnet", "Übernommen", "Beantwortet", "Erledigt"):
        await expect(history).to_contain_text(step)

    await page.get_by_role("button", name="Wieder öffnen").click()
    await expect(page.locator("#case-status")).to_have_text("Offen")
    assert "open again" in (await _outbox(dashboard, chat_id))[-1]


async def test_a_second_caseworker_claiming_the_same_case_is_told_who_has_it(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    opened = await open_case(dashboard, chat_id)
    other = await make_account(dashboard, display_name="Omar Other")
    context = await page.context.browser.new_context()  # type: ignore[union-attr]
    second = await context.new_page()
    try:
        await sign_in(page, dashboard, caseworker)
        await sign_in(second, dashboard, other)
        for p in (page, second):
            await p.goto(f"{dashboard.url}/cases/{opened.id}")
            await expect(p.get_by_role("button", name="Fall übernehmen")).to_be_visible()
        await page.get_by_role("button", name="Fall übernehmen").click()
        await expect(page.locator("#notice")).to_contain_text("Sie bearbeiten jetzt")
        await second.get_by_role("button", name="Fall übernehmen").click()
        await expect(second.locator("#notice")).to_have_text(
            f"{caseworker.display_name} hat diesen Fall bereits übernommen."
        )
        await expect(second.get_by_label("Antwort an die Person")).to_have_count(0)
        async with dashboard.sessions() as session:
            stored = await session.get(Case, opened.id)
            assert stored is not None and stored.assignee == caseworker.name
        outbox = await _outbox(dashboard, chat_id)
        assert sum("is now looking at your case" in text for text in outbox) == 1
    finally:
        await context.close()


async def test_user_text_is_shown_as_text_and_new_messages_appear_live(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    dialogs: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    opened = await open_case(dashboard, chat_id, HOSTILE)
    await user_writes(dashboard, opened.id, HOSTILE)
    await sign_in(page, dashboard, caseworker)
    await page.goto(f"{dashboard.url}/cases/{opened.id}")
    user_line = page.locator(".from-user .text").last
    await expect(user_line).to_have_text(HOSTILE)
    await expect(page.locator(".facts .text").first).to_have_text(HOSTILE)
    assert await page.locator("#main b, #main script").count() == 0

    await user_writes(dashboard, opened.id, "Und noch eine Frage <i>hier</i>")
    await expect(page.locator(".from-user .text").last).to_have_text(
        "Und noch eine Frage <i>hier</i>", timeout=15_000
    )
    assert await page.locator("#main i").count() == 0
    assert dialogs == []


async def test_release_and_hand_over_and_only_the_holder_answers(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    opened = await open_case(dashboard, chat_id)
    colleague = await make_account(dashboard, display_name="Cem Colleague")
    await sign_in(page, dashboard, caseworker)
    await page.goto(f"{dashboard.url}/cases/{opened.id}")
    await page.get_by_role("button", name="Fall übernehmen").click()
    await page.get_by_role("button", name="Fall zurückgeben").click()
    await expect(page.locator("#notice")).to_contain_text("zurück in der Warteschlange")
    await expect(page.locator("#holder")).to_have_text("Noch niemand")
    await expect(page.locator("#case-status")).to_have_text("Offen")

    await page.get_by_role("button", name="Fall übernehmen").click()
    await page.get_by_label("Übergeben an").select_option(colleague.name)
    await page.get_by_role("button", name="Übergeben", exact=True).click()
    await expect(page.locator("#notice")).to_contain_text("an Cem Colleague übergeben")
    await expect(page.locator("#holder")).to_have_text("Cem Colleague")
    await expect(page.get_by_label("Antwort an die Person")).to_have_count(0)
    await expect(page.get_by_text("Cem Colleague bearbeitet diesen Fall")).to_be_visible()

    # a forged reply from the former holder is refused, nothing reaches the user
    token = await page.locator('input[name="csrf_token"]').first.input_value()
    forged = await page.request.post(
        f"{dashboard.url}/cases/{opened.id}/reply",
        form={"csrf_token": token, "text": "Ich antworte trotzdem"},
    )
    assert forged.url.endswith("notice=taken")
    assert not any("Ich antworte trotzdem" in text for text in await _outbox(dashboard, chat_id))


async def test_a_machine_translation_is_shown_under_the_original(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    class Bracketing:
        """Stands in for the machine-translation service (on the internet, unreachable here)."""

        async def translate(self, text: str, source: str | None, target: str) -> str | None:
            return f"[{source}→{target}] {text}"

    settings = make_settings(
        DATABASE_URL=dashboard.settings.database_url,
        DATA_DIR=str(dashboard.settings.data_dir),
        DASHBOARD_PORT=str(free_port()),
    )
    opened = await open_case(dashboard, chat_id, language="ar")
    await user_writes(dashboard, opened.id, "مرحبا <b>")
    async with dashboard_running(settings, translator=Bracketing()) as url:
        await sign_in(page, Dashboard(url, settings, dashboard.sessions), caseworker)
        await page.goto(f"{url}/cases/{opened.id}")
        last = page.locator(".from-user").last
        await expect(last.locator(".text")).to_have_text("مرحبا <b>")
        await expect(last.locator(".translation")).to_contain_text("[ar→de] مرحبا <b>")
