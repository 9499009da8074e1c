"""The one translation function for every user-facing string: `t(key, language, **params)`.

Strings live in `bot/i18n/<lang>.yml` and are Telegram HTML. Parameters are escaped here,
so user text (a case description, a name) can never inject markup. A missing string falls
back to English, then German — the user always gets a sentence, never a key.
"""

from __future__ import annotations

import datetime as dt
import html
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from babel import dates as babel_dates

STRINGS_DIR = Path(__file__).parent
FALLBACK_CHAIN = ("en", "de")
BABEL_LOCALES = {"fa": "fa_AF"}  # Dari (Afghanistan) month names; Persian script either way


@cache
def _strings(language: str) -> dict[str, str]:
    path = STRINGS_DIR / f"{language}.yml"
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in raw.items()}


@cache
def available_languages() -> tuple[str, ...]:
    """Languages with bot strings, in file-name order (each is checked complete by the tests)."""
    return tuple(sorted(p.stem for p in STRINGS_DIR.glob("*.yml")))


def has_language(language: str) -> bool:
    return bool(_strings(language))


def t(key: str, language: str, **params: object) -> str:
    """The string `key` in `language`, with escaped `params` filled in."""
    template = None
    for lang in (language, *FALLBACK_CHAIN):
        template = _strings(lang).get(key)
        if template is not None:
            break
    if template is None:
        raise KeyError(f"no bot string '{key}' in any language")
    if not params:
        return template
    safe = {name: html.escape(str(value), quote=True) for name, value in params.items()}
    return template.format(**safe)


def t_markup(key: str, language: str, **params: str) -> str:
    """Like `t`, for parameters that are already safe Telegram HTML (built by our code)."""
    template = t(key, language)
    return template.format(**params)


def _locale(language: str) -> str:
    return BABEL_LOCALES.get(language, language)


def format_date(value: dt.date, language: str) -> str:
    """A date as people of that language write it (month names in their language)."""
    try:
        return babel_dates.format_date(value, format="long", locale=_locale(language))
    except (ValueError, LookupError):
        return value.isoformat()


def format_datetime(value: dt.datetime, language: str, timezone: str) -> str:
    """Weekday, date and time in the staff's time zone, e.g. for 'someone looks at it …'."""
    try:
        return babel_dates.format_datetime(
            value, format="EEEE d MMMM, HH:mm", tzinfo=ZoneInfo(timezone), locale=_locale(language)
        )
    except (ValueError, LookupError):
        return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def format_duration(value: dt.timedelta, language: str) -> str:
    """A rough duration ("2 days", "5 hours") in the user's language."""
    try:
        return babel_dates.format_timedelta(
            value, threshold=1.5, format="long", locale=_locale(language)
        )
    except (ValueError, LookupError):
        return f"{round(value.total_seconds() / 3600)} h"
