"""Chat ids never appear in logs or exports: only random pseudonyms, stored with the chat.

A returning user after /delete is a new chat with a new pseudonym: nothing links them to the
old exports or to what Rasa kept before.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Assistant
from bot.db.engine import make_sync_engine
from bot.db.models import Chat
from bot.export import conversation_records
from bot.storage import chats
from bot.telegram.sanitize import chat_id_of, sanitize_update
from tests.conftest import RasaServer, UserChat


async def test_a_new_chat_gets_a_random_pseudonym_and_a_known_chat_keeps_its_own(
    sessions: Any, chat_id: int
) -> None:
    async with sessions.begin() as session:
        session.add(Chat(id=chat_id, pseudonym=f"u{chat_id:016x}"))  # stored by an older version
        first = (await chats.get_or_create(session, chat_id + 1)).pseudonym
    async with sessions.begin() as session:
        assert (await chats.get_or_create(session, chat_id)).pseudonym == f"u{chat_id:016x}"
        assert (await chats.get_or_create(session, chat_id + 1)).pseudonym == first
        await chats.erase(session, chat_id + 1)
    async with sessions.begin() as session:
        again = (await chats.get_or_create(session, chat_id + 1)).pseudonym
    assert re.fullmatch(r"u[0-9a-f]{16}", first) and re.fullmatch(r"u[0-9a-f]{16}", again)
    assert again != first
    assert str(chat_id + 1) not in first


def _rasa_user_texts(rasa_server: RasaServer, sender: str | None) -> list[str]:
    with sqlite3.connect(rasa_server.data_dir / "rasa_tracker.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchall()
    return [json.loads(data).get("text") for (data,) in rows]


@pytest.mark.e2e
async def test_a_user_who_returns_after_delete_is_not_linked_to_the_old_conversation(
    assistant: Assistant, user: UserChat, rasa_server: RasaServer, database_url: str
) -> None:
    async def pseudonym() -> str | None:
        async with assistant.sessions() as session:
            return await session.scalar(select(Chat.pseudonym).where(Chat.id == user.chat_id))

    def exported() -> set[Any]:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        engine = make_sync_engine(database_url)
        try:
            return {r["chat"] for r in conversation_records(engine, since)}
        finally:
            engine.dispose()

    await user.says("Wie finde ich eine Wohnung?")
    before = await pseudonym()
    assert before is not None and before in exported()
    assert _rasa_user_texts(rasa_server, before) == ["Wie finde ich eine Wohnung?"]
    [confirm] = await user.says("/delete")
    await user.presses(confirm.button("alles löschen"), on=confirm)

    await user.says("Was ist eine Duldung?")
    after = await pseudonym()
    assert after is not None and after != before
    assert before not in exported() and after in exported()
    assert _rasa_user_texts(rasa_server, before) == []
    assert _rasa_user_texts(rasa_server, after) == ["Was ist eine Duldung?"]


def test_stored_updates_lose_names_usernames_contacts_and_coordinates() -> None:
    raw = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 55, "type": "private", "first_name": "Amira", "username": "amira"},
            "from": {
                "id": 55,
                "is_bot": False,
                "first_name": "Amira",
                "last_name": "K",
                "language_code": "ar",
            },
            "location": {"latitude": 52.1, "longitude": 7.3},
            "contact": {"phone_number": "+49 170 0000000", "first_name": "Amira"},
        },
    }
    clean = sanitize_update(raw)
    text = str(clean)
    assert (
        "Amira" not in text and "amira" not in text and "0000000" not in text and "52.1" not in text
    )
    assert clean["message"]["from"]["language_code"] == "ar"
    assert chat_id_of(clean) == 55
    assert raw["message"]["chat"]["first_name"] == "Amira"  # the original is untouched


def test_a_letter_keeps_what_the_case_needs_but_not_who_it_was_forwarded_from() -> None:
    raw = {
        "update_id": 8,
        "message": {
            "message_id": 2,
            "date": 0,
            "chat": {"id": 56, "type": "private", "first_name": "Amira"},
            "from": {"id": 56, "is_bot": False, "first_name": "Amira"},
            "document": {
                "file_id": "doc-1",
                "file_unique_id": "u1",
                "file_name": "Bescheid.pdf",
                "mime_type": "application/pdf",
                "file_size": 12345,
            },
            "caption": "Brief vom Amt, siehe @karim",
            "caption_entities": [
                {"type": "text_mention", "offset": 22, "length": 6,
                 "user": {"id": 99, "is_bot": False, "first_name": "Karim", "last_name": "S"}},
            ],
            "forward_origin": {
                "type": "user",
                "date": 0,
                "sender_user": {"id": 99, "is_bot": False, "first_name": "Karim"},
            },
        },
    }  # fmt: skip
    clean = sanitize_update(raw)["message"]
    assert clean["document"] == raw["message"]["document"]
    assert clean["caption"] == "Brief vom Amt, siehe @karim"
    assert "Karim" not in str(clean) and "forward_origin" not in clean
