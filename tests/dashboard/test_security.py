"""The dashboard's security basics, checked over plain HTTP against the running server:
headers, cookie flags, session rotation at sign-in, the idle timeout, CSRF on every POST."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select, update

from bot.dashboard.deps import SESSION_COOKIE
from bot.dashboard.security import token_hash
from bot.dashboard.server import dashboard_running
from bot.db.models import StaffSession, StaffUser, utcnow
from tests.conftest import make_settings
from tests.dashboard.conftest import Account, Dashboard, csrf_in, http_sign_in, open_case
from tests.servers import free_port


def _set_cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers}")


async def test_every_page_sends_a_strict_policy_and_the_session_cookie_is_locked_down(
    dashboard: Dashboard, http: httpx.AsyncClient, caseworker: Account
) -> None:
    page = await http.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script anywhere

    signed_in = await http_sign_in(http, caseworker)
    assert signed_in.status_code == 303
    cookie = _set_cookie(signed_in, SESSION_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # DASHBOARD_HTTPS is off here
    async with dashboard.sessions() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.name == caseworker.name))
        assert user is not None and user.password_hash.startswith("$argon2id$")
        stored = await session.scalars(select(StaffSession).where(StaffSession.user_id == user.id))
        token = http.cookies[SESSION_COOKIE]
        assert [s.token_hash for s in stored] == [token_hash(token)]  # only the hash is kept


async def test_with_https_the_session_cookie_is_secure(
    dashboard: Dashboard, caseworker: Account
) -> None:
    settings = make_settings(
        DATABASE_URL=dashboard.settings.database_url,
        DATA_DIR=str(dashboard.settings.data_dir),
        DASHBOARD_PORT=str(free_port()),
        DASHBOARD_HTTPS="true",
    )
    async with (
        dashboard_running(settings),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.dashboard_port}") as client,
    ):
        # httpx would not send a Secure cookie over http, so sign in by hand
        form = await client.get("/login")
        response = await client.post(
            "/login",
            data={
                "name": caseworker.name,
                "password": caseworker.password,
                "csrf_token": csrf_in(form.text),
            },
            headers={"Cookie": f"gk_login_csrf={form.cookies['gk_login_csrf']}"},
        )
        assert response.status_code == 303
        assert "secure" in _set_cookie(response, SESSION_COOKIE).lower()
        assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_signing_in_starts_a_new_session_and_drops_the_old_one(
    dashboard: Dashboard, http: httpx.AsyncClient, caseworker: Account
) -> None:
    form = csrf_in((await http.get("/login")).text)
    login = {"name": caseworker.name, "password": caseworker.password, "csrf_token": form}
    await http.post("/login", data=login)
    first = http.cookies[SESSION_COOKIE]
    await http.post("/login", data=login)  # e.g. a second tab; the first cookie is sent along
    second = http.cookies[SESSION_COOKIE]
    assert first != second
    assert (await http.get("/queue")).status_code == 200
    async with httpx.AsyncClient(base_url=dashboard.url) as other:
        old = await other.get("/queue", headers={"Cookie": f"{SESSION_COOKIE}={first}"})
    assert old.status_code == 303 and old.headers["location"].startswith("/login")


async def test_after_sign_in_only_paths_on_this_site_are_followed(
    dashboard: Dashboard, http: httpx.AsyncClient, caseworker: Account
) -> None:
    for target, expected in [
        ("/cases/1", "/cases/1"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
    ]:
        http.cookies.delete(SESSION_COOKIE)  # signed out, so the sign-in form is shown
        form = csrf_in((await http.get("/login")).text)
        login = {"name": caseworker.name, "password": caseworker.password, "csrf_token": form}
        response = await http.post("/login", data={**login, "next": target})
        assert response.status_code == 303 and response.headers["location"] == expected, target


async def test_an_idle_session_ends_and_sends_the_caseworker_to_sign_in(
    dashboard: Dashboard, http: httpx.AsyncClient, caseworker: Account
) -> None:
    await http_sign_in(http, caseworker)
    assert (await http.get("/queue")).status_code == 200
    idle = dashboard.settings.dashboard_idle_minutes + 1
    hashed = token_hash(http.cookies[SESSION_COOKIE])
    async with dashboard.sessions.begin() as session:
        await session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == hashed)
            .values(last_seen_at=utcnow() - dt.timedelta(minutes=idle))
        )
    expired = await http.get("/queue")
    assert expired.status_code == 303 and expired.headers["location"] == "/login?expired=1"
    polled = await http.get("/queue/live", headers={"HX-Request": "true"})
    assert polled.status_code == 401 and polled.headers["HX-Redirect"].startswith("/login")
    async with dashboard.sessions() as session:
        assert await session.get(StaffSession, hashed) is None


async def test_a_post_without_the_csrf_token_is_refused(
    dashboard: Dashboard, http: httpx.AsyncClient, caseworker: Account, chat_id: int
) -> None:
    opened = await open_case(dashboard, chat_id)
    await http_sign_in(http, caseworker)
    page = await http.get(f"/cases/{opened.id}")
    token = csrf_in(page.text)
    claim = f"/cases/{opened.id}/claim"
    assert (await http.post(claim)).status_code == 403
    assert (await http.post(claim, data={"csrf_token": "forged"})).status_code == 403
    assert (await http.post("/logout")).status_code == 403
    assert (await http.post("/login", data={"name": "x", "password": "y"})).status_code == 403
    async with dashboard.sessions() as session:
        assert (await session.get(type(opened), opened.id)).assignee is None  # type: ignore[union-attr]
    accepted = await http.post(claim, headers={"X-CSRF-Token": token})  # the htmx way
    assert accepted.status_code == 303 and accepted.headers["location"].endswith("notice=claimed")
    # a form without its fields: a plain 400 page, never the input echoed back
    malformed = await http.post(f"/cases/{opened.id}/reply", headers={"X-CSRF-Token": token})
    assert malformed.status_code == 400 and malformed.headers["content-type"].startswith(
        "text/html"
    )
