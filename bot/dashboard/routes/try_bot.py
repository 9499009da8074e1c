"""Try the bot: an editor types a question and sees what the bot would answer.

Through the same NLU as the bot (Rasa's `POST /model/parse` with the token): intent,
confidence, the ranking and the content key, and the answer rendered by the bot's own
renderer, shown as Telegram shows it. Parsing writes no tracker and this page stores
nothing, so no conversation is recorded and no real user's data is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.content.store import ContentStore
from bot.dashboard.deps import SettingsDep, render
from bot.dashboard.routes.content import EditorDep, StoreDep
from bot.dashboard.telegram_preview import preview_markup
from bot.i18n.bidi import for_language, is_rtl
from bot.languages import LANGUAGES, detect_language
from bot.rasa.client import RasaClient, RasaError, RasaUnavailable
from bot.replies.compose import answer

router = APIRouter()

RANKING = 5
MAX_QUESTION = 1000


@dataclass(frozen=True)
class Candidate:
    intent: str
    confidence: float
    key: str | None


@dataclass(frozen=True)
class Understood:
    """What the NLU made of a question and what the bot would answer."""

    intent: Candidate
    ranking: list[Candidate]
    language: str
    detected: bool
    answer_html: Any = None  # safe markup of the Telegram message, or None (no content key)
    buttons: tuple[tuple[str, ...], ...] = ()


def key_of(store: ContentStore, intent: str) -> str | None:
    if not intent.startswith("ask_"):
        return None
    return store.catalog.full_key_for(intent.removeprefix("ask_"))


def understood(store: ContentStore, parsed: dict[str, Any], text: str, language: str) -> Understood:
    def candidate(item: dict[str, Any]) -> Candidate:
        name = str(item.get("name") or "")
        return Candidate(name, float(item.get("confidence") or 0.0), key_of(store, name))

    detected = language not in LANGUAGES
    if detected:
        language = detect_language(text) or "de"
    top = candidate(parsed.get("intent") or {})
    ranking = [candidate(i) for i in (parsed.get("intent_ranking") or [])[:RANKING]]
    reply = answer(store, top.key, language) if top.key else None
    if reply is None:
        return Understood(top, ranking, language, detected)
    return Understood(
        top,
        ranking,
        language,
        detected,
        preview_markup(for_language(reply.text, language)),
        tuple(tuple(b.text for b in row) for row in reply.buttons),
    )


@router.get("/try")
async def try_page(request: Request, me: EditorDep) -> Response:
    context = {"languages": LANGUAGES, "result": None, "problem": "", "question": "", "chosen": ""}
    return render(request, "try_bot.html", {**context, "rtl": False}, me)


@router.post("/try")
async def try_question(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    settings: SettingsDep,
    question: Annotated[str, Form(max_length=MAX_QUESTION)],
    language: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """The result part of the page (htmx), or the whole page without JavaScript."""
    problem = ""
    result = None
    client = RasaClient(settings.rasa_url, settings.rasa_token)
    try:
        parsed = await client.parse(" ".join(question.split()))
        result = understood(store, parsed, question, language)
    except (RasaUnavailable, RasaError):
        problem = "try.rasa_unavailable"
    finally:
        await client.close()
    context = {
        "languages": LANGUAGES,
        "result": result,
        "problem": problem,
        "question": question,
        "chosen": language,
        "rtl": is_rtl(result.language) if result else False,
    }
    template = "_try_result.html" if request.headers.get("HX-Request") else "try_bot.html"
    return render(request, template, context, me)
