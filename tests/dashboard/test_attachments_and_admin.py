"""Attachments on the case page (shown only to caseworkers, with safe headers) and the
admin page: staff list and the audit log of who did what to which case."""

from __future__ import annotations

import re
import struct
import zlib

import httpx
from playwright.async_api import Page, expect

from bot.db.models import Case
from bot.storage import case_thread
from bot.storage.cases import case_number
from tests.dashboard.conftest import Account, Dashboard, open_case, sign_in


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff\x00\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def _attach(
    dashboard: Dashboard, case_id: int, name: str, media_type: str, data: bytes
) -> int:
    async with dashboard.sessions.begin() as session:
        found = await session.get(Case, case_id)
        assert found is not None
        row = await case_thread.add_attachment(
            session, found, file_name=name, media_type=media_type, data=data, update_id=None
        )
        return row.id


async def test_a_photo_is_shown_and_a_pdf_is_a_download_for_caseworkers_only(
    page: Page, dashboard: Dashboard, caseworker: Account, chat_id: int
) -> None:
    opened = await open_case(dashboard, chat_id)
    photo = await _attach(dashboard, opened.id, "brief.png", "image/png", tiny_png())
    pdf = await _attach(
        dashboard, opened.id, 'bescheid"\r\nX: y.pdf', "application/pdf", b"%PDF-1.4\n%%EOF\n"
    )
    await sign_in(page, dashboard, caseworker)
    await page.goto(f"{dashboard.url}/cases/{opened.id}")
    image = page.get_by_role("img", name="Foto der Person: brief.png")
    await expect(image).to_be_visible()
    assert await image.evaluate("img => img.naturalWidth") == 2
    await expect(page.get_by_role("link", name="Dokument herunterladen")).to_have_attribute(
        "href", f"/attachments/{pdf}"
    )

    shown = await page.request.get(f"{dashboard.url}/attachments/{photo}")
    assert shown.status == 200 and shown.headers["content-type"] == "image/png"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"].startswith('inline; filename="brief.png"')
    download = await page.request.get(f"{dashboard.url}/attachments/{pdf}")
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and "\n" not in disposition
    assert '"bescheid_X_y.pdf"' in disposition

    async with httpx.AsyncClient(base_url=dashboard.url) as stranger:
        refused = await stranger.get(f"/attachments/{photo}")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")


async def test_the_audit_log_shows_who_opened_claimed_answered_and_changed_a_case(
    page: Page, dashboard: Dashboard, caseworker: Account, admin: Account, chat_id: int
) -> None:
    opened = await open_case(dashboard, chat_id)
    await sign_in(page, dashboard, caseworker)
    response = await page.goto(f"{dashboard.url}/admin")
    assert response is not None and response.status == 403  # caseworkers see no audit log
    await page.goto(f"{dashboard.url}/cases/{opened.id}")
    await page.get_by_role("button", name="Fall übernehmen").click()
    await page.get_by_role("textbox", name="Notiz").fill("Rückruf am Montag")
    await page.get_by_role("button", name="Notiz speichern").click()
    await expect(page.locator(".notes")).to_contain_text("Rückruf am Montag")
    await page.get_by_label("Antwort an die Person").fill("Ich melde mich.")
    await page.get_by_role("button", name="Antwort senden").click()
    await page.get_by_label("Neuer Status").select_option("resolved")
    await page.get_by_role("button", name="Status ändern").click()
    await page.get_by_role("button", name="Abmelden").click()

    await sign_in(page, dashboard, admin)
    await page.get_by_role("link", name="Verwaltung").click()
    staff_table = page.locator("table.plain").first
    await expect(staff_table).to_contain_text(caseworker.name)
    await expect(staff_table).to_contain_text("Ada Admin")
    await page.get_by_label("Fall").fill(case_number(opened.id))
    await page.get_by_role("button", name="Anzeigen").click()
    await page.wait_for_url(re.compile(r"[?&]case=GK"))
    await page.wait_for_load_state()
    audit = page.locator("table.audit tbody")
    await expect(audit).to_contain_text("Fall übernommen")
    # every page load is an access and is logged; each action once
    actions = await audit.locator("td:nth-child(3)").all_inner_texts()
    done = ["Status geändert", "Geantwortet", "Notiz geschrieben", "Fall übernommen"]
    assert [a for a in actions if a != "Fall angesehen"] == done  # newest first
    assert "Fall angesehen" in actions
    await expect(audit).to_contain_text("waiting_for_user -> resolved")
    await expect(audit).to_contain_text(caseworker.display_name)
    assert "Rückruf" not in await audit.inner_text()  # no case text in the audit log

    await page.get_by_label("Fall").fill("")
    await page.get_by_label("Person").select_option(admin.name)
    await page.get_by_role("button", name="Anzeigen").click()
    await expect(audit).to_contain_text("Angemeldet")
    await expect(audit).not_to_contain_text("Fall übernommen")
