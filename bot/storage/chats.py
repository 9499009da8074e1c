"""Chats: the pseudonym and the language of each Telegram chat, and erasing them."""

from __future__ import annotations

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Chat, InboxUpdate, OutboxMessage, utcnow
from bot.privacy import new_pseudonym


async def get_or_create(session: AsyncSession, chat_id: int) -> Chat:
    """The chat's row; a new chat gets a fresh random pseudonym (a returning user after
    /delete is a new chat, unlinkable from the old one)."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(id=chat_id, pseudonym=new_pseudonym())
        session.add(chat)
        await session.flush()
    else:
        chat.last_seen_at = utcnow()
    return chat


async def set_language(session: AsyncSession, chat: Chat, language: str, chosen: bool) -> None:
    chat.language = language
    chat.language_chosen = chat.language_chosen or chosen


async def erase(session: AsyncSession, chat_id: int, keep_update_id: int | None = None) -> None:
    """Delete everything we hold about a chat: messages, cases, the chat and its raw updates.

    `keep_update_id` is the /delete confirmation being processed now: its row stays (emptied)
    so it can be marked done. Updates of the chat that arrived after it and still wait are
    kept too: the user wrote them after deleting, so they are answered next, as a new chat.
    Sent outbox rows go; pending ones (the confirmation of this very erasure) stay so they
    can still be delivered.
    """
    await session.execute(delete(Chat).where(Chat.id == chat_id))  # cascades messages, cases
    raw_updates = delete(InboxUpdate).where(InboxUpdate.chat_id == chat_id)
    if keep_update_id is not None:
        raw_updates = raw_updates.where(
            InboxUpdate.update_id != keep_update_id,
            or_(InboxUpdate.update_id < keep_update_id, InboxUpdate.status != "pending"),
        )
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == keep_update_id)
            .values(payload={"erased": True})
        )
    await session.execute(raw_updates)
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id, OutboxMessage.status != "pending"
        )
    )
