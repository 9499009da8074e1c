"""Telling users that the question the bot could not answer has an answer now.

When the bot cannot answer (the second unclear try, or a question near its scope with no
answer), it offers "tell me when there is an answer"; pressing it stores a
`gap_subscriptions` row for the user's message (`subscribe`). When an editor gives the
gap an answer — adds its wordings to an existing answer on the gaps page, or creates a
new answer from it — `notify_subscribers` links those subscriptions to the content key
and, once the key is in the published content, puts the answer into the outbox in the
user's language, in the same transaction that marks them notified: each user is told
exactly once. A subscription dies with its message (/delete, retention): the foreign
keys cascade.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.markup import to_plain_text
from bot.content.store import ContentStore
from bot.db.models import Chat, ConversationMessage, GapSubscription, utcnow
from bot.i18n import has_language, t
from bot.replies import Reply, compose
from bot.storage import log, outbox
from bot.telegram.payloads import reply_to_bot_api

logger = logging.getLogger(__name__)

QUOTE_CHARS = 80  # the user's own question, shortened; escaped by `t`


async def subscribe(session: AsyncSession, chat_id: int, update_id: int, language: str) -> bool:
    """Subscribe the chat to the answer of its message from update `update_id`.

    False when that message is gone (deleted after the retention period); pressing the
    button twice keeps one subscription.
    """
    m = ConversationMessage
    message_id = await session.scalar(
        select(m.id)
        .where(m.chat_id == chat_id, m.update_id == update_id, m.direction == "in")
        .order_by(m.id)
        .limit(1)
    )
    if message_id is None:
        return False
    existing = await session.scalar(
        select(GapSubscription.id).where(GapSubscription.message_id == message_id)
    )
    if existing is None:
        session.add(GapSubscription(chat_id=chat_id, message_id=message_id, language=language))
        logger.info("gap subscription for message %s", message_id)
    return True


async def waiting(session: AsyncSession, message_ids: Iterable[int]) -> set[int]:
    """Which of `message_ids` have a subscriber not told yet."""
    ids = {int(i) for i in message_ids}
    if not ids:
        return set()
    rows = await session.scalars(
        select(GapSubscription.message_id).where(
            GapSubscription.message_id.in_(ids), GapSubscription.notified_at.is_(None)
        )
    )
    return set(rows)


async def notify_subscribers(
    session: AsyncSession, message_ids: Iterable[int], content_key: str, store: ContentStore
) -> int:
    """The questions `message_ids` are answered by `content_key`: tell their subscribers.

    Subscriptions not yet told get the key; if the key is answerable in `store` (the
    published content), the users are told now, else later by `notify_answerable` (a key
    created in the browser, before it is published). Returns how many were told. The
    caller commits; the outbox rows and `notified_at` go in that one transaction.
    """
    ids = sorted({int(i) for i in message_ids})
    if not ids:
        return 0
    waiting = list(
        await session.scalars(
            select(GapSubscription)
            .where(GapSubscription.message_id.in_(ids), GapSubscription.notified_at.is_(None))
            .order_by(GapSubscription.id)
        )
    )
    return await _tell(session, waiting, store, content_key)


async def notify_answerable(session: AsyncSession, store: ContentStore) -> int:
    """Tell every subscriber whose question got a key that is answerable now.

    Safe to call as often as wanted (the bot does at start and whenever the published
    content changes): a subscriber is told once, whoever calls first.
    """
    waiting = list(
        await session.scalars(
            select(GapSubscription)
            .where(GapSubscription.content_key.is_not(None), GapSubscription.notified_at.is_(None))
            .order_by(GapSubscription.id)
        )
    )
    return await _tell(session, waiting, store)


async def _tell(
    session: AsyncSession,
    subscriptions: Sequence[GapSubscription],
    store: ContentStore,
    content_key: str | None = None,
) -> int:
    """Tell `subscriptions` (read before, possibly by two requests at once).

    Every write is conditional on `notified_at IS NULL` and the answer goes to the outbox
    only when this transaction's claim changed exactly one row: of two editors' posts (or
    a post and the bot's refresh) at the same moment, one tells the user, the other waits
    for its row lock (PostgreSQL) or the write lock (SQLite) and then finds it told.
    """
    told = 0
    for subscription in subscriptions:
        if content_key is not None and not await _still_waiting(
            session, subscription.id, content_key=content_key
        ):
            continue
        key = content_key or subscription.content_key
        if key is None or key not in store.catalog.full_keys:
            continue
        chat = await session.get(Chat, subscription.chat_id)
        question = await session.get(ConversationMessage, subscription.message_id)
        if chat is None or question is None:
            continue
        reply = notification(store, key, chat, subscription.language, question.text)
        if reply is None:
            continue
        if not await _still_waiting(session, subscription.id, notified_at=utcnow()):
            continue
        for method, payload in reply_to_bot_api(reply, chat.id):
            outbox.enqueue(session, chat.id, method, payload)
        log.log_message(
            session,
            chat.id,
            "out",
            to_plain_text(reply.text),
            language=reply.language,
            content_key=key,
        )
        told += 1
        logger.info("gap subscription %s told about %s", subscription.id, key)
    return told


async def _still_waiting(session: AsyncSession, subscription_id: int, **values: object) -> bool:
    """Set `values` on the subscription if nobody told its user yet; True if it was so."""
    result = await session.execute(
        update(GapSubscription)
        .where(GapSubscription.id == subscription_id, GapSubscription.notified_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def notification(
    store: ContentStore, key: str, chat: Chat, language: str, question: str
) -> Reply | None:
    """The answer, headed "You asked me: …, now there is an answer", as any answer is shown.

    In the chat's language now (it may have changed since), with its residence paper.
    """
    language = chat.language if chat.language and has_language(chat.language) else language
    reply = compose.answer(store, key, language, chat.residence_status)
    if reply is None:
        return None
    quote = " ".join(question.split())
    if len(quote) > QUOTE_CHARS:
        quote = quote[: QUOTE_CHARS - 1].rstrip() + "…"
    reply.text = t("gap.notify", language, question=quote) + "\n\n" + reply.text
    return reply
