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

from typing import Protocol

GERMAN = "de"


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
