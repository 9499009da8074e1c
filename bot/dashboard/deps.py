"""What routes depend on: the database, who is signed in (and may they), CSRF, rendering.

Typed aliases (`DbDep`, `StaffDep`, `CaseworkerDep`, `AdminDep`) keep route signatures short.
The CSRF check is an app-wide dependency (see `app.py`), so no state-changing route can
forget it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cases.desk import CaseDesk, Staff
from bot.config import Settings
from bot.dashboard.i18n import UiText, ui_language
from bot.dashboard.security import same_token, token_hash
from bot.dashboard.templating import Clock
from bot.db.models import StaffUser, utcnow
from bot.storage import staff as staff_store
from bot.storage.cases import aware
from bot.translation import Translator

SESSION_COOKIE = "gk_session"
LOGIN_CSRF_COOKIE = "gk_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_EVERY = dt.timedelta(seconds=30)  # write last_seen_at at most this often


class LoginRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired


@dataclass(frozen=True)
class SignedIn:
    user: StaffUser
    token_hash: str
    csrf_token: str
    last_seen: dt.datetime

    @property
    def staff(self) -> Staff:
        return Staff(self.user.name, self.user.display_name, self.user.role)

    @property
    def works_cases(self) -> bool:
        return self.user.role in staff_store.CASE_ROLES

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def sessions_of(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


def desk_of(request: Request) -> CaseDesk:
    desk: CaseDesk = request.app.state.desk
    return desk


def translator_of(request: Request) -> Translator:
    translator: Translator = request.app.state.translator
    return translator


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with sessions_of(request)() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(settings_of)]
DbDep = Annotated[AsyncSession, Depends(get_db)]
DeskDep = Annotated[CaseDesk, Depends(desk_of)]
TranslatorDep = Annotated[Translator, Depends(translator_of)]


async def _lookup(request: Request) -> SignedIn | None:
    """The session behind the cookie, if it exists, is not idle and its account is active."""
    if hasattr(request.state, "signed_in"):
        cached: SignedIn | None = request.state.signed_in
        return cached
    request.state.signed_in = None
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    hashed = token_hash(token)
    limit = dt.timedelta(minutes=settings_of(request).dashboard_idle_minutes)
    async with sessions_of(request).begin() as db:
        found = await staff_store.session_with_user(db, hashed)
        if found is None:
            request.state.session_expired = True
            return None
        row, user = found
        if utcnow() - aware(row.last_seen_at) > limit or not user.active:
            await staff_store.end_session(db, hashed)
            request.state.session_expired = True
            return None
    request.state.signed_in = SignedIn(user, hashed, row.csrf_token, aware(row.last_seen_at))
    return request.state.signed_in  # type: ignore[no-any-return]


async def _signed_in(request: Request, touch: bool) -> SignedIn | None:
    """Polling (`touch=False`) is no activity: an unattended open tab still times out."""
    found = await _lookup(request)
    now = utcnow()
    if found is not None and touch and now - found.last_seen > TOUCH_EVERY:
        async with sessions_of(request).begin() as db:
            await staff_store.touch_session(db, found.token_hash, now)
    return found


async def optional_staff(request: Request) -> SignedIn | None:
    return await _signed_in(request, touch=True)


async def require_staff(request: Request) -> SignedIn:
    found = await optional_staff(request)
    if found is None:
        raise LoginRequired(expired=getattr(request.state, "session_expired", False))
    return found


async def require_caseworker(request: Request) -> SignedIn:
    found = await require_staff(request)
    if not found.works_cases:
        raise HTTPException(status_code=403)
    return found


async def require_polling_caseworker(request: Request) -> SignedIn:
    found = await _signed_in(request, touch=False)
    if found is None:
        raise LoginRequired(expired=True)
    if not found.works_cases:
        raise HTTPException(status_code=403)
    return found


async def require_admin(request: Request) -> SignedIn:
    found = await require_staff(request)
    if not found.is_admin:
        raise HTTPException(status_code=403)
    return found


OptionalStaffDep = Annotated[SignedIn | None, Depends(optional_staff)]
StaffDep = Annotated[SignedIn, Depends(require_staff)]
CaseworkerDep = Annotated[SignedIn, Depends(require_caseworker)]
PollingCaseworkerDep = Annotated[SignedIn, Depends(require_polling_caseworker)]
AdminDep = Annotated[SignedIn, Depends(require_admin)]


async def check_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token (form field or header).

    Before sign-in the login form is protected the same way with a token from a cookie
    of its own (a forged login would otherwise sign a caseworker into someone's account).
    """
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if request.url.path == "/login":
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    else:
        signed_in = await _signed_in(request, touch=False)
        expected = signed_in.csrf_token if signed_in else None
    if not same_token(expected, sent):
        raise HTTPException(status_code=403, detail="csrf")


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    signed_in: SignedIn | None,
    status_code: int = 200,
    language: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    settings = settings_of(request)
    lang = ui_language(signed_in.user.ui_language if signed_in else language)
    text = UiText(lang)
    base = {
        "_": text,
        "lang": lang,
        "me": signed_in,
        "csrf": signed_in.csrf_token if signed_in else None,
        "clock": Clock(settings.timezone, lang, utcnow()),
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code, headers=headers
    )
    return response
