"""A young person with a Duldung asks about the integration course and about work.

The answers depend on the residence paper: the bot shows the general answer and asks once,
optionally, which paper they have; the choice shows the variant at once and is used for the
next answer with variants (typed, so through Rasa and the action server) without asking
again. Skipping keeps the general answers and the bot does not ask again; /delete forgets
the choice. Plus what editors see: the file format and `content check`.

Real trained Rasa, real action server, fake Telegram Bot API, SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.content.check import check_content
from bot.content.store import ContentStore
from bot.content.variants import split_variants
from bot.db.models import Chat
from bot.i18n import t
from bot.replies import callbacks, compose
from tests.conftest import UserChat, out_keys
from tests.servers import ROOT

COURSE = "courses.integration_course"
WORK = "training.work_permit"
COURSE_QUESTION = "Wer darf einen Integrationskurs machen?"
WORK_QUESTION = "Darf ich mit Duldung arbeiten?"
GENERAL_COURSE = "Seit Anfang 2026 lässt das BAMF Menschen ohne Anspruch (z. B. mit Gestattung"
DULDUNG_COURSE = "Mit einer Duldung hast du keinen Anspruch auf einen Integrationskurs."
DULDUNG_WORK = "Mit einer Duldung darfst du nur arbeiten, wenn die"
GENERAL_WORK = "Das hängt von deinem Aufenthaltsstatus ab."


async def stored_status(assistant: Assistant, chat_id: int) -> tuple[bool, str | None]:
    async with assistant.sessions() as session:
        chat = await session.get(Chat, chat_id)
        return chat is not None, chat.residence_status if chat else None


@pytest.mark.e2e
async def test_a_user_with_a_duldung_picks_it_once_and_gets_the_duldung_answers(
    assistant: Assistant, user: UserChat
) -> None:
    answer, question = await user.says(COURSE_QUESTION, replies=2)
    assert GENERAL_COURSE in answer.text and DULDUNG_COURSE not in answer.text
    assert "Aufenthaltsgestattung" in question.text and "Duldung" in question.text
    assert [label for label, _ in question.buttons] == [
        "Aufenthaltsgestattung",
        "Duldung",
        "Aufenthaltserlaubnis",
        t("button.paper_skip", "de"),
    ]

    saved, variant = await user.presses(question.button("Duldung"), on=question, replies=2)
    assert saved.method == "editMessageText" and saved.message_id == question.message_id
    assert "<b>Duldung</b>" in saved.text and "/delete" in saved.text
    assert variant.method == "sendMessage"
    assert DULDUNG_COURSE in variant.text and GENERAL_COURSE not in variant.text
    assert "Für: Duldung" in variant.text and "Quellen:" in variant.text
    assert await stored_status(assistant, user.chat_id) == (True, "duldung")

    # typed, through Rasa: the action server gets the paper with the message, no question
    [work] = await user.says(WORK_QUESTION)
    assert DULDUNG_WORK in work.text and GENERAL_WORK not in work.text
    await user.hears_nothing_more()
    assert (await out_keys(assistant, user.chat_id))[-1] == WORK

    [confirm] = await user.says("/delete")
    [_deleted] = await user.presses(callbacks.delete(True), on=confirm)
    assert await stored_status(assistant, user.chat_id) == (False, None)
    # a fresh start: the general answer and the question again
    answer, question = await user.says(COURSE_QUESTION, replies=2)
    assert GENERAL_COURSE in answer.text and question.buttons


@pytest.mark.e2e
async def test_skip_keeps_the_general_answers_and_the_bot_does_not_ask_again(
    assistant: Assistant, user: UserChat
) -> None:
    _answer, question = await user.says(COURSE_QUESTION, replies=2)
    [skipped] = await user.presses(question.button(t("button.paper_skip", "de")), on=question)
    assert skipped.message_id == question.message_id and "/paper" in skipped.text
    assert await stored_status(assistant, user.chat_id) == (True, None)

    [work] = await user.says(WORK_QUESTION)
    assert GENERAL_WORK in work.text and "Für:" not in work.text
    await user.hears_nothing_more()  # not asked again

    # /paper lets them choose later; the next answer uses it
    [menu] = await user.says("/paper")
    assert t("paper.none", "de") in menu.text
    [saved] = await user.presses(menu.button("Aufenthaltserlaubnis"), on=menu)
    assert "Aufenthaltserlaubnis" in saved.text
    [work] = await user.says(WORK_QUESTION)
    assert (
        "Für: Aufenthaltserlaubnis" in work.text
        and "„Erwerbstätigkeit erlaubt“: Du darfst jede" in work.text
    )


def test_a_variant_replaces_the_general_text_only_for_its_paper(tmp_path: Path) -> None:
    general, variants = split_variants(
        "Für alle.\n\n<!-- variant: duldung -->\nMit Duldung.\n\n<!--variant:gestattung-->\nG."
    )
    assert (general, variants) == ("Für alle.", {"duldung": "Mit Duldung.", "gestattung": "G."})
    store = ContentStore.load(ROOT / "content")
    for paper, expected in (("duldung", DULDUNG_COURSE), (None, GENERAL_COURSE)):
        reply = compose.answer(store, COURSE, "de", paper)
        assert reply is not None and expected in reply.text
    # a translation with the sections: the Arabic reader with a Duldung gets that section
    arabic = compose.answer(store, COURSE, "ar", "duldung")
    assert arabic is not None and t("paper.answer_for", "ar", paper="Duldung") in arabic.text
    # a translation without the variant: the general answer with its caveats, no "for" line
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    older = content / "courses" / "integration_course.ar.md"
    older.write_text(older.read_text(encoding="utf-8").split("<!-- variant:")[0], encoding="utf-8")
    arabic = compose.answer(ContentStore.load(content), COURSE, "ar", "duldung")
    assert arabic is not None and t("paper.answer_for", "ar", paper="Duldung") not in arabic.text


def test_content_check_warns_about_an_unknown_paper_and_a_translation_without_the_variant(
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    (content / "courses").mkdir(parents=True)
    (content / "catalog.yml").write_text("topics:\n  courses:\n    - integration_course\n")
    for language in ("de", "en"):
        source = ROOT / "content" / "courses" / f"integration_course.{language}.md"
        text = source.read_text(encoding="utf-8")
        if language == "de":
            text += "\n<!-- variant: fiktion -->\nMit Fiktionsbescheinigung.\n"
        else:
            text = text.split("<!-- variant:")[0]
        (content / "courses" / f"integration_course.{language}.md").write_text(text)
    findings = [f for f in check_content(content) if f.kind == "variant"]
    messages = {(f.where.split("/")[-1], f.level, f.message.split(" (")[0]) for f in findings}
    assert ("integration_course.de.md", "warning", "unknown residence status 'fiktion'") in {
        (w, level, m.split(" (")[0]) for w, level, m in messages
    }
    assert any(
        w == "integration_course.en.md" and "lacks" in m and level == "warning"
        for w, level, m in messages
    )
    assert not any(f.level == "error" for f in findings)
