"""Signing in and out, and the staff member's language.

A sign-in is refused for a while after too many failures, per account and per address
(`login_failures`), with a message that says so. Every sign-in starts a new session; the
browser's previous one is dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.dashboard.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    OptionalStaffDep,
    SettingsDep,
    StaffDep,
    render,
    sessions_of,
)
from bot.dashboard.security import new_token, token_hash, verify_password
from bot.db.models import utcnow
from bot.storage import audit
from bot.storage import staff as staff_store

router = APIRouter()

# Failed sign-ins allowed per window: per account, and per address (an office behind one
# NAT address has several people typing passwords).
MAX_FAILURES = {"user": 5, "addr": 20}
FAILURE_WINDOW = dt.timedelta(minutes=15)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no `//host`, no scheme): no open redirect after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(char) < 32 for char in target):
        return "/"  # browsers drop tabs and newlines: "/\t/host" would become "//host"
    return target


def _login_page(
    request: Request,
    language: str | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    name: str = "",
    next_path: str = "/",
    status_code: int = 200,
) -> Response:
    token = new_token()
    response = render(
        request,
        "login.html",
        {
            "error": error,
            "notice": notice,
            "name": name,
            "next_path": _safe_next(next_path),
            "login_csrf": token,
            "minutes": int(FAILURE_WINDOW.total_seconds() // 60),
        },
        None,
        status_code=status_code,
        language=language,
    )
    secure = request.app.state.settings.dashboard_https
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/login"
    )
    return response


@router.get("/login")
async def login_form(
    request: Request,
    signed_in: OptionalStaffDep,
    lang: str | None = None,
    next: str | None = None,
    expired: str | None = None,
    out: str | None = None,
) -> Response:
    if signed_in is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    notice = "login.expired" if expired else "login.logged_out" if out else None
    return _login_page(request, lang, notice=notice, next_path=next or "/")


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    lang: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    account = name.strip().lower()
    address = request.client.host if request.client else "unknown"
    keys = [f"user:{account}", f"addr:{address}"]
    now = utcnow()
    sessions = sessions_of(request)
    async with sessions.begin() as db:
        failures = await staff_store.failures_since(db, keys, now - FAILURE_WINDOW)
    if any(count >= MAX_FAILURES[key.split(":")[0]] for key, count in failures.items()):
        return _login_page(
            request,
            lang,
            error="login.throttled",
            name=account,
            next_path=next or "/",
            status_code=429,
        )
    async with sessions() as db:
        user = await staff_store.find_user(db, account) if account else None
    stored_hash = user.password_hash if user is not None else None
    valid = await asyncio.to_thread(verify_password, stored_hash, password)
    if user is None or not valid or not user.active:
        async with sessions.begin() as db:
            staff_store.record_failure(db, keys)
            await staff_store.purge_failures(db, now - FAILURE_WINDOW)
        return _login_page(
            request,
            lang,
            error="login.failed",
            name=account,
            next_path=next or "/",
            status_code=401,
        )
    token, csrf = new_token(), new_token()
    previous = request.cookies.get(SESSION_COOKIE)
    async with sessions.begin() as db:
        await staff_store.start_session(
            db, user, token_hash(token), csrf, replaces=token_hash(previous) if previous else None
        )
        await staff_store.clear_failures(db, f"user:{account}")
        audit.record(db, user.name, "login")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.dashboard_https,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, signed_in: StaffDep) -> Response:
    async with sessions_of(request).begin() as db:
        await staff_store.end_session(db, signed_in.token_hash)
        audit.record(db, signed_in.user.name, "logout")
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
async def language(
    request: Request,
    signed_in: StaffDep,
    lang: Annotated[str, Form(max_length=8)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    async with sessions_of(request).begin() as db:
        await staff_store.set_ui_language(db, signed_in.user.id, lang)
    return RedirectResponse(_safe_next(next), status_code=303)
