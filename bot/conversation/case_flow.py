"""Doing a `CaseStep` inside the turn's transaction, and what the user is told about it.

Opening a case, adding to its thread, storing a file, withdrawing it, leaving case mode,
the contact detail and the "did it help?" answer all change the database together with
the log, the outbox and the inbox row of the update: either everything or nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.office_hours import OfficeHours
from bot.cases.urgency import URGENT, deadline_in, urgency_for
from bot.config import Settings
from bot.content.store import ContentStore
from bot.conversation import history
from bot.conversation.model import CaseStep, ChatState
from bot.db.models import Case, Chat, utcnow
from bot.i18n import format_date, t
from bot.languages import LANGUAGES
from bot.replies import Reply, compose
from bot.replies import cases as case_replies
from bot.storage import case_queue, case_thread, cases, outbox
from bot.telegram.payloads import reply_to_bot_api

logger = logging.getLogger(__name__)

CONTACT_PREFIX = "contact:"


@dataclass
class FlowResult:
    replies: list[Reply] = field(default_factory=list)
    case_id: int | None = None  # a case opened by this very message


async def _open_case_of(session: AsyncSession, chat_id: int, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    found = await session.get(Case, case_id)
    if found is None or found.chat_id != chat_id or found.status not in cases.OPEN_STATUSES:
        return None
    return found


async def chat_state(session: AsyncSession, chat: Chat | None) -> ChatState:
    """Case mode and a pending contact question, only while their case is still open."""
    if chat is None:
        return ChatState()
    case_mode = await _open_case_of(session, chat.id, chat.case_mode_case_id)
    awaiting_contact = None
    if chat.awaiting and chat.awaiting.startswith(CONTACT_PREFIX):
        raw = chat.awaiting.removeprefix(CONTACT_PREFIX)
        waiting_for = await _open_case_of(session, chat.id, int(raw) if raw.isdigit() else None)
        awaiting_contact = waiting_for.id if waiting_for else None
    return ChatState(
        case_mode=case_mode.id if case_mode else None,
        awaiting_contact=awaiting_contact,
        awaiting=chat.awaiting,
        residence_status=chat.residence_status,
    )


class CaseFlow:
    def __init__(
        self,
        settings: Settings,
        store: ContentStore,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.office_hours = OfficeHours.parse(settings.office_hours, settings.timezone)

    async def apply(
        self, session: AsyncSession, chat: Chat, step: CaseStep, update_id: int, language: str
    ) -> FlowResult:
        if step.kind == "open":
            return await self._open(session, chat, step, update_id, language)
        if step.kind == "back":
            return await self._back(session, chat, language)
        found = await session.get(Case, step.case_id) if step.case_id is not None else None
        if found is None or found.chat_id != chat.id:
            return FlowResult([compose.plain("meta.button_expired", language)])
        if step.kind == "feedback":
            return self._feedback(session, found, step.helped, language)
        if step.kind == "cancel":
            return await self._cancel(session, chat, found, language)
        if found.status not in cases.OPEN_STATUSES:
            closed = t("handoff.cancel_closed", language, case_number=cases.case_number(found.id))
            return FlowResult([Reply("handoff.cancel_closed", closed, language)])
        if step.kind == "message":
            return self._message(session, found, step.text, update_id, language)
        if step.kind == "attachment":
            return await self._attachment(session, found, step, update_id, language)
        if step.kind == "ask_contact":
            chat.awaiting = f"{CONTACT_PREFIX}{found.id}"
            invalid = step.rejected == "invalid"
            return FlowResult([case_replies.ask_contact(language, invalid=invalid)])
        # set_contact
        found.contact = step.text[:200]
        found.updated_at = utcnow()
        cases.add_event(session, found.id, "contact")  # the detail itself is on the case
        chat.awaiting = None
        saved = t("handoff.contact_saved", language, contact=step.text)
        return FlowResult([Reply("handoff.contact_saved", saved, language, case_id=found.id)])

    # --- opening ---------------------------------------------------------------------

    async def _open(
        self, session: AsyncSession, chat: Chat, step: CaseStep, update_id: int, language: str
    ) -> FlowResult:
        assert step.request is not None
        request = step.request
        existing = await cases.newest_open_case(session, chat.id)
        if existing is not None and existing.source_update_id != update_id:
            # One open case at a time: back into its thread instead of a second case.
            chat.case_mode_case_id = existing.id
            replies = [case_replies.already_open(existing.id, existing.status, language)]
            replies += await self._store_file(session, existing, step, update_id, language)
            return FlowResult(replies)
        description = request.description or await self._description(session, chat.id, step)
        if not description and step.attachment is not None:
            description = step.attachment.caption
        today = self.clock().astimezone(self.office_hours.zone).date()
        deadline = deadline_in(description, today)
        topic = request.topic
        if topic == "other":
            topic = await history.recent_topic(session, chat.id) or "other"
        opened = await cases.open_case(
            session,
            chat.id,
            topic=topic,
            language=chat.language or language,
            description=description,
            contact=request.contact,
            source_update_id=update_id,
            reason=request.reason,
            urgency=urgency_for(request.reason, deadline, today),
            deadline=deadline,
        )
        chat.case_mode_case_id = opened.id
        logger.info("case %s opened for %s", cases.case_number(opened.id), chat.pseudonym)
        self._notify_staff(session, opened)
        replies = [await self._opened_reply(session, opened.id, language)]
        replies += await self._store_file(session, opened, step, update_id, language)
        return FlowResult(replies, opened.id)

    async def _description(self, session: AsyncSession, chat_id: int, step: CaseStep) -> str:
        """The message an offer was about: by its update, else the last typed message."""
        text = None
        if step.description_ref is not None:
            text = await history.text_of_update(session, chat_id, step.description_ref)
        if text is None and step.description_from_history:
            text = await history.last_typed_text(session, chat_id)
        return (text or "").strip()[:2000]

    async def _opened_reply(self, session: AsyncSession, case_id: int, language: str) -> Reply:
        now = self.clock()
        opening = None if self.office_hours.is_open(now) else self.office_hours.next_opening(now)
        info = case_replies.Opened(
            case_id=case_id,
            typical_first_answer=await case_queue.median_first_response(session, now=now),
            configured_days=self.settings.case_response_days,
            next_opening=opening,
        )
        return case_replies.opened(info, language)

    def _notify_staff(self, session: AsyncSession, opened: Case) -> None:
        """'New case GK-00012 · topic · language · urgent' to the staff group: never user text."""
        staff_chat = self.settings.staff_chat_id
        if staff_chat is None:
            return
        staff_language = self.settings.default_language
        known = LANGUAGES.get(opened.language)
        parts = [
            t("staff.new_case", staff_language, case_number=cases.case_number(opened.id)),
            t(f"topic.{opened.topic}", staff_language),
            f"{known.native_name} ({opened.language})" if known else opened.language,
        ]
        if opened.urgency >= URGENT:
            parts.append(t("staff.urgent", staff_language))
        if opened.deadline is not None:
            date = format_date(opened.deadline, staff_language)
            parts.append(t("staff.deadline", staff_language, date=date))
        notice = Reply("staff.new_case", " · ".join(parts), staff_language)
        for method, payload in reply_to_bot_api(notice, staff_chat):
            outbox.enqueue(session, staff_chat, method, payload)

    # --- the thread ------------------------------------------------------------------

    @staticmethod
    def _message(
        session: AsyncSession, found: Case, text: str, update_id: int, language: str
    ) -> FlowResult:
        case_thread.add_user_message(session, found, text, update_id)
        cases.add_event(session, found.id, "user_message")
        if found.user_told_added:
            return FlowResult()  # told once per case, not after every message
        found.user_told_added = True
        return FlowResult([case_replies.added(found.id, language)])

    async def _attachment(
        self, session: AsyncSession, found: Case, step: CaseStep, update_id: int, language: str
    ) -> FlowResult:
        return FlowResult(await self._store_file(session, found, step, update_id, language))

    async def _store_file(
        self, session: AsyncSession, found: Case, step: CaseStep, update_id: int, language: str
    ) -> list[Reply]:
        """Store the step's file with the case, or say why it was refused."""
        attachment = step.attachment
        if attachment is None:
            if step.rejected is None:
                return []
            max_bytes = self.settings.attachment_max_bytes
            return [case_replies.attachment_refused(step.rejected, max_bytes, language)]
        await case_thread.add_attachment(
            session,
            found,
            file_name=attachment.file_name,
            media_type=attachment.media_type,
            data=attachment.data,
            update_id=attachment.update_id,
        )
        if attachment.caption.strip() and attachment.caption != found.description:
            case_thread.add_user_message(session, found, attachment.caption, update_id)
        return [case_replies.attachment_added(found.id, attachment.file_name, language)]

    # --- leaving, withdrawing, feedback --------------------------------------------------

    async def _back(self, session: AsyncSession, chat: Chat, language: str) -> FlowResult:
        found = await _open_case_of(session, chat.id, chat.case_mode_case_id)
        chat.case_mode_case_id = None
        reply = compose.with_topics("case.back_none", "case.back_none", self.store, language)
        if found is not None:
            reply.key = "case.back"
            reply.text = t("case.back", language, case_number=cases.case_number(found.id))
        return FlowResult([reply])

    @staticmethod
    async def _cancel(session: AsyncSession, chat: Chat, found: Case, language: str) -> FlowResult:
        number = cases.case_number(found.id)
        if found.status not in cases.OPEN_STATUSES:
            closed = t("handoff.cancel_closed", language, case_number=number)
            return FlowResult([Reply("handoff.cancel_closed", closed, language)])
        await cases.set_status(session, found, "resolved", None)
        cases.add_event(session, found.id, "cancelled")
        if chat.case_mode_case_id == found.id:
            chat.case_mode_case_id = None
        chat.awaiting = None
        text = t("handoff.cancelled", language, case_number=number)
        return FlowResult([Reply("handoff.cancelled", text, language, case_id=found.id)])

    @staticmethod
    def _feedback(session: AsyncSession, found: Case, helped: bool, language: str) -> FlowResult:
        found.helped = helped
        cases.add_event(session, found.id, "feedback", None, "helped" if helped else "not_helped")
        return FlowResult([compose.plain("case.feedback_thanks", language)])
