"""Which language to answer in.

A language the user chose with /language is kept. Otherwise the message's own language
wins (people switch), then what we knew before, then the Telegram app's language, then the
default. We answer in that language if we have bot strings for it, else in the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import FALLBACK_CHAIN, has_language
from bot.languages import LANGUAGES, detect_language


@dataclass(frozen=True)
class LanguageChoice:
    user_language: str  # the user's language, even if we cannot write it yet
    reply_language: str  # the language we answer in
    changed: bool  # the user's language differs from what we had stored


def choose_language(
    text: str,
    stored: str | None,
    chosen: bool,
    client_language: str | None,
    default: str,
) -> LanguageChoice:
    if chosen and stored:
        user_language = stored
    else:
        client = (client_language or "")[:2].lower()
        user_language = (
            (detect_language(text) if text else None)
            or stored
            or (client if client in LANGUAGES else None)
            or default
        )
    reply_language = user_language if has_language(user_language) else FALLBACK_CHAIN[0]
    return LanguageChoice(user_language, reply_language, user_language != stored)
