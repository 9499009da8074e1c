"""The case page: the whole conversation, the facts, the history, and the forms to act.

Opening the page is audited (`CaseDesk.view`); the live thread fragment that htmx polls is
not (it is the same reader on the same page). User text is only ever shown as text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select

from bot.cases.desk import CaseNotFound
from bot.content.markup import to_plain_text
from bot.dashboard.deps import (
    CaseworkerDep,
    DbDep,
    DeskDep,
    PollingCaseworkerDep,
    SignedIn,
    TranslatorDep,
    render,
)
from bot.dashboard.routes.queue import TOPICS
from bot.db.models import Case, CaseAttachment, CaseEvent, StaffUser
from bot.languages import LANGUAGES
from bot.storage import case_thread as threads
from bot.storage import staff as staff_store
from bot.storage.case_thread import ThreadEntry
from bot.storage.cases import STATUSES
from bot.translation import NoTranslator, Translator, translate_all

router = APIRouter()

# ?notice=… after an action: (key of the message, is it a problem?)
NOTICES = {
    "claimed": ("case.notice.claimed", False),
    "taken": ("case.notice.taken", True),
    "released": ("case.notice.released", False),
    "not_released": ("case.notice.not_released", True),
    "reassigned": ("case.notice.reassigned", False),
    "not_reassigned": ("case.notice.not_reassigned", True),
    "replied": ("case.notice.replied", False),
    "reply_empty": ("case.notice.reply_empty", True),
    "reply_too_long": ("case.notice.reply_too_long", True),
    "reply_translation_stale": ("case.notice.reply_translation_stale", True),
    "reply_resolved": ("case.notice.reply_resolved", True),
    "noted": ("case.notice.noted", False),
    "note_empty": ("case.notice.note_empty", True),
    "status": ("case.notice.status", False),
}


@dataclass(frozen=True)
class Line:
    """One message as the case page shows it."""

    entry: ThreadEntry
    who: str  # user | bot | staff
    text: str  # plain text (escaped by the template)
    author: str | None = None  # the caseworker who wrote a reply
    translation: str | None = None
    media_type: str | None = None


async def _lines(
    db: DbDep, found: Case, translator: Translator, language: str, names: dict[str, str]
) -> list[Line]:
    entries = await threads.thread(db, found)
    attachments = await db.execute(
        select(CaseAttachment.id, CaseAttachment.media_type).where(
            CaseAttachment.case_id == found.id
        )
    )
    media = {attachment_id: media_type for attachment_id, media_type in attachments}
    repliers = list(
        await db.scalars(
            select(CaseEvent.actor)
            .where(CaseEvent.case_id == found.id, CaseEvent.kind == "replied")
            .order_by(CaseEvent.id)
        )
    )
    # The user's words also in the caseworker's language (cached; a few requests at a time).
    foreign = list(
        dict.fromkeys(
            e.text
            for e in entries
            if e.direction == "in" and e.attachment_id is None and found.language != language
        )
    )
    translations = dict(
        zip(
            foreign, await translate_all(translator, foreign, found.language, language), strict=True
        )
    )
    lines = []
    for entry in entries:
        if entry.direction == "in":
            translation = translations.get(entry.text) if entry.attachment_id is None else None
            media_type = media.get(entry.attachment_id) if entry.attachment_id else None
            lines.append(Line(entry, "user", entry.text, None, translation, media_type))
        elif entry.content_key == "case.reply" and entry.in_thread:
            actor = repliers.pop(0) if repliers else None
            lines.append(Line(entry, "staff", entry.text, names.get(actor or "", actor)))
        else:  # the bot's own Telegram HTML, shown as plain text
            lines.append(Line(entry, "bot", to_plain_text(entry.text)))
    return lines


async def _case_or_404(db: DbDep, case_id: int) -> Case:
    found = await db.get(Case, case_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


async def _thread_context(
    db: DbDep, found: Case, me: SignedIn, translator: Translator
) -> dict[str, Any]:
    names = {u.name: u.display_name for u in await staff_store.list_users(db)}
    lines = await _lines(db, found, translator, me.user.ui_language, names)
    fingerprint = repr(
        (
            # a translation that arrives later (service back) must reach an open page too
            [(line.entry.at, line.who, len(line.text), bool(line.translation)) for line in lines],
            found.status,
            found.assignee,
            me.user.ui_language,
        )
    )
    return {
        "case": found,
        "lines": lines,
        "names": names,
        "thread_version": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
    }


@router.get("/cases/{case_id}")
async def case_page(
    request: Request,
    case_id: int,
    me: CaseworkerDep,
    db: DbDep,
    desk: DeskDep,
    translator: TranslatorDep,
    notice: str = "",
) -> Response:
    try:
        await desk.view(case_id, me.staff)
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    found = await _case_or_404(db, case_id)
    context = await _thread_context(db, found, me, translator)
    history = await threads.events(db, case_id)
    workers: list[StaffUser] = await staff_store.case_workers(db)
    notice_key, notice_problem = NOTICES.get(notice, (None, False))
    return render(
        request,
        "case.html",
        {
            **context,
            "history": history,
            "notes": [e for e in history if e.kind == "note"],
            "workers": [w for w in workers if w.name != found.assignee],
            "statuses": STATUSES,
            "topics": TOPICS,
            "languages": LANGUAGES,
            "notice_key": notice_key,
            "notice_problem": notice_problem,
            "may_act": found.assignee in (None, me.user.name) or me.is_admin,
            "may_translate": found.language != "de" and not isinstance(translator, NoTranslator),
        },
        me,
    )


@router.get("/cases/{case_id}/thread")
async def case_thread(
    request: Request,
    case_id: int,
    me: PollingCaseworkerDep,
    db: DbDep,
    translator: TranslatorDep,
    v: str = "",
) -> Response:
    found = await _case_or_404(db, case_id)
    context = await _thread_context(db, found, me, translator)
    if v and v == context["thread_version"]:
        return Response(status_code=204)
    return render(request, "_thread.html", context, me)
