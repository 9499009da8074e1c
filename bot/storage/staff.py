"""Dashboard accounts, their signed-in browsers and failed sign-ins.

Used by the dashboard and by `python -m bot user …`. Passwords arrive here already hashed
(`bot.dashboard.security`); session tokens only as their SHA-256: a copy of the database
lets nobody sign in.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import LoginFailure, StaffSession, StaffUser, utcnow

ROLES = ("caseworker", "editor", "admin")
CASE_ROLES = frozenset({"caseworker", "admin"})  # editors never see cases
UI_LANGUAGES = ("de", "en")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class StaffError(ValueError):
    """A command about an account cannot be done; the message says why."""


def normalise_name(name: str) -> str:
    value = name.strip().lower()
    if not _NAME.match(value):
        raise StaffError(
            "a user name is 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    return value


# --- accounts --------------------------------------------------------------------------


async def find_user(session: AsyncSession, name: str) -> StaffUser | None:
    return await session.scalar(select(StaffUser).where(StaffUser.name == name.strip().lower()))


async def add_user(
    session: AsyncSession, name: str, role: str, password_hash: str, display_name: str | None
) -> StaffUser:
    clean = normalise_name(name)
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if await find_user(session, clean) is not None:
        raise StaffError(f"there is already a user called {clean!r}")
    user = StaffUser(
        name=clean,
        display_name=(display_name or clean).strip()[:80] or clean,
        role=role,
        password_hash=password_hash,
        active=True,
    )
    session.add(user)
    await session.flush()
    return user


async def list_users(session: AsyncSession) -> list[StaffUser]:
    return list(await session.scalars(select(StaffUser).order_by(StaffUser.name)))


async def case_workers(session: AsyncSession) -> list[StaffUser]:
    """Active accounts that may hold a case (the choices for 'reassign')."""
    return list(
        await session.scalars(
            select(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role.in_(CASE_ROLES))
            .order_by(StaffUser.display_name)
        )
    )


async def any_user(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(StaffUser)))


async def disable_user(session: AsyncSession, name: str) -> bool:
    """No more sign-ins, and every open session of the account ends now."""
    user = await find_user(session, name)
    if user is None:
        return False
    user.active = False
    await session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return True


async def set_ui_language(session: AsyncSession, user_id: int, language: str) -> None:
    if language in UI_LANGUAGES:
        await session.execute(
            update(StaffUser).where(StaffUser.id == user_id).values(ui_language=language)
        )


# --- sessions --------------------------------------------------------------------------


async def start_session(
    session: AsyncSession,
    user: StaffUser,
    token_hash: str,
    csrf_token: str,
    replaces: str | None = None,
) -> None:
    """A new session at every sign-in; the browser's previous one (if any) is dropped."""
    if replaces:
        await session.execute(delete(StaffSession).where(StaffSession.token_hash == replaces))
    now = utcnow()
    session.add(
        StaffSession(
            token_hash=token_hash,
            user_id=user.id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
        )
    )
    await session.execute(
        update(StaffUser).where(StaffUser.id == user.id).values(last_login_at=now)
    )


async def session_with_user(
    session: AsyncSession, token_hash: str
) -> tuple[StaffSession, StaffUser] | None:
    row = (
        await session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.token_hash == token_hash)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def touch_session(session: AsyncSession, token_hash: str, now: dt.datetime) -> None:
    await session.execute(
        update(StaffSession).where(StaffSession.token_hash == token_hash).values(last_seen_at=now)
    )


async def end_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash))


async def end_idle_sessions(session: AsyncSession, idle_since: dt.datetime) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.last_seen_at < idle_since))


# --- failed sign-ins -------------------------------------------------------------------


async def failures_since(
    session: AsyncSession, keys: list[str], since: dt.datetime
) -> dict[str, int]:
    rows = await session.execute(
        select(LoginFailure.key, func.count())
        .where(LoginFailure.key.in_(keys), LoginFailure.at >= since)
        .group_by(LoginFailure.key)
    )
    counts = dict.fromkeys(keys, 0)
    counts.update({key: count for key, count in rows})
    return counts


def record_failure(session: AsyncSession, keys: list[str]) -> None:
    now = utcnow()
    for key in keys:
        session.add(LoginFailure(key=key[:128], at=now))


async def clear_failures(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.key == key))


async def purge_failures(session: AsyncSession, before: dt.datetime) -> None:
    """Failures older than the rate-limit window count for nothing; keep the table small."""
    await session.execute(delete(LoginFailure).where(LoginFailure.at < before))
