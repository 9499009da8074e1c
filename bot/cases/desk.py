"""The case desk: what a caseworker does to a case, and what the young person hears of it.

Every action is one transaction: the case changes, its history gets an event, the audit log
gets a line, and the message to the user goes into the outbox (so nothing is lost while
Telegram is down). The dashboard calls only this; it never writes cases by hand.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.markup import TELEGRAM_LIMIT
from bot.db.models import Case, Chat
from bot.i18n import t
from bot.replies import Button, Reply, callbacks
from bot.storage import audit, case_thread, cases, outbox
from bot.storage.cases import ClaimResult, case_number
from bot.telegram.payloads import reply_to_bot_api

MAX_REPLY_CHARS = 3500  # leaves room for the header within Telegram's 4096


class CaseNotFound(LookupError):
    """The case does not exist (any more: the user may have deleted their data)."""


class NotAllowed(PermissionError):
    """The action does not fit the case's state (e.g. replying to a resolved case)."""


@dataclass(frozen=True)
class Staff:
    """Who acts: the account name (audit, assignee) and the name users see."""

    name: str
    display_name: str
    role: str = "caseworker"


def _enqueue(session: AsyncSession, chat_id: int, reply: Reply) -> None:
    for method, payload in reply_to_bot_api(reply, chat_id):
        outbox.enqueue(session, chat_id, method, payload)


def _back_button(language: str) -> list[list[Button]]:
    return [[Button(t("button.back_to_bot", language), callbacks.back_to_bot())]]


def _reply_messages(header: str, original: str | None, language: str) -> list[str]:
    """The caseworker's answer as Telegram HTML, one message if it fits, else two.

    A machine-translated answer is marked, and the German original follows as an expandable
    quote: one tap opens it. Telegram cuts messages at 4,096 characters and a quote must not
    be cut, so when both do not fit in one message the original gets a message of its own.
    """
    hint = t("case.reply_hint", language)
    if original is None:
        return [f"{header}\n\n{hint}"]
    marked = f"{header}\n\n{t('case.reply_machine', language)}"
    quote = f"<blockquote expandable>{html.escape(original, quote=False)}</blockquote>"
    single = f"{marked}\n{quote}\n\n{hint}"
    if len(single) <= TELEGRAM_LIMIT:
        return [single]
    second = f"{quote}\n\n{hint}"
    if len(second) > TELEGRAM_LIMIT:  # only with a flood of escaped characters: plain text
        second = f"{html.escape(original, quote=False)}\n\n{hint}"
    return [marked, second]


class CaseDesk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @staticmethod
    async def _case(session: AsyncSession, case_id: int) -> Case:
        found = await session.get(Case, case_id)
        if found is None:
            raise CaseNotFound(case_number(case_id))
        return found

    async def view(self, case_id: int, staff: Staff) -> None:
        """Opening a case page is recorded: the audit log says who read which case."""
        async with self.sessions.begin() as session:
            await self._case(session, case_id)
            audit.record(session, staff.name, "view", case_id)

    async def claim(self, case_id: int, staff: Staff) -> ClaimResult:
        async with self.sessions.begin() as session:
            found = await self._case(session, case_id)
            result = await cases.claim(session, case_id, staff.name)
            if result.won:
                await session.refresh(found)
                language = found.language
                text = t(
                    "case.claimed",
                    language,
                    name=staff.display_name,
                    case_number=case_number(case_id),
                )
                _enqueue(session, found.chat_id, Reply("case.claimed", text, language))
                audit.record(session, staff.name, "claim", case_id)
            else:
                audit.record(session, staff.name, "claim_refused", case_id, result.holder)
        return result

    async def release(self, case_id: int, staff: Staff) -> bool:
        async with self.sessions.begin() as session:
            await self._case(session, case_id)
            released = await cases.release(session, case_id, staff.name)
            if released:
                audit.record(session, staff.name, "release", case_id)
        return released

    async def reassign(self, case_id: int, staff: Staff, to: str) -> bool:
        async with self.sessions.begin() as session:
            await self._case(session, case_id)
            moved = await cases.reassign(session, case_id, staff.name, to)
            if moved:
                audit.record(session, staff.name, "reassign", case_id, to)
        return moved

    async def add_note(self, case_id: int, staff: Staff, text: str) -> None:
        """An internal note: never sent to the user."""
        note = text.strip()
        if not note:
            raise ValueError("empty note")
        async with self.sessions.begin() as session:
            await self._case(session, case_id)
            cases.add_event(session, case_id, "note", staff.name, note[:4000])
            audit.record(session, staff.name, "note", case_id)

    async def reply(
        self,
        case_id: int,
        staff: Staff,
        text: str,
        *,
        sent_text: str | None = None,
    ) -> None:
        """Send a caseworker's answer to the user through the outbox.

        `sent_text` is what the user receives when it differs from `text` (a machine
        translation the caseworker checked); the original stays in the case history.
        """
        message = text.strip()
        if not message:
            raise ValueError("empty reply")
        if len(message) > MAX_REPLY_CHARS:
            raise ValueError(f"reply longer than {MAX_REPLY_CHARS} characters")
        async with self.sessions.begin() as session:
            found = await self._case(session, case_id)
            if found.status == "resolved":
                raise NotAllowed("the case is resolved; reopen it first")
            if found.assignee is None:
                claimed = await cases.claim(session, case_id, staff.name)
                if not claimed.won:
                    raise NotAllowed(f"{claimed.holder} has this case")
                await session.refresh(found)
            language = found.language
            body = (sent_text or message).strip()
            header = t(
                "case.reply",
                language,
                name=staff.display_name,
                case_number=case_number(case_id),
                text=body,
            )
            translated = body != message
            texts = _reply_messages(header, message if translated else None, language)
            case_thread.record_reply(session, found, staff.name, message)
            chat = await session.get(Chat, found.chat_id)
            if chat is not None:
                # The user's answer to a caseworker belongs in the case, not to the bot.
                chat.case_mode_case_id = case_id
            for index, text in enumerate(texts):
                last = index == len(texts) - 1
                buttons = _back_button(language) if last else []
                _enqueue(
                    session,
                    found.chat_id,
                    Reply("case.reply", text, language, buttons, case_id=case_id),
                )
            audit.record(session, staff.name, "reply", case_id)

    async def set_status(self, case_id: int, staff: Staff, status: str) -> bool:
        """Change the state; resolving tells the user and asks whether it helped."""
        async with self.sessions.begin() as session:
            found = await self._case(session, case_id)
            was = found.status
            if not await cases.set_status(session, found, status, staff.name):
                return False
            language = found.language
            number = case_number(case_id)
            if status == "resolved":
                chat = await session.get(Chat, found.chat_id)
                if chat is not None and chat.case_mode_case_id == case_id:
                    chat.case_mode_case_id = None
                buttons = [
                    [
                        Button(
                            t("button.case_helped", language),
                            callbacks.case_feedback(case_id, True),
                        ),
                        Button(
                            t("button.case_not_helped", language),
                            callbacks.case_feedback(case_id, False),
                        ),
                    ]
                ]
                text = t("case.resolved", language, case_number=number)
                _enqueue(session, found.chat_id, Reply("case.resolved", text, language, buttons))
            elif was == "resolved":
                text = t("case.reopened", language, case_number=number)
                _enqueue(session, found.chat_id, Reply("case.reopened", text, language))
            audit.record(session, staff.name, "status", case_id, f"{was} -> {status}")
        return True
