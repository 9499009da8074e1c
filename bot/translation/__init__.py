"""Machine translation where people talk to people (caseworker <-> user).

This is the seam the multilingual work fills with a real backend (googletrans, with a cache
and a rest after failures). Until then `NoTranslator` is used and everything works
untranslated: callers must always keep and show the original text.
"""

from __future__ import annotations

from typing import Protocol


class Translator(Protocol):
    async def translate(self, text: str, source: str | None, target: str) -> str | None:
        """`text` in `target`, or None when no translation is available (never raises)."""


class NoTranslator:
    """The `none` backend: never translates."""

    async def translate(self, text: str, source: str | None, target: str) -> str | None:
        return None
