"""The admin page: who has an account, overdue cases, and the audit log (who did what, when).

Overdue cases are those retention escalated (open too long without activity, see
`bot.cases.escalation`); they stay listed here until somebody resolves them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bot.cases import escalation
from bot.dashboard.deps import AdminDep, DbDep, SettingsDep, render
from bot.dashboard.i18n import UiText
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
    settings: SettingsDep,
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
    names = {escalation.ACTOR: UiText(me.user.ui_language)("admin.system")}
    names.update({u.name: u.display_name for u in users})
    return render(
        request,
        "admin.html",
        {
            "users": users,
            "overdue": await escalation.overdue_cases(db),
            "overdue_days": settings.open_case_max_days,
            "events": [] if case_invalid else events,
            "names": names,
            "actor": actor,
            "case_filter": case,
            "case_invalid": case_invalid,
            "limit": AUDIT_ROWS,
        },
        me,
    )
