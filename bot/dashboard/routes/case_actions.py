"""What a caseworker does to a case: claim, release, reassign, status, reply, note.

Every action goes through `CaseDesk` (one transaction: the case, its history, the audit log,
and the user's message in the outbox), then back to the case page with a notice
(post/redirect/get: a reload never sends a reply twice).

Only the holder of a case (or an admin) may answer it, change it or hand it on; anybody
working cases may claim a free one and write an internal note.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import RedirectResponse, Response

from bot.cases.desk import CaseNotFound, NotAllowed
from bot.dashboard.deps import CaseworkerDep, DbDep, DeskDep, SignedIn
from bot.db.models import Case
from bot.storage import staff as staff_store
from bot.storage.cases import STATUSES

router = APIRouter(prefix="/cases/{case_id}")

ReplyText = Annotated[str, Form(max_length=20_000)]


def _back(case_id: int, notice: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/cases/{case_id}?notice={notice}{anchor}", status_code=303)


async def _held_by_someone_else(db: DbDep, case_id: int, me: SignedIn) -> bool:
    found = await db.get(Case, case_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found.assignee not in (None, me.user.name) and not me.is_admin


@router.post("/claim")
async def claim(case_id: int, me: CaseworkerDep, desk: DeskDep) -> Response:
    try:
        result = await desk.claim(case_id, me.staff)
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    return _back(case_id, "claimed" if result.won else "taken")


@router.post("/release")
async def release(case_id: int, me: CaseworkerDep, desk: DeskDep) -> Response:
    try:
        released = await desk.release(case_id, me.staff)
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    return _back(case_id, "released" if released else "not_released")


@router.post("/reassign")
async def reassign(
    case_id: int,
    me: CaseworkerDep,
    db: DbDep,
    desk: DeskDep,
    to: Annotated[str, Form(max_length=64)],
) -> Response:
    if await _held_by_someone_else(db, case_id, me):
        return _back(case_id, "taken")
    target = await staff_store.find_user(db, to)
    if target is None or not target.active or target.role not in staff_store.CASE_ROLES:
        return _back(case_id, "not_reassigned")
    moved = await desk.reassign(case_id, me.staff, target.name)
    return _back(case_id, "reassigned" if moved else "not_reassigned")


@router.post("/status")
async def set_status(
    case_id: int,
    me: CaseworkerDep,
    db: DbDep,
    desk: DeskDep,
    status: Annotated[str, Form(max_length=24)],
) -> Response:
    if status not in STATUSES:
        raise HTTPException(status_code=400)
    if await _held_by_someone_else(db, case_id, me):
        return _back(case_id, "taken")
    await desk.set_status(case_id, me.staff, status)
    return _back(case_id, "status")


@router.post("/reply")
async def reply(
    case_id: int,
    me: CaseworkerDep,
    db: DbDep,
    desk: DeskDep,
    text: ReplyText,
    sent_text: Annotated[str | None, Form(max_length=20_000)] = None,
    translated_from: Annotated[str | None, Form(max_length=20_000)] = None,
) -> Response:
    """`sent_text`: what the user receives when it differs (a checked machine translation);
    `translated_from`: the German it was made from, which must still be the reply."""
    if await _held_by_someone_else(db, case_id, me):
        return _back(case_id, "taken")
    if not text.strip():
        return _back(case_id, "reply_empty")
    translated = bool((sent_text or "").strip())
    if translated and translated_from is not None and translated_from.strip() != text.strip():
        return _back(case_id, "reply_translation_stale", "#reply")
    try:
        await desk.reply(case_id, me.staff, text, sent_text=(sent_text or "").strip() or None)
    except NotAllowed:
        found = await db.get(Case, case_id)
        resolved = found is not None and found.status == "resolved"
        return _back(case_id, "reply_resolved" if resolved else "taken")
    except ValueError:
        return _back(case_id, "reply_too_long")
    return _back(case_id, "replied", "#reply")


@router.post("/note")
async def note(case_id: int, me: CaseworkerDep, desk: DeskDep, text: ReplyText) -> Response:
    if not text.strip():
        return _back(case_id, "note_empty")
    try:
        await desk.add_note(case_id, me.staff, text)
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    return _back(case_id, "noted", "#notes")
