"""The monthly report for the Kreis coordination group, as a printable dashboard page.

Editors and administrators; the same content as `python -m bot report --month YYYY-MM`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bot.dashboard.deps import DbDep, render
from bot.dashboard.routes.content import EditorDep, published
from bot.dashboard.routes.gaps import grouper_of
from bot.reporting.monthly import build_report, parse_month, previous_month

router = APIRouter()


@router.get("/reports/monthly")
async def monthly_report(
    request: Request,
    me: EditorDep,
    db: DbDep,
    month: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    timezone = request.app.state.settings.timezone
    try:
        first = parse_month(month)
    except ValueError:
        first = previous_month(dt.datetime.now(ZoneInfo(timezone)).date())
    store = await published(request)
    report = await build_report(db, store, grouper_of(request), first, timezone)
    return render(request, "report_monthly.html", {"r": report}, me)
