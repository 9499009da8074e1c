"""Nothing waits for ever: forgotten cases reach an admin, undeliverable rows are given up.

An open case keeps a young person's data, so one nobody touches for `OPEN_CASE_MAX_DAYS` is
escalated once (case event, audit line, staff group) and listed on the admin page. Outbox
rows too old to help are never sent; inbox rows nothing can answer stop being pending.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from telegram import Bot

from bot.cases.escalation import ACTOR
from bot.dashboard.server import dashboard_running
from bot.db.models import (
    AuditEvent,
    Case,
    CaseEvent,
    Chat,
    InboxUpdate,
    OutboxMessage,
    utcnow,
)
from bot.storage import cases, retention
from bot.telegram.sender import OutboxSender
from tests.conftest import make_settings
from tests.dashboard.conftest import Account, Dashboard, http_sign_in, make_account
from tests.fake_telegram import FakeTelegram
from tests.servers import free_port

STAFF_CHAT = -1001234567890
LONG_AGO = utcnow() - dt.timedelta(days=70)


async def _quiet_case(sessions: Any, chat_id: int, description: str, since: dt.datetime) -> int:
    """An open case whose last sign of life (opening, every event) was at `since`."""
    async with sessions.begin() as session:
        session.add(Chat(id=chat_id, pseudonym=f"q{chat_id}", language="ar", last_seen_at=since))
        await session.flush()
        opened = await cases.open_case(
            session,
            chat_id,
            topic="housing",
            language="ar",
            description=description,
            source_update_id=None,
        )
        await session.flush()
        opened.created_at = since
        await session.execute(
            update(CaseEvent).where(CaseEvent.case_id == opened.id).values(at=since)
        )
        return opened.id


async def _admin_page(settings: Any, admin: Account) -> str:
    async with (
        dashboard_running(settings) as url,
        httpx.AsyncClient(base_url=url, follow_redirects=False) as client,
    ):
        signed_in = await http_sign_in(client, admin)
        assert signed_in.status_code == 303
        page = await client.get("/admin")
    assert page.status_code == 200
    return page.text


async def test_a_case_nobody_touched_for_sixty_days_goes_to_the_admins_once(
    sessions: Any, database_url: str, chat_id: int, tmp_path: Path
) -> None:
    settings = make_settings(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path),
        DASHBOARD_PORT=str(free_port()),
        STAFF_CHAT_ID=str(STAFF_CHAT),
    )
    assert settings.open_case_max_days == 60
    forgotten = await _quiet_case(sessions, chat_id, "Meine Wohnung ist kalt", LONG_AGO)
    lively = await _quiet_case(sessions, chat_id + 1, "Brief vom Amt", LONG_AGO)
    async with sessions.begin() as session:  # the user of the second case wrote last week
        cases.add_event(session, lively, "user_message")

    async with sessions.begin() as session:
        first = await retention.run(session, settings)
    async with sessions.begin() as session:  # sixty more quiet days later …
        await session.execute(
            update(CaseEvent).where(CaseEvent.case_id == forgotten).values(at=LONG_AGO)
        )
    async with sessions.begin() as session:
        await retention.run(session, settings)  # … it is not escalated a second time

    assert first["escalated cases"] >= 1
    async with sessions() as session:
        escalated = await session.get(Case, forgotten)
        untouched = await session.get(Case, lively)
        events = await session.scalar(
            select(func.count()).where(
                CaseEvent.case_id == forgotten, CaseEvent.kind == "escalated"
            )
        )
        audits = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.case_id == forgotten, AuditEvent.action == "escalate"
                )
            )
        )
        notices = list(
            await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.chat_id == STAFF_CHAT)
            )
        )
    assert escalated is not None and escalated.escalated_at is not None
    assert escalated.status == "open"  # a person decides what happens next, not retention
    assert untouched is not None and untouched.escalated_at is None
    assert events == 1
    assert [(a.actor, a.detail) for a in audits] == [(ACTOR, "OPEN_CASE_MAX_DAYS=60")]
    number = cases.case_number(forgotten)
    about_it = [p["text"] for p in notices if number in p["text"]]
    assert len(about_it) == 1
    assert "60" in about_it[0] and "Wohnung" not in about_it[0]  # never what the user wrote
    assert cases.case_number(lively) not in " ".join(p["text"] for p in notices)

    board = Dashboard("", settings, sessions)
    admin = await make_account(board, "admin", display_name="Ada Admin")
    html = await _admin_page(settings, admin)
    overdue = html.split('id="overdue-h"')[1].split('id="audit-h"')[0]
    assert "Überfällige Fälle" in overdue
    assert f'href="/cases/{forgotten}"' in overdue and number in overdue
    assert f'href="/cases/{lively}"' not in overdue
    assert "Wohnung" not in html
    assert "System (automatisch)" in html.split('id="audit-h"')[1]

    async with sessions.begin() as session:  # resolved: off the list
        found = await session.get(Case, forgotten)
        assert found is not None
        found.status = "resolved"
    html = await _admin_page(settings, admin)
    assert (
        f'href="/cases/{forgotten}"' not in html.split('id="overdue-h"')[1].split('id="audit-h"')[0]
    )


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=f"{telegram.url}/bot") as bot:
        yield bot


def _message(chat_id: int, text: str, age: dt.timedelta, update_id: int | None) -> OutboxMessage:
    return OutboxMessage(
        chat_id=chat_id,
        method="sendMessage",
        payload={"chat_id": chat_id, "text": text, "parse_mode": "HTML"},
        source_update_id=update_id,
        created_at=utcnow() - age,
        next_attempt_at=utcnow() - age,
    )


async def test_a_stale_apology_is_never_sent_but_a_caseworkers_reply_still_goes_out(
    sessions: Any, telegram: FakeTelegram, bot: Bot, chat_id: int
) -> None:
    """Telegram was down for two days; when it is back, the stale apology stays unsent."""
    update_id = 7_000_000_000 + chat_id
    async with sessions.begin() as session:
        apology = _message(chat_id, "Entschuldigung, Technik", dt.timedelta(days=2), update_id)
        reply = _message(chat_id, "Antwort der Beraterin", dt.timedelta(days=2), None)
        fresh = _message(chat_id, "Neue Antwort", dt.timedelta(minutes=1), update_id + 1)
        ancient = _message(chat_id, "Uralt", dt.timedelta(days=8), None)
        session.add_all([ancient, apology, reply, fresh])
    async with sessions.begin() as session:
        counts = await retention.purge(session, retention_days=180)
    assert counts["outbox expired"] >= 2

    sender = OutboxSender(bot, sessions)
    task = asyncio.create_task(sender.run())
    try:
        sent = await telegram.wait_for(chat_id, 2, within=20)
    finally:
        sender.stop()
        await task
    # Per-chat order: the apology was first in line, so had it been sent it would be here.
    assert [s.text for s in sent] == ["Antwort der Beraterin", "Neue Antwort"]
    async with sessions() as session:
        status = await session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.id == apology.id)
        )
        ancient_left = await session.get(OutboxMessage, ancient.id)
    assert status == "expired"
    assert ancient_left is None  # expired and past the week's rule: deleted in the same run


async def test_pending_inbox_rows_that_can_never_be_answered_are_cleared(
    sessions: Any, chat_id: int
) -> None:
    base = 8_000_000_000 + chat_id * 10
    week_ago = utcnow() - dt.timedelta(days=8)
    async with sessions.begin() as session:
        session.add_all(
            [
                InboxUpdate(update_id=base, chat_id=None, payload={}),  # no chat: never answerable
                InboxUpdate(update_id=base + 1, chat_id=None, payload={}, received_at=week_ago),
                InboxUpdate(update_id=base + 2, chat_id=chat_id, payload={}, received_at=week_ago),
                InboxUpdate(update_id=base + 3, chat_id=chat_id, payload={}),  # waits for Rasa
            ]
        )
    async with sessions.begin() as session:
        await retention.purge(session, retention_days=180)
    async with sessions() as session:
        rows = {
            row.update_id - base: row.status
            for row in await session.scalars(
                select(InboxUpdate).where(InboxUpdate.update_id.between(base, base + 9))
            )
        }
    assert rows == {0: "skipped", 3: "pending"}  # the old ones are gone, the recent one waits


async def test_a_delete_that_waits_a_week_is_never_given_up_and_the_operator_is_warned(
    sessions: Any, chat_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Rasa's tracker store out for a week: the erasure stays the user's right, not expired."""
    base = 8_500_000_000 + chat_id * 10
    week_ago = utcnow() - dt.timedelta(days=8)
    confirmed = {"callback_query": {"id": "1", "data": "d:y", "message": {"chat": {"id": 1}}}}
    cancelled = {"callback_query": {"id": "2", "data": "d:n", "message": {"chat": {"id": 1}}}}
    async with sessions.begin() as session:
        session.add_all(
            [
                InboxUpdate(
                    update_id=base, chat_id=chat_id, payload=confirmed, received_at=week_ago
                ),
                InboxUpdate(
                    update_id=base + 1, chat_id=chat_id, payload=cancelled, received_at=week_ago
                ),
                InboxUpdate(update_id=base + 2, chat_id=chat_id, payload={}, received_at=week_ago),
            ]
        )
    for _ in range(2):  # every daily run keeps it, and says so
        with caplog.at_level(logging.WARNING, logger="bot.storage.retention"):
            async with sessions.begin() as session:
                await retention.purge(session, retention_days=180)
    async with sessions() as session:
        rows = {
            row.update_id - base: row.status
            for row in await session.scalars(
                select(InboxUpdate).where(InboxUpdate.update_id.between(base, base + 9))
            )
        }
    assert rows == {0: "pending"}  # the others expired and went with the week's rule
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.storage.retention"]
    assert len(warnings) == 2 and all("1 /delete request(s) still wait" in w for w in warnings)
    assert not any(str(chat_id) in w for w in warnings)
