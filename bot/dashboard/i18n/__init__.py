"""Words of the staff dashboard, in German (the default) and English.

Deliberately separate from `bot/i18n` (what the young people read): different readers,
different editors. A missing key falls back to German; a test keeps both files complete.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

STRINGS_DIR = Path(__file__).parent
UI_LANGUAGES = ("de", "en")
DEFAULT = "de"


@cache
def strings(language: str) -> dict[str, str]:
    path = STRINGS_DIR / f"{language}.yml"
    if language not in UI_LANGUAGES or not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): str(value) for key, value in raw.items()}


def ui_language(wanted: str | None) -> str:
    return wanted if wanted in UI_LANGUAGES else DEFAULT


class UiText:
    """`_("queue.title")` in templates and routes; parameters are filled in with format."""

    def __init__(self, language: str) -> None:
        self.language = ui_language(language)

    def __call__(self, key: str, **params: object) -> str:
        template = strings(self.language).get(key) or strings(DEFAULT).get(key) or key
        return template.format(**params) if params else template
