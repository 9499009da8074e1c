"""Machine translation where people talk to people (caseworker <-> user), and content drafts.

The product talks to a `Translator`: `translate(text, source, target)` gives the text in
`target`, or None when no translation can be had right now. It never raises and never makes
a caller wait longer than a few seconds, so callers always keep and show the original and use
a translation only as an extra. `TRANSLATOR=none` (the default) gives `NoTranslator`;
`TRANSLATOR=googletrans` gives `MachineTranslator` (bot/translation/service.py): a database
cache, a timeout and a rest after failures in front of the googletrans backend
(bot/translation/google.py). `build_translator(settings, sessions)` picks one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

GERMAN = "de"
CONCURRENT_REQUESTS = 4


class Translator(Protocol):
    async def translate(self, text: str, source: str | None, target: str) -> str | None:
        """`text` in `target`, or None when no translation is available (never raises)."""


class NoTranslator:
    """The `none` backend: never translates."""

    async def translate(self, text: str, source: str | None, target: str) -> str | None:
        return None


async def to_german(translator: Translator, text: str, language: str | None) -> str | None:
    """The German translation of a user's message, or None when there is nothing to add.

    For callers that want a second look at a message in German (e.g. the NLU when it is unsure):
    None when the message is already German, empty, untranslatable right now, or came back
    unchanged (then classifying it again would only repeat the first answer).
    """
    if language == GERMAN or not text.strip():
        return None
    german = await translator.translate(text, language, GERMAN)
    if german is None or german.strip() == text.strip():
        return None
    return german


async def translate_all(
    translator: Translator, texts: Sequence[str], source: str | None, target: str
) -> list[str | None]:
    """Each text in `target` (None where there is none), a few at a time.

    A case page can hold dozens of messages: one after the other, uncached, they would add
    up; all at once, they would hammer the service. Cached ones return at once either way.
    """
    gate = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def one(text: str) -> str | None:
        async with gate:
            return await translator.translate(text, source, target)

    return list(await asyncio.gather(*(one(text) for text in texts)))
