"""The caseworkers' queue: which open case comes first, how many there are, and how long
the first answer typically takes (what /status tells the young person)."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, utcnow
from bot.storage.cases import OPEN_STATUSES, STATUSES, aware


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[str, ...] = OPEN_STATUSES
    topic: str | None = None
    language: str | None = None
    assignee: str | None = None  # "mine": the signed-in caseworker's name
    limit: int = 200
    offset: int = 0  # paging through a long queue


def _queue_order(query: Select[Case]) -> Select[Case]:
    """Most urgent first; among equals the nearest deadline, then the longest waiting."""
    no_deadline = case((Case.deadline.is_(None), 1), else_=0)
    return query.order_by(Case.urgency.desc(), no_deadline, Case.deadline, Case.created_at, Case.id)


async def queue(session: AsyncSession, where: QueueFilter) -> list[Case]:
    query = select(Case).where(Case.status.in_(where.statuses))
    if where.topic:
        query = query.where(Case.topic == where.topic)
    if where.language:
        query = query.where(Case.language == where.language)
    if where.assignee:
        query = query.where(Case.assignee == where.assignee)
    return list(await session.scalars(_queue_order(query).limit(where.limit).offset(where.offset)))


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Case.status, func.count()).group_by(Case.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


async def place_in_queue(session: AsyncSession, target: Case) -> int | None:
    """1 for the next case a caseworker takes; None once somebody has it."""
    if target.status != "open" or target.assignee is not None:
        return None
    no_deadline = 1 if target.deadline is None else 0
    target_deadline = target.deadline or dt.date.max
    ahead = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            Case.status == "open",
            Case.assignee.is_(None),
            Case.id != target.id,
            or_(
                Case.urgency > target.urgency,
                and_(
                    Case.urgency == target.urgency,
                    or_(
                        case((Case.deadline.is_(None), 1), else_=0) < no_deadline,
                        and_(
                            case((Case.deadline.is_(None), 1), else_=0) == no_deadline,
                            or_(
                                func.coalesce(Case.deadline, dt.date.max) < target_deadline,
                                and_(
                                    func.coalesce(Case.deadline, dt.date.max) == target_deadline,
                                    Case.created_at < target.created_at,
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


async def median_first_response(
    session: AsyncSession, days: int = 30, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """Typical time from opening to the first caseworker reply, over recent cases."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    rows = await session.execute(
        select(Case.created_at, Case.first_response_at).where(
            Case.first_response_at.is_not(None), Case.created_at >= since
        )
    )
    waits = [
        (aware(answered) - aware(opened)).total_seconds()
        for opened, answered in rows
        if answered is not None
    ]
    if not waits:
        return None
    return dt.timedelta(seconds=statistics.median(waits))
