"""The gaps page: what the bot could not answer, grouped by meaning, and what editors do next.

Editors and administrators only (caseworkers see cases, not statistics). From a group an
editor adds its wordings as training examples of an existing answer (learnt at the next
retrain) or starts a new answer on the new-key page (`/content/new?from_gap=<message ids>`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.store import SOURCE_LANGUAGE
from bot.dashboard.deps import DbDep, render
from bot.dashboard.i18n import UiText, ui_language
from bot.dashboard.routes.content import EditorDep, published
from bot.gaps import chart, notify, training
from bot.gaps.export import groups_csv
from bot.gaps.feedback import feedback_counts
from bot.gaps.grouping import Grouper
from bot.gaps.groups import GapGroup, gap_groups, weeks_between
from bot.gaps.questions import MAX_QUESTIONS, among, unanswered
from bot.storage import audit

router = APIRouter()

DEFAULT_DAYS = 56  # eight weeks
MAX_DAYS = 400
MAX_GROUPS = 60  # shown on the page; the CSV has them all
FROM_GAP_IDS = 20  # message ids handed to the new-answer page
_ID = re.compile(r"[0-9]{1,18}")


def grouper_of(request: Request) -> Grouper:
    """One grouper per dashboard: its vector cache outlives a page view."""
    state = request.app.state
    grouper: Grouper | None = getattr(state, "gap_grouper", None)
    if grouper is None:
        grouper = Grouper.for_settings(state.settings)
        state.gap_grouper = grouper
    return grouper


@dataclass(frozen=True)
class Period:
    """Whole local days (TIMEZONE), like "today" and the monthly report."""

    first: dt.date
    last: dt.date  # inclusive
    timezone: str
    invalid: bool = False

    @property
    def start(self) -> dt.datetime:
        return self._midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        return self._midnight(self.last + dt.timedelta(days=1))

    def _midnight(self, day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(dt.UTC)

    @property
    def query(self) -> str:
        return urlencode({"from": self.first.isoformat(), "to": self.last.isoformat()})


def period_of(request: Request, first: str, last: str) -> Period:
    """The date filter; a malformed or reversed one falls back to the last eight weeks."""
    timezone = request.app.state.settings.timezone
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    default = Period(today - dt.timedelta(days=DEFAULT_DAYS - 1), today, timezone)
    try:
        chosen = Period(
            dt.date.fromisoformat(first) if first else default.first,
            dt.date.fromisoformat(last) if last else default.last,
            timezone,
        )
    except ValueError:
        return Period(default.first, default.last, timezone, invalid=True)
    if chosen.first > chosen.last or (chosen.last - chosen.first).days > MAX_DAYS:
        return Period(default.first, default.last, timezone, invalid=True)
    return chosen


FromQuery = Annotated[str, Query(alias="from", max_length=10)]
ToQuery = Annotated[str, Query(alias="to", max_length=10)]


async def groups_in(
    db: AsyncSession, grouper: Grouper, period: Period
) -> tuple[list[GapGroup], bool]:
    questions = await unanswered(db, period.start, period.end)
    return await gap_groups(grouper, questions, period.timezone)


def from_gap_link(group: GapGroup, waiting: set[int]) -> str:
    """The new-answer page with the group's questions; those whose askers wait to be told
    come first, so that the few ids a link carries include them."""
    ordered = sorted(group.message_ids, key=lambda i: i not in waiting)[:FROM_GAP_IDS]
    if not ordered:  # only case texts: nothing to prefill
        return "/content/new"
    return "/content/new?" + urlencode({"from_gap": ",".join(map(str, ordered))})


@router.get("/gaps")
async def gaps_page(
    request: Request,
    me: EditorDep,
    db: DbDep,
    first: FromQuery = "",
    last: ToQuery = "",
    added: Annotated[int | None, Query(ge=0, le=1000)] = None,
    key: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    period = period_of(request, first, last)
    groups, embedded = await groups_in(db, grouper_of(request), period)
    store = await published(request)
    weeks = weeks_between(period.first, period.last)
    total: Counter[str] = Counter()
    for group in groups:
        total.update(group.weeks)
    shown = groups[:MAX_GROUPS]
    waiting = await notify.waiting(db, [i for g in shown for i in g.message_ids])
    return render(
        request,
        "gaps.html",
        {
            "period": period,
            "groups": groups[:MAX_GROUPS],
            "hidden_groups": max(0, len(groups) - MAX_GROUPS),
            "questions": sum(g.size for g in groups),
            "embedded": embedded,
            "trend": chart.weekly_bars(total, weeks),
            "sparks": {g.id: chart.sparkline(g.weeks, weeks) for g in groups[:MAX_GROUPS]},
            "weeks": weeks,
            "answers": [(k, store.title(k, SOURCE_LANGUAGE)) for k in store.catalog.full_keys],
            "feedback": await feedback_counts(db, period.start, period.end),
            "new_links": {g.id: from_gap_link(g, waiting) for g in shown},
            "added": added,
            "added_key": key if key in store.catalog.full_keys else "",
        },
        me,
    )


@router.get("/gaps.csv")
async def gaps_csv(
    request: Request, me: EditorDep, db: DbDep, first: FromQuery = "", last: ToQuery = ""
) -> Response:
    period = period_of(request, first, last)
    groups, _ = await groups_in(db, grouper_of(request), period)
    name = f"gaps-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    words = UiText(ui_language(me.user.ui_language))
    return Response(
        groups_csv(groups, words("gaps.cases_only"), words("gaps.asked_by_one")),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/gaps/train")
async def add_training_examples(
    request: Request,
    me: EditorDep,
    db: DbDep,
    key: Annotated[str, Form(max_length=80)],
    ref: Annotated[list[str], Form()],
    first: Annotated[str, Form(alias="from", max_length=10)] = "",
    last: Annotated[str, Form(alias="to", max_length=10)] = "",
    asked: Annotated[list[str], Form(alias="notify")] = [],  # noqa: B006 - FastAPI copies it
) -> Response:
    store = await published(request)
    if key not in store.catalog.full_keys:
        raise HTTPException(status_code=404)
    # The page offers only unanswered questions; a form naming anything else was crafted.
    message_ids = training.parse_refs(ref)
    group_ids = _ids(asked)
    if (
        message_ids is None
        or group_ids is None
        or not await _all_gap_questions(db, [*message_ids, *group_ids])
    ):
        raise HTTPException(status_code=400)
    added = await training.add_examples(db, key, ref, me.user.id)
    # Everyone in the group who asked to be told hears the answer now, not only the
    # askers of the few wordings shown.
    told = await notify.notify_subscribers(db, [*message_ids, *group_ids], key, store)
    audit.record(db, me.user.name, "gap_training", None, f"{key}: {added}, told {told}")
    await db.commit()
    period = period_of(request, first, last)
    target = f"/gaps?{period.query}&" + urlencode({"added": added, "key": key})
    return RedirectResponse(target, status_code=303)


def _ids(values: list[str]) -> list[int] | None:
    """The group's message ids as posted; None if one is not a number."""
    if len(values) > MAX_QUESTIONS or not all(_ID.fullmatch(v.strip()) for v in values):
        return None
    return [int(v) for v in values]


async def _all_gap_questions(db: AsyncSession, message_ids: list[int]) -> bool:
    found = {q.message_id for q in await among(db, message_ids)}
    return bool(message_ids) and found >= set(message_ids)
