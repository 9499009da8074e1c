"""An editor's story: the exports show how the bot did, never what a user told a person.

Amal asks about a flat and puts her phone number and e-mail address into the question, gets
a clarifying question, asks for a person, writes her situation into the case, gets a
caseworker's reply and leaves another contact detail. The editor's conversation export shows
that the conversation went to a person, but not the thread and not her contact details; the
statistics count every step and contain no text at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import update

from bot.db.models import ConversationMessage
from bot.export import CASE_THREAD_MARK
from bot.export_stats import STATS_FIELDS, iso_week
from bot.storage import case_thread, cases, chats, log
from tests.servers import ROOT

QUESTION = (
    "Wo finde ich eine Wohnung ab 01.12.2026? Ruf mich an: 0151-2345678 oder amal@example.org"
)
SITUATION = "Brief vom BAMF, Ablehnung, Klagefrist 10.12."
CASEWORKER = "Hallo Amal, rufen Sie mich unter (05971) 123456 an."
SECRETS = ("2345678", "amal@", "BAMF", "Klagefrist", "05971", "Hallo Amal")
TYPED_COMMAND = "amal_mueller"  # typed text: in the conversation export, never in the stats

# Each story gets its own ISO week (far from "now"), so the counts of one run are its own.
_weeks = itertools.count()


def run_export(database_url: str, what: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url}  # exports need no data key
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", what, *args],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    return result.stdout


@pytest.fixture
async def story(sessions: Any, chat_id: int) -> tuple[str, dt.datetime]:
    """Amal's conversation, all on one Wednesday; returns her pseudonym and that day."""
    when = dt.datetime(2998, 1, 7, 12, tzinfo=dt.UTC) + dt.timedelta(weeks=next(_weeks))
    async with sessions.begin() as session:
        pseudonym = (await chats.get_or_create(session, chat_id)).pseudonym

        def say(direction: str, text: str, **fields: Any) -> None:
            log.log_message(session, chat_id, direction, text, language="de", **fields)

        say("in", QUESTION, intent="ask_find_flat", confidence=0.91)
        say("out", "Eine Wohnung finden …", content_key="housing.find_flat")
        say("in", "und das papier?", intent="nlu_fallback", confidence=0.31)
        say("out", "Meinen Sie …?", content_key="fallback.clarify")
        say("in", f"/{TYPED_COMMAND}", intent=f"command.{TYPED_COMMAND}", confidence=1.0)
        say("out", "Diesen Befehl kenne ich nicht.", content_key="meta.unknown_command")
        say("in", "/human", intent="command.human", confidence=1.0)
        await session.flush()
        case = await cases.open_case(
            session, chat_id, topic="other", language="de", description=SITUATION,
            source_update_id=None,
        )  # fmt: skip
        say("out", "Ihr Fall GK-00001 ist offen.", content_key="handoff.opened", case_id=case.id)
        case_thread.add_user_message(session, case, SITUATION, None)
        case_thread.record_reply(session, case, "sam", CASEWORKER)
        say("in", "[contact]", intent="case.contact", confidence=1.0, case_id=case.id)
        say("out", "Sie erreicht man auch unter amal@example.org.",
            content_key="handoff.contact_saved", case_id=case.id)  # fmt: skip
        await session.flush()
        messages = ConversationMessage
        await session.execute(
            update(messages).where(messages.chat_id == chat_id).values(created_at=when)
        )
    return pseudonym, when


async def test_the_conversation_export_shows_the_handoff_but_not_the_thread_or_contacts(
    database_url: str, story: tuple[str, dt.datetime]
) -> None:
    pseudonym, when = story
    lines = run_export(database_url, "conversations", "--since", when.date().isoformat())
    records = [r for r in map(json.loads, lines.splitlines()) if r["chat"] == pseudonym]
    dumped = json.dumps(records, ensure_ascii=False)
    assert not [secret for secret in SECRETS if secret in dumped]

    question = records[0]
    assert question["text"] == (
        "Wo finde ich eine Wohnung ab 01.12.2026? Ruf mich an: [phone] oder [e-mail]"
    )
    thread = [r for r in records if r["text"] == CASE_THREAD_MARK]
    assert [(r["direction"], r["content_key"]) for r in thread] == [
        ("in", "case.user_message"),
        ("out", "case.reply"),
        ("in", None),  # the contact step (intent case.contact)
        ("out", "handoff.contact_saved"),
    ]
    assert len({r["case_id"] for r in thread}) == 1 and thread[0]["case_id"] is not None
    opened = next(r for r in records if r["content_key"] == "handoff.opened")
    assert opened["text"] == "Ihr Fall GK-00001 ist offen."  # editors see it went to a person


async def test_the_stats_count_every_step_per_week_and_contain_no_text(
    database_url: str, story: tuple[str, dt.datetime]
) -> None:
    pseudonym, when = story
    out = run_export(database_url, "stats", "--since", when.date().isoformat())
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == STATS_FIELDS
    mine = {
        (r["direction"], r["intent"], r["content_key"], r["fallback"]): int(r["count"])
        for r in rows
        if r["week"] == iso_week(when.date())
    }
    assert mine == {
        ("in", "ask_find_flat", "", ""): 1,
        ("out", "", "housing.find_flat", ""): 1,
        ("in", "nlu_fallback", "", ""): 1,
        ("out", "", "fallback.clarify", "fallback.clarify"): 1,
        ("in", "command.other", "", ""): 1,
        ("out", "", "meta.unknown_command", ""): 1,
        ("in", "command.human", "", ""): 1,
        ("out", "", "handoff.opened", ""): 1,
        ("in", "", "case.user_message", ""): 1,
        ("out", "", "case.reply", ""): 1,
        ("in", "case.contact", "", ""): 1,
        ("out", "", "handoff.contact_saved", ""): 1,
    }
    assert {r["language"] for r in rows if r["week"] == iso_week(when.date())} == {"de"}
    for text in (*SECRETS, TYPED_COMMAND, pseudonym, "Wohnung", "GK-", "[phone]", "?"):
        assert text not in out
