"""Was every message answered, none twice, and no case opened twice?

The database says what the bot meant to send for each update (the outbox rows with its
`source_update_id`, the logged replies with their content keys, the cases); the fake Telegram
says what arrived. An update is answered when it is done, has a reply (or went into the thread of
the user's open case, where a caseworker reads it: the user is told so once per case), and
every outbox row made for it arrived at Telegram. A message that arrived more often than the
outbox holds it arrived twice.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from bot.db.engine import sync_url
from bot.db.models import Case, ConversationMessage, InboxUpdate, OutboxMessage
from tests.fake_telegram import FakeTelegram
from tests.faults.load import Asked
from tests.faults.stack import BotStack


@dataclass
class Snapshot:
    """The database's side, read in one go."""

    inbox: dict[int, tuple[str, int, str | None]]  # update_id -> status, attempts, last_error
    reply_keys: dict[int, list[str]]  # update_id -> content keys of the replies logged
    to_case: set[int]  # updates that went into a case thread (the caseworker reads them)
    outbox: list[tuple[int, str, str, str, int | None]]  # chat, method, text, status, update
    cases: list[tuple[int, int, int | None]]  # case id, chat, source update


def _engine(database_url: str) -> Engine:
    # No pool: the test keeps no connection across a PostgreSQL restart.
    return create_engine(sync_url(database_url), poolclass=NullPool, hide_parameters=True)


def _read(engine: Engine, asked: list[Asked]) -> Snapshot:
    updates = [a.update_id for a in asked]
    chats = sorted({a.chat_id for a in asked})
    with engine.connect() as connection:
        inbox = {
            int(u): (str(s), int(n), e)
            for u, s, n, e in connection.execute(
                select(
                    InboxUpdate.update_id,
                    InboxUpdate.status,
                    InboxUpdate.attempts,
                    InboxUpdate.last_error,
                ).where(InboxUpdate.update_id.in_(updates))
            )
        }
        reply_keys: dict[int, list[str]] = {}
        for update_id, key in connection.execute(
            select(ConversationMessage.update_id, ConversationMessage.content_key)
            .where(
                ConversationMessage.update_id.in_(updates),
                ConversationMessage.direction == "out",
            )
            .order_by(ConversationMessage.id)
        ):
            if update_id is not None:
                reply_keys.setdefault(int(update_id), []).append(str(key))
        to_case = {
            int(u)
            for (u,) in connection.execute(
                select(ConversationMessage.update_id).where(
                    ConversationMessage.update_id.in_(updates),
                    ConversationMessage.direction == "in",
                    ConversationMessage.content_key == "case.user_message",
                )
            )
            if u is not None
        }
        outbox = [
            (int(chat), str(method), str((payload or {}).get("text", "")), str(status), source)
            for chat, method, payload, status, source in connection.execute(
                select(
                    OutboxMessage.chat_id,
                    OutboxMessage.method,
                    OutboxMessage.payload,
                    OutboxMessage.status,
                    OutboxMessage.source_update_id,
                )
                .where(OutboxMessage.chat_id.in_(chats))
                .order_by(OutboxMessage.id)
            )
        ]
        cases = [
            (int(i), int(c), s)
            for i, c, s in connection.execute(
                select(Case.id, Case.chat_id, Case.source_update_id).where(Case.chat_id.in_(chats))
            )
        ]
    return Snapshot(inbox, reply_keys, to_case, outbox, cases)


@dataclass
class Verdict:
    asked: list[Asked]
    snapshot: Snapshot
    unanswered: list[str] = field(default_factory=list)  # one line per update, with the reason
    twice: Counter[tuple[int, str]] = field(default_factory=Counter)  # (chat, text) -> extra
    unknown: list[tuple[int, str]] = field(default_factory=list)  # arrived, not in the outbox
    cases_by_chat: Counter[int] = field(default_factory=Counter)

    @property
    def complete(self) -> bool:
        return not self.unanswered

    def duplicates(self) -> int:
        return sum(self.twice.values())

    def summary(self) -> str:
        lines = [
            f"{len(self.asked)} updates sent, {len(self.unanswered)} not answered, "
            f"{self.duplicates()} messages arrived twice, {len(self.unknown)} unknown messages",
            *self.unanswered[:15],
        ]
        if len(self.unanswered) > 15:
            lines.append(f"… and {len(self.unanswered) - 15} more")
        return "\n".join(lines)


def judge(asked: list[Asked], snapshot: Snapshot, telegram: FakeTelegram) -> Verdict:
    verdict = Verdict(asked, snapshot)
    chats = {a.chat_id for a in asked}
    arrived: Counter[tuple[int, str, str]] = Counter(
        (s.chat_id, s.method, s.text) for s in telegram.sent if s.chat_id in chats
    )
    meant: Counter[tuple[int, str, str]] = Counter(
        (chat, method, text)
        for chat, method, text, status, _ in snapshot.outbox
        if status == "sent"
    )
    for (chat, method, text), count in (arrived - meant).items():
        if (chat, method, text) in meant:
            verdict.twice[(chat, text)] += count
        else:
            verdict.unknown.append((chat, text[:60]))
    missing = meant - arrived
    for item in asked:
        status, attempts, error = snapshot.inbox.get(item.update_id, ("missing", 0, None))
        rows = [row for row in snapshot.outbox if row[4] == item.update_id]
        reason = None
        if status != "done":
            reason = f"inbox status {status} after {attempts} attempts (last error: {error})"
        elif not snapshot.reply_keys.get(item.update_id) and item.update_id not in snapshot.to_case:
            reason = "done, but no reply logged and not in a case thread"
        elif any(row[3] != "sent" for row in rows):
            reason = f"outbox rows {[row[3] for row in rows]}"
        elif any(missing[(row[0], row[1], row[2])] > 0 for row in rows):
            reason = "marked sent, never arrived at Telegram"
        if reason is not None:
            kind = "/human" if item.wants_a_person else "question"
            verdict.unanswered.append(f"update {item.update_id} ({kind}): {reason}")
    verdict.cases_by_chat = Counter(chat for _, chat, _ in snapshot.cases)
    return verdict


async def await_answers(
    stack: BotStack, asked: list[Asked], telegram: FakeTelegram, within: float
) -> Verdict:
    """Poll until every update is answered (or `within` seconds pass); the last verdict."""
    engine = _engine(stack.database_url)
    deadline = time.monotonic() + within
    verdict: Verdict | None = None
    try:
        while True:
            try:
                snapshot = await asyncio.to_thread(_read, engine, asked)
            except DBAPIError:  # the database restarting: ask again in a moment
                snapshot = None
            if snapshot is not None:
                verdict = judge(asked, snapshot, telegram)
                pending = any(row[3] == "pending" for row in snapshot.outbox)
                if verdict.complete and not pending:
                    await asyncio.sleep(2.0)  # anything sent twice arrives now, or never
                    snapshot = await asyncio.to_thread(_read, engine, asked)
                    return judge(asked, snapshot, telegram)
            if time.monotonic() > deadline:
                if verdict is None:
                    raise AssertionError("the database could not be read:\n" + stack.tail())
                return verdict
            await asyncio.sleep(1.0)
    finally:
        engine.dispose()


def assert_all_answered_once(
    verdict: Verdict, stack: BotStack, allowed_twice: int = 0, note: str = ""
) -> None:
    """Every update answered; at most `allowed_twice` messages twice (never thrice)."""
    context = f"{note}\n{verdict.summary()}\n{stack.tail()}"
    assert verdict.complete, "not every message was answered: " + context
    assert not verdict.unknown, f"messages arrived that the outbox does not hold: {context}"
    assert verdict.duplicates() <= allowed_twice, (
        f"{verdict.duplicates()} messages arrived twice (allowed: {allowed_twice}): "
        f"{dict(verdict.twice)} {context}"
    )
    assert all(extra == 1 for extra in verdict.twice.values()), "a message arrived thrice"


def assert_no_case_twice(verdict: Verdict, telegram: FakeTelegram) -> None:
    """One case per chat that asked for a person, never two; its number reached the user."""
    asked_for_person = {a.chat_id: a for a in verdict.asked if a.wants_a_person}
    twice = {chat: n for chat, n in verdict.cases_by_chat.items() if n > 1}
    assert not twice, f"cases opened twice in chats {twice}"
    for chat, request in asked_for_person.items():
        assert verdict.cases_by_chat[chat] == 1, f"/human in chat {chat} opened no case"
        [case_id] = [i for i, c, _ in verdict.snapshot.cases if c == chat]
        number = f"GK-{case_id:05d}"
        texts = [s.text for s in telegram.messages_to(chat)]
        assert any(number in text for text in texts), (
            f"update {request.update_id}: the case number {number} never reached the user"
        )


def content_keys(verdict: Verdict, item: Asked) -> list[str]:
    return verdict.snapshot.reply_keys.get(item.update_id, [])
