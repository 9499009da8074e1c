"""Anna answers Hodan in German; Hodan reads it in Somali, marked, with the German one tap away.

The desk sends what the caseworker checked (`sent_text`), says it was translated by machine,
and adds the German original as an expandable quote. The case history keeps the German.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.cases.desk import CaseDesk, Staff
from bot.db.models import CaseEvent, Chat, ConversationMessage, OutboxMessage
from bot.i18n import t
from bot.storage import cases

# The first words of the Somali "machine-translated" note (the note itself has markup).
MACHINE_NOTE = t("case.reply_machine", "so").removeprefix("<i>")[:25]

ANNA = Staff("anna", "Anna")
GERMAN = "Bitte schick mir ein Foto vom Brief. Wir schauen uns die Frist zusammen an & klären das."
SOMALI = "Fadlan ii soo dir sawirka warqadda. Waxaan si wada jir ah u eegi doonnaa waqtiga."


async def _somali_case(sessions: Any, chat_id: int) -> int:
    async with sessions.begin() as session:
        session.add(Chat(id=chat_id, pseudonym=f"so{chat_id}", language="so"))
        await session.flush()
        opened = await cases.open_case(
            session,
            chat_id,
            topic="bureaucracy",
            language="so",
            description="Waxaan helay warqad ka timid Jobcenter-ka.",
            source_update_id=None,
        )
        return opened.id


async def _sent(sessions: Any, chat_id: int) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.payload for row in rows if "· GK-" in row.payload["text"]]  # replies


async def test_a_translated_reply_is_marked_and_carries_the_german_original(
    sessions: Any, chat_id: int
) -> None:
    case_id = await _somali_case(sessions, chat_id)
    await CaseDesk(sessions).reply(case_id, ANNA, GERMAN, sent_text=SOMALI)

    (message,) = await _sent(sessions, chat_id)
    text = message["text"]
    assert message["parse_mode"] == "HTML"
    assert SOMALI in text
    assert MACHINE_NOTE in text
    quote = "<blockquote expandable>" + GERMAN.replace("&", "&amp;") + "</blockquote>"
    assert quote in text
    assert text.index(SOMALI) < text.index(MACHINE_NOTE) < text.index(quote)
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"

    async with sessions() as session:
        logged = await session.scalar(
            select(ConversationMessage.text).where(
                ConversationMessage.case_id == case_id, ConversationMessage.direction == "out"
            )
        )
        replied = await session.scalar(
            select(CaseEvent.text).where(CaseEvent.case_id == case_id, CaseEvent.kind == "replied")
        )
    assert logged == replied == GERMAN


async def test_an_untranslated_reply_has_no_mark(sessions: Any, chat_id: int) -> None:
    case_id = await _somali_case(sessions, chat_id)
    desk = CaseDesk(sessions)
    await desk.reply(case_id, ANNA, GERMAN)
    await desk.reply(case_id, ANNA, GERMAN, sent_text=f"  {GERMAN} ")  # the same text
    for message in await _sent(sessions, chat_id):
        assert "blockquote" not in message["text"]
        assert MACHINE_NOTE not in message["text"]


async def test_a_long_translated_reply_sends_the_original_in_a_second_message(
    sessions: Any, chat_id: int
) -> None:
    case_id = await _somali_case(sessions, chat_id)
    german = (GERMAN + "\n") * 30  # about 2,900 characters
    somali = (SOMALI + "\n") * 30
    await CaseDesk(sessions).reply(case_id, ANNA, german, sent_text=somali)

    first, second = await _sent_all(sessions, chat_id)
    assert SOMALI in first["text"] and MACHINE_NOTE in first["text"]
    assert "reply_markup" not in first
    assert second["text"].startswith("<blockquote expandable>")
    assert second["text"].count("</blockquote>") == 1
    assert second["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    assert all(len(m["text"]) <= 4096 for m in (first, second))


async def _sent_all(sessions: Any, chat_id: int) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.payload for row in rows][-2:]
