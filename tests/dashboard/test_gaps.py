"""An editor's story: young people ask in Arabic, German and English where to take driving
lessons; the bot has no answer. On the gaps page the editor finds their questions as one
group, apart from a question about football, teaches the wordings to the driving-licence
answer (learnt at the next training) and downloads the counts without anybody's text or
contact details. A caseworker is not shown the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import html
import io
import itertools
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.store import ContentStore
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.db.models import (
    Case,
    Chat,
    ConversationMessage,
    GapSubscription,
    OutboxMessage,
    TrainingExample,
)
from bot.export_stats import iso_week
from bot.gaps.grouping import Grouper
from bot.gaps.groups import gap_groups
from bot.gaps.questions import unanswered
from bot.rasa.runtime import RasaPaths, ensure_venv
from bot.redact import mask_contacts
from bot.storage import cases, log
from tests.conftest import make_settings
from tests.dashboard.conftest import Dashboard, csrf_in, http_sign_in, make_account, sign_in
from tests.servers import ROOT

PHONE = "0151 2345678"
EMAIL = "sami.k@example.org"
DRIVING = {
    "ar": "أين يمكنني أخذ دروس القيادة؟",
    "de": f"Wo kann ich Fahrstunden nehmen? Ruf mich an {PHONE}",
    "en": f"Where can I take driving lessons? Write to {EMAIL}",
}
GERMAN_MASKED = "Wo kann ich Fahrstunden nehmen? Ruf mich an [phone]"
DRIVING_CASE = "Gibt es günstige Fahrschulen hier?"
FOOTBALL = {
    "en": "Is there a football club for young people?",
    "de": "Wo kann ich Fußball spielen?",
}
BANK_QUESTION = "How do I open a bank account with my Duldung?"

# Each story gets its own week far from now, so one run's gaps are its own.
_weeks = itertools.count()
_chats = itertools.count(int(dt.datetime.now().timestamp()) % 1_000_000 * 100 + 700_000_000_000)


@dataclass
class GapStory:
    week_start: dt.date
    chat_ids: list[int] = field(default_factory=list)
    pseudonyms: list[str] = field(default_factory=list)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.week_start, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(days=7)

    @property
    def query(self) -> str:
        last = self.week_start + dt.timedelta(days=6)
        return f"from={self.week_start.isoformat()}&to={last.isoformat()}"


async def tell_gap_story(
    sessions: async_sessionmaker[AsyncSession], year: int = 2997, month: int | None = None
) -> GapStory:
    """Questions that fell back in three languages, one that went to a caseworker, a
    football question, and an answer that did not help — all in one week."""
    if month is None:
        monday = dt.date(year, 1, 1) + dt.timedelta(weeks=1 + next(_weeks))
    else:
        monday = dt.date(year, month, 1) + dt.timedelta(days=7)
    monday -= dt.timedelta(days=monday.weekday())
    story = GapStory(monday)
    when = dt.datetime.combine(monday, dt.time(12), tzinfo=dt.UTC)
    update_ids = itertools.count(next(_chats))
    async with sessions.begin() as session:

        async def chat(language: str) -> int:
            chat_id = next(_chats)
            chat = Chat(id=chat_id, pseudonym=f"ps{chat_id}", language=language)
            session.add(chat)
            await session.flush()
            story.chat_ids.append(chat_id)
            story.pseudonyms.append(chat.pseudonym)
            return chat_id

        def turn(chat_id: int, language: str, text: str, intent: str, reply_key: str) -> None:
            update_id = next(update_ids)
            log.log_message(
                session, chat_id, "in", text, language=language, intent=intent,
                confidence=0.3, update_id=update_id,
            )  # fmt: skip
            log.log_message(
                session, chat_id, "out", "…", language=language, content_key=reply_key,
                update_id=update_id,
            )  # fmt: skip

        turn(await chat("ar"), "ar", DRIVING["ar"], "nlu_fallback", "fallback.clarify")
        turn(await chat("de"), "de", DRIVING["de"], "near_out_of_scope", "handoff.offer")
        turn(await chat("en"), "en", DRIVING["en"], "out_of_scope", "fallback.out_of_scope")
        escalated = await chat("de")
        turn(escalated, "de", DRIVING_CASE, "near_out_of_scope", "handoff.offer_gap")
        await cases.open_case(
            session, escalated, topic="other", language="de", description=DRIVING_CASE,
            source_update_id=None, reason="gap",
        )  # fmt: skip
        for language, text in FOOTBALL.items():
            turn(await chat(language), language, text, "out_of_scope", "fallback.out_of_scope")
        unhappy = await chat("en")
        turn(unhappy, "en", BANK_QUESTION, "ask_bank_account", "bureaucracy.bank_account")
        turn(unhappy, "en", "f:0:bureaucracy.bank_account", "feedback.not_helped", "feedback.sorry")
        await session.flush()
        # the feedback row carries the answer's key, as the router logs it
        await session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.intent == "feedback.not_helped")
            .where(ConversationMessage.chat_id == unhappy)
            .values(content_key="bureaucracy.bank_account")
        )
        ids = story.chat_ids
        await session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.chat_id.in_(ids))
            .values(created_at=when)
        )
        await session.execute(update(Case).where(Case.chat_id.in_(ids)).values(created_at=when))
        # the feedback comes after the answer
        await session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.intent == "feedback.not_helped")
            .where(ConversationMessage.chat_id == unhappy)
            .values(created_at=when + dt.timedelta(minutes=1))
        )
    return story


PET = "Kann ich meinen Hund mit ins Wohnheim nehmen?"
ASKED_BY_ONE = "(nur von einer Person gefragt, nicht zitiert)"


async def add_retyped_question(sessions: async_sessionmaker[AsyncSession], story: GapStory) -> None:
    """One young person asks whether their dog may live with them, is asked to say it in
    other words, and types the same again: two questions, one person."""
    async with sessions.begin() as session:
        chat_id = next(_chats)
        session.add(Chat(id=chat_id, pseudonym=f"ps{chat_id}", language="de"))
        await session.flush()
        story.chat_ids.append(chat_id)
        story.pseudonyms.append(f"ps{chat_id}")
        for minute in (0, 1):
            update_id = next(_chats)
            for direction, text, intent, key in (
                ("in", PET, "nlu_fallback", None),
                ("out", "…", None, "fallback.clarify"),
            ):
                row = log.log_message(
                    session, chat_id, direction, text, language="de", intent=intent,
                    content_key=key, update_id=update_id,
                )  # fmt: skip
                row.created_at = story.start + dt.timedelta(hours=13, minutes=minute)


@pytest.fixture(scope="session")
def rasa_venv() -> Path:
    """Rasa's venv holds the E5 model the grouping uses (installed once, cached)."""
    settings = make_settings()
    return ensure_venv(RasaPaths(ROOT, settings.cache_dir), settings.rasa_python)


def driving_key() -> str:
    key = ContentStore.load(ROOT / "content").catalog.full_key_for("driving_licence")
    assert key is not None
    return key


async def test_driving_questions_in_three_languages_form_one_group(
    dashboard: Dashboard, rasa_venv: Path
) -> None:
    story = await tell_gap_story(dashboard.sessions)
    async with dashboard.sessions() as session:
        questions = await unanswered(session, story.start, story.end)
    groups, embedded = await gap_groups(
        Grouper.for_settings(dashboard.settings), questions, dashboard.settings.timezone
    )
    assert embedded
    driving = next(g for g in groups if any(w.language == "ar" for w in g.examples))
    assert sorted(driving.languages.elements()) == ["ar", "de", "de", "en"]
    assert driving.escalated == 1 and driving.kinds["fallback"] == 4
    shown = " ".join(w.text for w in driving.examples)
    assert "[phone]" in shown and "[e-mail]" in shown and PHONE not in shown
    assert not any("football" in w.text or "Fußball" in w.text for w in driving.examples)
    football = next(g for g in groups if "football" in g.label or "Fußball" in g.label)
    assert football.size == 2
    unhappy = next(g for g in groups if g.kinds["not_helped"])
    assert unhappy.label == BANK_QUESTION and unhappy.topic == "bureaucracy"


async def test_an_editor_teaches_a_gap_to_an_existing_answer(
    dashboard: Dashboard, page: Page, rasa_venv: Path, tmp_path: Path
) -> None:
    story = await tell_gap_story(dashboard.sessions)
    editor = await make_account(dashboard, "editor", display_name="Edda Editor")
    await sign_in(page, dashboard, editor)
    await page.goto(f"{dashboard.url}/gaps?{story.query}")
    group = page.locator("article.gap").filter(has_text=DRIVING["ar"])
    await expect(group).to_have_count(1)
    await expect(group.locator(".wordings").get_by_text(GERMAN_MASKED)).to_be_visible()
    await expect(group.locator("bdi[dir=auto]").first).to_be_visible()
    await expect(
        page.get_by_role("img", name="Unbeantwortete Fragen pro Kalenderwoche")
    ).to_be_visible()
    await page.screenshot(path=str(tmp_path / "gaps.png"), full_page=True)
    new_answer = group.get_by_role("link", name="Neue Antwort anlegen")
    assert (await new_answer.get_attribute("href") or "").startswith("/content/new?from_gap=")

    key = driving_key()
    await group.get_by_label("Als Beispiele lernen für").select_option(key)
    await group.get_by_role("button", name="Als Trainingsbeispiele hinzufügen").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "Sie werden beim nächsten Training gelernt."
    )
    async with dashboard.sessions() as session:
        taught = (
            await session.scalars(
                select(TrainingExample).where(TrainingExample.source == "gap")
                .where(TrainingExample.intent == "ask_driving_licence")
            )
        ).all()  # fmt: skip
    texts = {(row.language, row.text) for row in taught}
    assert ("ar", DRIVING["ar"]) in texts
    assert ("de", GERMAN_MASKED) in texts
    assert all(PHONE not in text and EMAIL not in text for _, text in texts)


async def test_the_csv_counts_groups_per_week_and_language_without_personal_data(
    dashboard: Dashboard, http: httpx.AsyncClient, rasa_venv: Path
) -> None:
    story = await tell_gap_story(dashboard.sessions)
    await add_retyped_question(dashboard.sessions, story)
    editor = await make_account(dashboard, "editor")
    await http_sign_in(http, editor)
    response = await http.get(f"/gaps.csv?{story.query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    body = response.text
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and set(rows[0]) == {"group", "label", "topic", "week", "language", "count"}
    driving = {r["language"]: int(r["count"]) for r in rows if r["group"] == rows[0]["group"]}
    assert driving == {"ar": 1, "de": 2, "en": 1}
    for secret in (PHONE, EMAIL, *map(str, story.chat_ids), *story.pseudonyms):
        assert secret not in body
    # the only text is one label per group: of the four driving wordings exactly one
    wordings = [DRIVING["ar"], DRIVING_CASE, *(mask_contacts(DRIVING[k]) for k in ("de", "en"))]
    assert sum(wording in body for wording in wordings) == 1
    # a need one person had is counted, not quoted: even when they typed it twice
    assert BANK_QUESTION not in body and PET not in body
    single = [r for r in rows if r["label"] == ASKED_BY_ONE]
    assert {r["group"] for r in single} and sum(int(r["count"]) for r in single) == 3
    quoted = {r["label"] for r in rows if r["label"] != ASKED_BY_ONE}
    assert len(quoted) == len({r["group"] for r in rows if r["label"] != ASKED_BY_ONE})


async def test_caseworkers_do_not_see_the_gaps(
    dashboard: Dashboard, http: httpx.AsyncClient
) -> None:
    caseworker = await make_account(dashboard, "caseworker")
    await http_sign_in(http, caseworker)
    for path in ("/gaps", "/gaps.csv", "/reports/monthly"):
        assert (await http.get(path)).status_code == 403
    token = csrf_in((await http.get("/queue")).text)
    refused = await http.post(
        "/gaps/train", data={"csrf_token": token, "key": driving_key(), "ref": "m1"}
    )
    assert refused.status_code == 403


def fake_worker(tmp_path: Path, script: str) -> Path:
    """A stand-in for Rasa's python that runs `script` instead of the E5 worker."""
    path = tmp_path / "python"
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    "answer",
    [
        '{"vectors": ["AAAA", "AAAA"], "grou',  # cut off
        '{"vectors": ["AAAA"], "groups": [[0, 1]], "centres": [0]}',  # a vector short
        '{"vectors": ["AAAA", "AAAA"], "groups": [[0]], "centres": [0]}',  # a wording lost
    ],
)
async def test_a_broken_worker_answer_still_shows_the_gaps_by_identical_wording(
    tmp_path: Path, answer: str
) -> None:
    grouper = Grouper(fake_worker(tmp_path, f"cat >/dev/null\nprintf '%s' '{answer}'\n"))
    grouping = await grouper.group(["Wo ist der Fußball?", "Fahrstunden?", "wo ist der  fußball?"])
    assert not grouping.embedded
    assert grouping.groups == [[0, 2], [1]]


async def test_a_closed_page_stops_the_grouping_worker(tmp_path: Path) -> None:
    """The editor closes the browser while the gaps are grouped: the worker is killed at once
    instead of keeping the shared cores busy for minutes."""
    pid_file = tmp_path / "pid"
    grouper = Grouper(fake_worker(tmp_path, f"echo $$ > '{pid_file}'\nexec sleep 120\n"))
    task = asyncio.create_task(grouper.group(["Fahrstunden?", "Fußball?"]))
    for _ in range(600):  # the worker has started when it wrote its pid
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    try:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(ProcessLookupError):  # killed and reaped
            os.kill(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


async def test_many_didnt_help_presses_are_read_in_a_fixed_number_of_queries(
    database_url: str,
) -> None:
    """A young person presses "didn't help" under answer after answer; the gaps page lists
    every question those answers were given to, without a query per press (the dashboard
    shares the bot's event loop and database pool)."""
    keys = ["bureaucracy.bank_account", "health.doctor", "housing.flat", "work.permit", "x.y"]
    monday = dt.date(2993, 1, 1) + dt.timedelta(weeks=1 + next(_weeks))
    monday -= dt.timedelta(days=monday.weekday())
    when = dt.datetime.combine(monday, dt.time(12), tzinfo=dt.UTC)
    engine = make_async_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions.begin() as session:
            chat_id = next(_chats)
            session.add(Chat(id=chat_id, pseudonym=f"ps{chat_id}", language="en"))
            await session.flush()
            for n, key in enumerate(keys):
                asked = when + dt.timedelta(minutes=2 * n)
                for text, intent, at, rated in (
                    (f"question {n}", f"ask_{key.split('.', 1)[1]}", asked, None),
                    (f"f:0:{key}", "feedback.not_helped", asked + dt.timedelta(minutes=1), key),
                ):
                    row = log.log_message(
                        session, chat_id, "in", text, language="en", intent=intent,
                        content_key=rated,
                    )  # fmt: skip
                    row.created_at = at
                    await session.flush()
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        async with sessions() as session:
            questions = await unanswered(session, when, when + dt.timedelta(days=1))
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    finally:
        await engine.dispose()
    mine = sorted(q.text for q in questions if q.chat_id == chat_id)
    assert mine == [f"question {n}" for n in range(len(keys))]
    assert len(statements) <= 4  # fallbacks, presses, their questions, cases


ANSWERED = "Wie beantrage ich Kindergeld für meine Schwester?"
HANDOFF_STORY = "Mein Vermieter bedroht mich, ich brauche Hilfe"


async def test_a_crafted_form_cannot_teach_or_read_what_is_no_gap(
    dashboard: Dashboard, http: httpx.AsyncClient
) -> None:
    """An editor edits the form by hand: a case's description, or a question the bot did
    answer, is refused — nothing is copied into the training examples or shown."""
    story = await tell_gap_story(dashboard.sessions)
    async with dashboard.sessions.begin() as session:
        chat_id = next(_chats)
        session.add(Chat(id=chat_id, pseudonym=f"ps{chat_id}", language="de"))
        await session.flush()
        answered = log.log_message(
            session, chat_id, "in", ANSWERED, language="de", intent="ask_child_benefit",
            confidence=0.95, update_id=next(_chats),
        )  # fmt: skip
        await session.flush()
        case = await cases.open_case(
            session, chat_id, topic="other", language="de", description=HANDOFF_STORY,
            source_update_id=None, reason="request",
        )  # fmt: skip
        case_id = case.id
        bank = await session.scalar(
            select(ConversationMessage.id).where(ConversationMessage.text == BANK_QUESTION)
            .where(ConversationMessage.chat_id.in_(story.chat_ids))
        )  # fmt: skip
    editor = await make_account(dashboard, "editor")
    await http_sign_in(http, editor)
    token = csrf_in((await http.get(f"/gaps?{story.query}")).text)
    for refs in ([f"c{case_id}"], [f"m{answered.id}"], [f"m{bank}", f"m{answered.id}"], ["x1"]):
        form = {"csrf_token": token, "key": driving_key(), "ref": refs}
        assert (await http.post("/gaps/train", data=form)).status_code == 400, refs
    page = await http.get(f"/content/new?from_gap={answered.id}")
    assert page.status_code == 200 and ANSWERED not in page.text
    # the question behind "didn't help" is a gap: it may be taught
    form = {"csrf_token": token, "key": driving_key(), "ref": [f"m{bank}"]}
    assert (await http.post("/gaps/train", data=form)).status_code == 303
    async with dashboard.sessions() as session:
        taught = set(
            await session.scalars(
                select(TrainingExample.text).where(TrainingExample.intent == "ask_driving_licence")
            )
        )
    assert BANK_QUESTION in taught
    assert not taught & {HANDOFF_STORY, ANSWERED}


SWIMMING = "Gibt es hier einen Schwimmkurs für Erwachsene?"


async def test_everyone_in_the_group_who_asked_to_be_told_hears_the_answer(
    dashboard: Dashboard, page: Page
) -> None:
    """Seven young people asked the same thing; the page shows the wording once. The first of
    them pressed "tell me when there is an answer". When the editor teaches the group, that
    person is told too, not only the asker of the wording shown."""
    monday = dt.date(2994, 1, 1) + dt.timedelta(weeks=1 + next(_weeks))
    monday -= dt.timedelta(days=monday.weekday())
    when = dt.datetime.combine(monday, dt.time(12), tzinfo=dt.UTC)
    async with dashboard.sessions.begin() as session:
        asked: list[int] = []
        for n in range(7):
            chat_id = next(_chats)
            session.add(Chat(id=chat_id, pseudonym=f"ps{chat_id}", language="de"))
            await session.flush()
            row = log.log_message(
                session, chat_id, "in", SWIMMING, language="de", intent="nlu_fallback",
                update_id=next(_chats),
            )  # fmt: skip
            row.created_at = when + dt.timedelta(minutes=n)
            await session.flush()
            asked.append(row.id)
        first = await session.get(ConversationMessage, asked[0])
        assert first is not None
        session.add(GapSubscription(chat_id=first.chat_id, message_id=asked[0], language="de"))
    editor = await make_account(dashboard, "editor")
    await sign_in(page, dashboard, editor)
    last = monday + dt.timedelta(days=6)
    await page.goto(f"{dashboard.url}/gaps?from={monday.isoformat()}&to={last.isoformat()}")
    group = page.locator("article.gap").filter(has_text=SWIMMING)
    await expect(group.locator(".wordings li")).to_have_count(1)
    link = await group.get_by_role("link", name="Neue Antwort anlegen").get_attribute("href")
    assert link is not None  # the one waiting comes first: a link carries only a few ids
    assert parse_qs(urlparse(link).query)["from_gap"][0].split(",")[0] == str(asked[0])
    await group.get_by_label("Als Beispiele lernen für").select_option(driving_key())
    await group.get_by_role("button", name="Als Trainingsbeispiele hinzufügen").click()
    await expect(page.get_by_role("status")).to_contain_text("beim nächsten Training")
    async with dashboard.sessions() as session:
        subscription = await session.scalar(
            select(GapSubscription).where(GapSubscription.message_id == asked[0])
        )
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.chat_id == first.chat_id)
        )
    assert subscription is not None and subscription.notified_at is not None
    assert subscription.content_key == driving_key() and queued


CASE_TEXTS = (
    "Ich suche eine Fahrschule mit Unterricht auf Arabisch, ich heiße Sami Karimi",
    "Mein Handy ist kaputt und ich habe keine SIM-Karte mehr",
)
CASES_ONLY = "Weitergabe(n) an Fachkräfte, Text nur bei den Fachkräften"


async def add_case_texts(sessions: async_sessionmaker[AsyncSession], story: GapStory) -> None:
    """Cases opened because of a gap, whose descriptions were never logged as a question:
    about driving lessons (joins that group), and about a broken phone (twice, by two people:
    a group of case texts only)."""
    when = story.start + dt.timedelta(hours=12)
    async with sessions.begin() as session:
        for text, reason in (
            (CASE_TEXTS[0], "gap"),
            (CASE_TEXTS[1], "unclear"),
            (CASE_TEXTS[1], "gap"),
        ):
            chat_id = next(_chats)
            session.add(Chat(id=chat_id, pseudonym=f"ps{chat_id}", language="de"))
            await session.flush()
            story.chat_ids.append(chat_id)
            case = await cases.open_case(
                session, chat_id, topic="other", language="de", description=text,
                source_update_id=None, reason=reason,
            )  # fmt: skip
            case.created_at = when


async def test_editors_see_no_case_texts_on_the_gaps_page_or_in_the_csv(
    dashboard: Dashboard, http: httpx.AsyncClient, rasa_venv: Path
) -> None:
    """Cases count in their group and mark it as passed to a caseworker, but what the young
    person wrote to the caseworker is never shown, offered for teaching or exported: the
    /privacy text promises editors no case content."""
    story = await tell_gap_story(dashboard.sessions)
    await add_case_texts(dashboard.sessions, story)
    editor = await make_account(dashboard, "editor")
    await http_sign_in(http, editor)
    page = (await http.get(f"/gaps?{story.query}")).text
    body = (await http.get(f"/gaps.csv?{story.query}")).text
    for text in CASE_TEXTS:
        assert html.escape(text) not in page and text not in body
        assert "Sami" not in page and "Sami" not in body
    assert 'name="ref" value="c' not in page  # no case offered as a training example
    assert CASES_ONLY in page and CASES_ONLY in body
    async with dashboard.sessions() as session:
        questions = await unanswered(session, story.start, story.end)
    groups, _ = await gap_groups(
        Grouper.for_settings(dashboard.settings), questions, dashboard.settings.timezone
    )
    phone = next(g for g in groups if g.label is None)
    assert (phone.size, phone.escalated, phone.examples) == (2, 2, [])
    assert sum(g.escalated for g in groups) == 4  # the three above and the story's one


CHESS = "Gibt es hier einen Schachclub für Jugendliche?"


async def test_the_gaps_count_local_days_and_weeks(
    dashboard: Dashboard, http: httpx.AsyncClient
) -> None:
    """Just after midnight in Germany it is still the day before in UTC. A question asked
    then belongs to the local day and week — on the gaps page as in "today" and in the
    monthly report (TIMEZONE Europe/Berlin, winter: UTC+1)."""
    monday = dt.date(2992, 1, 1) + dt.timedelta(weeks=1 + next(_weeks))
    monday -= dt.timedelta(days=monday.weekday())
    assert dashboard.settings.timezone == "Europe/Berlin"

    def utc(day: dt.date, hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)

    asked = {
        "ar": utc(monday - dt.timedelta(days=1), 23, 30),  # Monday 00:30 in Germany
        "en": utc(monday + dt.timedelta(days=6), 23, 30),  # next Monday 00:30 in Germany
        "fa": utc(monday + dt.timedelta(days=13), 23, 30),  # after the period in Germany
    }
    async with dashboard.sessions.begin() as session:
        for language, when in asked.items():
            chat_id = next(_chats)
            session.add(Chat(id=chat_id, pseudonym=f"ps{chat_id}", language=language))
            await session.flush()
            row = log.log_message(
                session, chat_id, "in", CHESS, language=language, intent="nlu_fallback",
                update_id=next(_chats),
            )  # fmt: skip
            row.created_at = when
    editor = await make_account(dashboard, "editor")
    await http_sign_in(http, editor)
    last = monday + dt.timedelta(days=13)
    body = (await http.get(f"/gaps.csv?from={monday.isoformat()}&to={last.isoformat()}")).text
    counted = {(r["week"], r["language"]) for r in csv.DictReader(io.StringIO(body))}
    second = monday + dt.timedelta(days=7)
    assert counted == {(iso_week(monday), "ar"), (iso_week(second), "en")}
