"""A question the bot cannot answer yet, and the day it can.

A young person who chose Ukrainian asks something the bot does not understand, twice; the
offer of a person comes with "tell me when there is an answer", which they press. An editor
adds that question to an existing answer on the gaps page; the young person gets that
answer in Ukrainian, headed by their own question — exactly once, even when the editor
assigns the group again. After /delete nothing is left to notify.

Real trained Rasa, the bot, the dashboard as a real server on the same database, fake
Telegram; SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import html
import random
import string
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import Assistant
from bot.content.overlay import add_revision, entry_text
from bot.content.store import ContentStore
from bot.db.models import (
    Chat,
    ContentKey,
    ConversationMessage,
    GapSubscription,
    OutboxMessage,
)
from bot.gaps import notify
from bot.i18n import t
from bot.i18n.bidi import for_language
from bot.replies import callbacks
from bot.storage import log
from tests.conftest import UserChat
from tests.dashboard.conftest import (  # noqa: F401 - fixtures
    Dashboard,
    csrf_in,
    dashboard,
    dashboard_server,
    http,
    http_sign_in,
    make_account,
)
from tests.servers import ROOT

pytestmark = pytest.mark.e2e
KEY = "bureaucracy.official_letter"
UNCLEAR = ("ich hab da so ein ding", "Problem")


async def subscriptions(assistant: Assistant, chat_id: int) -> list[GapSubscription]:
    async with assistant.sessions() as session:
        rows = await session.scalars(
            select(GapSubscription).where(GapSubscription.chat_id == chat_id)
        )
        return list(rows)


async def question_id(assistant: Assistant, chat_id: int, text: str) -> int:
    async with assistant.sessions() as session:
        found = await session.scalar(
            select(ConversationMessage.id).where(
                ConversationMessage.chat_id == chat_id,
                ConversationMessage.direction == "in",
                ConversationMessage.text == text,
            )
        )
        assert found is not None
        return found


async def ask_twice_and_opt_in(user: UserChat) -> None:
    [menu] = await user.says("/language")
    await user.presses(callbacks.language("uk"), on=menu)
    await user.says(UNCLEAR[0])
    [offer] = await user.says(UNCLEAR[1])
    assert offer.text == for_language(t("handoff.offer_unclear", "uk"), "uk")
    [subscribed] = await user.presses(offer.button(t("button.notify_gap", "uk")), on=offer)
    assert subscribed.text == for_language(t("gap.subscribed", "uk"), "uk")


async def test_the_user_who_opted_in_gets_the_answer_in_ukrainian_once(
    assistant: Assistant,
    user: UserChat,
    dashboard: Dashboard,  # noqa: F811 - the fixture
    http: httpx.AsyncClient,  # noqa: F811 - the fixture
) -> None:
    await ask_twice_and_opt_in(user)
    message_id = await question_id(assistant, user.chat_id, UNCLEAR[1])
    [subscription] = await subscriptions(assistant, user.chat_id)
    assert (subscription.message_id, subscription.language) == (message_id, "uk")
    assert subscription.notified_at is None

    editor = await make_account(dashboard, "editor")
    await http_sign_in(http, editor)
    token = csrf_in((await http.get("/content")).text)
    form = {"csrf_token": token, "key": KEY, "ref": f"m{message_id}"}
    assert (await http.post("/gaps/train", data=form)).status_code == 303

    [told] = await user._replies(1)
    header = t("gap.notify", "uk", question=UNCLEAR[1])
    entry = ContentStore.load(ROOT / "content").get(KEY, "uk")
    assert entry is not None
    assert told.text.startswith(for_language(header, "uk"))
    assert for_language(html.escape(entry.title), "uk") in told.text
    assert "👍" in " ".join(label for label, _ in told.buttons)  # an answer like any other
    [subscription] = await subscriptions(assistant, user.chat_id)
    assert (subscription.content_key, subscription.notified_at is not None) == (KEY, True)

    # the editor assigns the same group again: nobody is told twice
    assert (await http.post("/gaps/train", data=form)).status_code == 303
    await user.hears_nothing_more(wait=2.5)


async def test_after_delete_nothing_is_left_to_notify(assistant: Assistant, user: UserChat) -> None:
    await ask_twice_and_opt_in(user)
    message_id = await question_id(assistant, user.chat_id, UNCLEAR[1])
    [confirm] = await user.says("/delete")
    await user.presses(callbacks.delete(True), on=confirm)
    assert await subscriptions(assistant, user.chat_id) == []
    async with assistant.sessions.begin() as session:
        told = await notify.notify_subscribers(session, [message_id], KEY, assistant.store)
        left = await session.scalar(
            select(func.count())
            .select_from(GapSubscription)
            .where(GapSubscription.message_id == message_id)
        )
    assert (told, left) == (0, 0)
    await user.hears_nothing_more()


async def waiting_subscriber(sessions: Any, chat_id: int) -> int:
    """A Ukrainian-speaking user whose unclear question waits for an answer; its message id."""
    async with sessions.begin() as session:
        session.add(Chat(id=chat_id, pseudonym=f"ps{chat_id}", language="uk"))
        await session.flush()
        question = log.log_message(
            session, chat_id, "in", UNCLEAR[1], language="uk", intent="nlu_fallback",
            update_id=chat_id,
        )  # fmt: skip
        await session.flush()
        session.add(GapSubscription(chat_id=chat_id, message_id=question.id, language="uk"))
        return question.id


async def answers_sent(sessions: Any, chat_id: int, key: str) -> tuple[int, int]:
    """(answers logged, outbox rows) for the chat."""
    async with sessions() as session:
        logged = await session.scalar(
            select(func.count())
            .select_from(ConversationMessage)
            .where(ConversationMessage.chat_id == chat_id, ConversationMessage.content_key == key)
        )
        queued = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        )
        return logged or 0, queued or 0


async def test_two_editors_assigning_the_group_at_once_tell_the_user_once(
    sessions: Any, chat_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double click, or two editors: both requests have read the waiting subscription
    before either writes. Only one of them tells the user."""
    message_id = await waiting_subscriber(sessions, chat_id)
    store = ContentStore.load(ROOT / "content")
    both_read = asyncio.Barrier(2)
    tell = notify._tell

    async def after_both_read(*args: Any, **kwargs: Any) -> int:
        await both_read.wait()
        return await tell(*args, **kwargs)

    monkeypatch.setattr(notify, "_tell", after_both_read)

    async def editor_assigns() -> int:
        async with sessions.begin() as session:
            return await notify.notify_subscribers(session, [message_id], KEY, store)

    told = await asyncio.wait_for(asyncio.gather(editor_assigns(), editor_assigns()), 30)
    assert sorted(told) == [0, 1]
    assert await answers_sent(sessions, chat_id, KEY) == (1, 1)


async def publish_new_answer(assistant: Assistant, key: str, title: str) -> None:
    """What saving on the new-answer page writes: the key and its German draft."""
    async with assistant.sessions.begin() as session:
        session.add(ContentKey(key=key, topic=key.split(".", 1)[0]))
        add_revision(
            session, key, "de",
            entry_text(
                key=key, language="de", title=title, body="Frag beim Jugendmigrationsdienst.",
                sources=["https://www.jugendmigrationsdienste.de/"], reviewed=None,
                status="draft", needs_local_review=False, related=(),
            ),
            "new_key", None, "Edda Editor",
        )  # fmt: skip


async def test_a_new_answer_reaches_the_user_once_the_bot_has_it(
    assistant: Assistant, user: UserChat
) -> None:
    """The editor starts a new answer from the gap: the subscription is linked to a key the
    bot does not have yet. As soon as the bot sees the new answer published, the user is
    told — once, however often the content changes afterwards."""
    await ask_twice_and_opt_in(user)
    message_id = await question_id(assistant, user.chat_id, UNCLEAR[1])
    key = "bureaucracy.gap_" + "".join(random.choices(string.ascii_lowercase, k=10))
    async with assistant.sessions.begin() as session:
        told = await notify.notify_subscribers(session, [message_id], key, assistant.store)
    assert told == 0  # not published yet: linked, waiting
    await user.hears_nothing_more()

    await publish_new_answer(assistant, key, "Schwimmkurse für Erwachsene")
    [answer] = await user._replies(1)
    assert answer.text.startswith(for_language(t("gap.notify", "uk", question=UNCLEAR[1]), "uk"))
    assert "Schwimmkurse für Erwachsene" in answer.text
    [subscription] = await subscriptions(assistant, user.chat_id)
    assert (subscription.content_key, subscription.notified_at is not None) == (key, True)

    await publish_new_answer(assistant, key + "_b", "Noch eine Antwort")
    await assistant.tell_gap_subscribers()
    await user.hears_nothing_more(wait=2.5)
