"""The editors' pages: every answer's state (matrix), and one answer to edit and publish.

Editors and administrators only. A publish saves a revision (the database overlay over
content/, see `bot.content.overlay`) after the same checks as `content check`; the bot and
the action server pick it up within CONTENT_REFRESH_SECONDS, without a restart.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from bot.config import Settings
from bot.content import editing
from bot.content.live import LiveContent, live_content
from bot.content.overlay import add_revision, history
from bot.content.store import REVIEW_STATUSES, SOURCE_LANGUAGE, ContentEntry, ContentStore
from bot.dashboard.deps import DbDep, SettingsDep, SignedIn, render, require_staff
from bot.dashboard.telegram_preview import preview_markup
from bot.i18n.bidi import is_rtl
from bot.languages import LANGUAGES
from bot.storage import audit

router = APIRouter()

EDITOR_ROLES = frozenset({"editor", "admin"})
MAX_BODY = 20_000


async def require_editor(request: Request) -> SignedIn:
    found = await require_staff(request)
    if found.user.role not in EDITOR_ROLES:
        raise HTTPException(status_code=403)
    return found


EditorDep = Annotated[SignedIn, Depends(require_editor)]


async def published(request: Request) -> ContentStore:
    """The published store, checked against the database on every page (one cheap query)."""
    state = request.app.state
    live: LiveContent | None = getattr(state, "content", None)
    if live is None:
        live = await asyncio.to_thread(live_content, state.settings)
        state.content = live
    await asyncio.to_thread(live.refresh)
    return live.current()


StoreDep = Annotated[ContentStore, Depends(published)]


def _today(request: Request) -> dt.date:
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def _known(store: ContentStore, key: str, language: str) -> None:
    if key not in store.catalog.full_keys or language not in LANGUAGES:
        raise HTTPException(status_code=404)


@router.get("/content")
async def matrix_page(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    settings: SettingsDep,
    topic: Annotated[str, Query(max_length=40)] = "",
    language: Annotated[str, Query(max_length=8)] = "",
    state: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    today = _today(request)
    topic = topic if topic in store.catalog.topics else ""
    shown = editing.matrix(store, today, settings.review_max_age, topic, language, state)
    return render(
        request,
        "content_matrix.html",
        {
            "m": shown,
            "today": today,
            "titles": {k: store.title(k, SOURCE_LANGUAGE) for k in shown.keys},
            "topics": list(store.catalog.topics),
            "languages": LANGUAGES,
            "states": editing.STATES,
            "filters": {"topic": topic, "language": language, "state": state},
            "max_age_days": settings.review_max_age.days,
        },
        me,
    )


def _entry_context(
    request: Request,
    store: ContentStore,
    key: str,
    language: str,
    settings: SettingsDep,
) -> dict[str, object]:
    today = _today(request)
    entry = store.get(key, language)
    entry = entry if entry is not None and entry.language == language else None
    german = store.get(key, SOURCE_LANGUAGE)
    return {
        "key": key,
        "language": language,
        "entry": entry,
        "german": german,
        "cell": editing.cell_of(store, key, language, today, settings.review_max_age),
        "cells": [
            editing.cell_of(store, key, lang, today, settings.review_max_age) for lang in LANGUAGES
        ],
        "rtl": is_rtl(language),
        "languages": LANGUAGES,
        "statuses": REVIEW_STATUSES,
        "today": today,
    }


def _form(entry: ContentEntry | None, german: ContentEntry | None) -> dict[str, object]:
    """The form as saved; a missing translation starts empty, with the German sources."""
    if entry is not None:
        return {
            "title": entry.title,
            "body": entry.body,
            "sources": "\n".join(entry.sources),
            "status": entry.status,
            "needs_local_review": entry.needs_local_review,
        }
    return {
        "title": "",
        "body": "",
        "sources": "\n".join(german.sources) if german else "",
        "status": "draft",
        "needs_local_review": german.needs_local_review if german else False,
    }


@router.get("/content/{key}/{language}")
async def entry_page(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    db: DbDep,
    settings: SettingsDep,
    key: str,
    language: str,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    _known(store, key, language)
    context = _entry_context(request, store, key, language, settings)
    return render(
        request,
        "content_entry.html",
        {
            **context,
            "form": _form(context["entry"], context["german"]),  # type: ignore[arg-type]
            "history": await history(db, key),
            "done": done,
            "findings": None,
            "preview": None,
        },
        me,
    )


def _draft(
    title: str, body: str, sources: str, status: str, needs_local_review: str | None
) -> editing.Draft:
    return editing.Draft(
        title=title,
        body=body,
        sources=tuple(line.strip() for line in sources.splitlines() if line.strip()),
        status=status if status in REVIEW_STATUSES else "draft",
        needs_local_review=bool(needs_local_review),
    )


FormText = Annotated[str, Form(max_length=MAX_BODY)]
FormLine = Annotated[str, Form(max_length=300)]


@router.post("/content/{key}/{language}/preview")
async def preview(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    settings: SettingsDep,
    key: str,
    language: str,
    title: FormLine,
    body: FormText,
    sources: FormText = "",
    status: Annotated[str, Form(max_length=16)] = "draft",
    needs_local_review: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    """The draft as Telegram will show it, with the checks; nothing is saved."""
    _known(store, key, language)
    today = _today(request)
    draft = _draft(title, body, sources, status, needs_local_review)
    found = _checked(store, settings, key, language, draft, today)
    return render(
        request,
        "_content_preview.html",
        {
            "preview": _preview(found),
            "findings": found.findings,
            "rtl": is_rtl(language),
            "language": language,
        },
        me,
    )


def _checked(
    store: ContentStore,
    settings: Settings,
    key: str,
    language: str,
    draft: editing.Draft,
    today: dt.date,
) -> editing.Candidate:
    """The draft as the file it would become, rendered and checked like `content check`."""
    text = editing.draft_text(store, key, language, draft, today)
    return editing.candidate(
        store, settings.content_dir, key, language, text, today, settings.review_max_age
    )


def _preview(found: editing.Candidate) -> dict[str, object] | None:
    if found.reply is None:
        return None
    return {
        "html": preview_markup(found.telegram_html),
        "buttons": [[button.text for button in row] for row in found.reply.buttons],
    }


@router.post("/content/{key}/{language}/publish")
async def publish(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    db: DbDep,
    settings: SettingsDep,
    key: str,
    language: str,
    title: FormLine,
    body: FormText,
    sources: FormText = "",
    status: Annotated[str, Form(max_length=16)] = "draft",
    needs_local_review: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    """Checked like `content check`; refused with the findings when there are errors."""
    _known(store, key, language)
    today = _today(request)
    draft = _draft(title, body, sources, status, needs_local_review)
    found = _checked(store, settings, key, language, draft, today)
    if found.errors:
        context = _entry_context(request, store, key, language, settings)
        form = {
            "title": title,
            "body": body,
            "sources": sources,
            "status": draft.status,
            "needs_local_review": draft.needs_local_review,
        }
        return render(
            request,
            "content_entry.html",
            {
                **context,
                "form": form,
                "history": await history(db, key),
                "done": "",
                "findings": found.findings,
                "preview": _preview(found),
            },
            me,
            status_code=422,
        )
    add_revision(db, key, language, found.text, "edit", me.user.id, me.user.display_name)
    audit.record(db, me.user.name, "content_publish", detail=f"{key} {language}")
    await db.commit()
    return RedirectResponse(f"/content/{key}/{language}?done=published", status_code=303)


@router.post("/content/{key}/still-valid")
async def still_valid(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    db: DbDep,
    key: str,
    language: Annotated[str, Form(max_length=8)] = SOURCE_LANGUAGE,
) -> Response:
    """Reviewed today: the German and every translation of today's German text."""
    _known(store, key, language)
    texts = editing.still_valid_texts(store, key, _today(request))
    if not texts:
        raise HTTPException(status_code=404)
    for lang, text in texts.items():
        add_revision(db, key, lang, text, "still_valid", me.user.id, me.user.display_name)
    audit.record(db, me.user.name, "content_still_valid", detail=f"{key} {len(texts)}")
    await db.commit()
    return RedirectResponse(f"/content/{key}/{language}?done=still_valid", status_code=303)
