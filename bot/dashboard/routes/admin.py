"""The admin page: who has an account, and the audit log (who did what to which case, when)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bot.dashboard.deps import AdminDep, DbDep, render
from bot.storage import audit
from bot.storage import staff as staff_store
from bot.storage.cases import parse_case_number

router = APIRouter()

AUDIT_ROWS = 200


@router.get("/admin")
async def admin_page(
    request: Request,
    me: AdminDep,
    db: DbDep,
    actor: Annotated[str, Query(max_length=64)] = "",
    case: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    users = await staff_store.list_users(db)
    case_id = parse_case_number(case) if case else None
    case_invalid = bool(case.strip()) and case_id is None
    events = await audit.recent(
        db,
        limit=AUDIT_ROWS,
        actor=actor.strip().lower() or None,
        case_id=case_id,
    )
    names = {u.name: u.display_name for u in users}
    return render(
        request,
        "admin.html",
        {
            "users": users,
            "events": [] if case_invalid else events,
            "names": names,
            "actor": actor,
            "case_filter": case,
            "case_invalid": case_invalid,
            "limit": AUDIT_ROWS,
        },
        me,
    )
