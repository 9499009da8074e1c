"""Translating a caseworker's draft reply into the user's language, for checking before sending.

The caseworker writes German and asks for a translation; the case page gets an editable box
with it (htmx fragment). What stands in that box when the reply is sent is what the user
receives (`sent_text`), marked as machine-translated, with the German original one tap away
(`CaseDesk.reply`). The German the box was made from is sent along (`translated_from`), so a
German text changed after translating is noticed instead of sent with a stale translation.
Nothing here is stored or audited: only sending is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from bot.dashboard.deps import CaseworkerDep, DbDep, TranslatorDep, render
from bot.db.models import Case
from bot.languages import LANGUAGES
from bot.translation import GERMAN

router = APIRouter(prefix="/cases/{case_id}")


@router.post("/reply/translation")
async def translate_reply(
    request: Request,
    case_id: int,
    me: CaseworkerDep,
    db: DbDep,
    translator: TranslatorDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    found = await db.get(Case, case_id)
    if found is None:
        raise HTTPException(status_code=404)
    german = text.strip()
    translation = None
    if german and found.language != GERMAN:
        translation = await translator.translate(german, GERMAN, found.language)
    language = LANGUAGES.get(found.language)
    context = {
        "case": found,
        "german": german,
        "translation": translation,
        "language_name": language.native_name if language else found.language,
        "rtl": bool(language and language.rtl),
    }
    return render(request, "_reply_translation.html", context, me)
