"""The queue: open cases, most urgent first, with filters, counts and live updates.

The page embeds a fragment (`/queue/live`) that htmx fetches every few seconds. The fragment
carries a version of what it shows; when nothing changed the server answers 204 and htmx
leaves the page alone (no flicker, no lost text selection).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from bot.dashboard.deps import (
    CaseworkerDep,
    DbDep,
    PollingCaseworkerDep,
    SignedIn,
    StaffDep,
    render,
)
from bot.db.models import Case, utcnow
from bot.languages import LANGUAGES
from bot.storage import case_queue
from bot.storage import staff as staff_store
from bot.storage.case_queue import QueueFilter
from bot.storage.cases import OPEN_STATUSES, STATUSES, aware

router = APIRouter()

PAGE_SIZE = 50
TOPICS = ("courses", "training", "housing", "bureaucracy", "everyday", "other")


@dataclass(frozen=True)
class Filters:
    status: str = ""  # "" = every open status
    topic: str = ""
    language: str = ""
    mine: bool = False
    page: int = 1

    def query(self, **changes: object) -> str:
        values = {
            "status": self.status,
            "topic": self.topic,
            "language": self.language,
            "mine": "1" if self.mine else "",
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})

    def storage(self, me: SignedIn) -> QueueFilter:
        return QueueFilter(
            statuses=(self.status,) if self.status else OPEN_STATUSES,
            topic=self.topic or None,
            language=self.language or None,
            assignee=me.user.name if self.mine else None,
            limit=PAGE_SIZE + 1,
            offset=(self.page - 1) * PAGE_SIZE,
        )


def _filters(
    status: Annotated[str, Query(max_length=24)] = "",
    topic: Annotated[str, Query(max_length=32)] = "",
    language: Annotated[str, Query(max_length=8)] = "",
    mine: Annotated[str, Query(max_length=2)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Filters:
    return Filters(
        status=status if status in STATUSES else "",
        topic=topic if topic in TOPICS else "",
        language=language if language in LANGUAGES else "",
        mine=mine == "1",
        page=page,
    )


@dataclass(frozen=True)
class QueueRow:
    case: Case
    waiting: dt.timedelta  # since the user last waited for a person
    last_message_at: dt.datetime | None


def _row(found: Case, now: dt.datetime) -> QueueRow:
    since = found.created_at
    answered, wrote = found.first_response_at, found.last_user_message_at
    if answered and wrote and aware(wrote) > aware(answered):
        since = wrote  # the user wrote again after an answer: waiting again since then
    return QueueRow(found, now - aware(since), found.last_user_message_at)


async def _live_context(db: DbDep, me: SignedIn, filters: Filters) -> dict[str, object]:
    now = utcnow()
    found = await case_queue.queue(db, filters.storage(me))
    rows = [_row(c, now) for c in found[:PAGE_SIZE]]
    counts = await case_queue.counts_by_status(db)
    fingerprint = repr(
        (
            [(c.id, c.status, c.assignee, c.updated_at, c.last_user_message_at) for c in found],
            sorted(counts.items()),
            now.replace(second=0, microsecond=0),  # waiting times move on each minute
            me.user.ui_language,
        )
    )
    names = {u.name: u.display_name for u in await staff_store.list_users(db)}
    return {
        "rows": rows,
        "names": names,
        "languages": LANGUAGES,
        "counts": counts,
        "filters": filters,
        "has_more": len(found) > PAGE_SIZE,
        "version": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
    }


def _choices() -> dict[str, object]:
    return {"statuses": STATUSES, "topics": TOPICS, "languages": LANGUAGES}


@router.get("/")
async def home(signed_in: StaffDep) -> Response:
    if signed_in.user.role == "editor":  # editors land on the answers (content) matrix
        return RedirectResponse("/content", status_code=303)
    if not signed_in.works_cases:
        raise HTTPException(status_code=403)
    return RedirectResponse("/queue", status_code=303)


FiltersDep = Annotated[Filters, Depends(_filters)]


@router.get("/queue")
async def queue_page(
    request: Request, me: CaseworkerDep, db: DbDep, filters: FiltersDep
) -> Response:
    context = await _live_context(db, me, filters)
    return render(request, "queue.html", {**context, **_choices()}, me)


@router.get("/queue/live")
async def queue_live(
    request: Request, me: PollingCaseworkerDep, db: DbDep, filters: FiltersDep, v: str = ""
) -> Response:
    context = await _live_context(db, me, filters)
    if v and v == context["version"]:
        return Response(status_code=204)
    return render(request, "_queue_live.html", context, me)
