"""The caseworker dashboard as an ASGI app: `create_app(settings)`.

Server-rendered pages (Jinja2, autoescape) with htmx polling for live parts; no inline
script anywhere, so the Content-Security-Policy can forbid it. The app has its own database
engine and shares nothing with the bot but the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.cases.desk import CaseDesk
from bot.config import Settings
from bot.dashboard.deps import LoginRequired, check_csrf, optional_staff, render
from bot.dashboard.routes import (
    admin,
    attachments,
    auth,
    case_actions,
    cases,
    content,
    gaps,
    queue,
    reply_translation,
    reports,
    teach,
    try_bot,
)
from bot.dashboard.templating import make_templates
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.rasa.trainer import Trainer
from bot.translation import NoTranslator, Translator
from bot.translation.service import build_translator, close_translator

STATIC_DIR = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers on every response; pages with case data are never stored by the browser."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"same-origin",
                    b"x-frame-options": b"DENY",
                    b"cross-origin-opener-policy": b"same-origin",
                }
                if not static:
                    extra[b"cache-control"] = b"no-store"
                if self.https:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def _login_required(request: Request, exc: Exception) -> Response:
    expired = isinstance(exc, LoginRequired) and exc.expired
    target = "/login?expired=1" if expired else "/login"
    if request.method == "GET" and not expired and request.url.path != "/":
        target = f"/login?next={quote(request.url.path)}"
    if request.headers.get("HX-Request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    key = {403: "error.forbidden", 404: "error.not_found"}.get(status, "error.general")
    if status == 403 and isinstance(exc, StarletteHTTPException) and exc.detail == "csrf":
        key = "error.csrf"
    signed_in = await optional_staff(request)
    return render(request, "error.html", {"message_key": key}, signed_in, status_code=status)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """A malformed form (e.g. a missing field): a plain 400 page, never the input echoed."""
    return await _http_error(request, StarletteHTTPException(status_code=400))


def create_app(settings: Settings, translator: Translator | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_async_engine(settings.database_url)
        app.state.sessions = make_sessionmaker(engine)
        app.state.desk = CaseDesk(app.state.sessions)
        app.state.trainer = Trainer(settings, app.state.sessions)  # retrains after teaching
        await app.state.trainer.resume()
        if translator is None:  # the one TRANSLATOR asks for, with its cache in our database
            app.state.translator = build_translator(settings, app.state.sessions)
        try:
            yield
        finally:
            await app.state.trainer.close()
            if translator is None:
                await close_translator(app.state.translator)
            content = getattr(app.state, "content", None)  # made by the first editors' page
            if content is not None:
                content.close()
            await engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf)],
    )
    app.state.settings = settings
    app.state.translator = translator or NoTranslator()
    app.state.templates = make_templates()
    app.add_middleware(SecurityHeaders, https=settings.dashboard_https)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        auth,
        queue,
        cases,
        case_actions,
        reply_translation,
        attachments,
        admin,
        content,
        gaps,
        reports,
        teach,
        try_bot,
    ):
        app.include_router(module.router)
    return app
