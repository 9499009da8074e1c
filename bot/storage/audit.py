"""The audit log: who opened, claimed, answered or changed which case, and when.

It holds names of staff, actions and case numbers, never what users wrote, so it may outlive
the cases it talks about (a /delete erases the case, not the fact that someone worked on it).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEvent


def record(
    session: AsyncSession,
    actor: str,
    action: str,
    case_id: int | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEvent(actor=actor[:64], action=action[:32], case_id=case_id, detail=(detail or None))
    )


async def recent(
    session: AsyncSession,
    limit: int = 200,
    actor: str | None = None,
    case_id: int | None = None,
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    return list(await session.scalars(query))
