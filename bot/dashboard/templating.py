"""Jinja2 for the dashboard: autoescape on for everything, and the filters the pages need.

User text is only ever printed as `{{ text }}` (escaped); no template marks user data safe.
Bot messages in a transcript are Telegram HTML of our own making, so they are turned into
plain text (`plain`) and then escaped like everything else.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import jinja2
from fastapi.templating import Jinja2Templates

from bot.content.markup import to_plain_text
from bot.dashboard.i18n import UiText
from bot.storage.cases import aware, case_number

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Waiting-time colours: (up to this age, css class); the last one is everything older.
WAIT_STEPS = (
    (dt.timedelta(hours=1), "wait-0"),
    (dt.timedelta(hours=4), "wait-1"),
    (dt.timedelta(hours=24), "wait-2"),
    (dt.timedelta(hours=48), "wait-3"),
)


def duration(delta: dt.timedelta, text: UiText) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return text("duration.minutes", n=minutes)
    if minutes < 48 * 60:
        return text("duration.hours", n=minutes // 60)
    return text("duration.days", n=minutes // (24 * 60))


def wait_class(delta: dt.timedelta) -> str:
    for limit, css in WAIT_STEPS:
        if delta < limit:
            return css
    return "wait-4"


class Clock:
    """Times shown in the office's time zone, in the format of the staff member's language."""

    FORMATS: ClassVar[dict[str, str]] = {"de": "%d.%m.%Y %H:%M", "en": "%Y-%m-%d %H:%M"}
    DATE_FORMATS: ClassVar[dict[str, str]] = {"de": "%d.%m.%Y", "en": "%Y-%m-%d"}

    def __init__(self, timezone: str, language: str, now: dt.datetime) -> None:
        self.zone = ZoneInfo(timezone)
        self.language = language
        self.now = now

    def time(self, value: dt.datetime | None) -> str:
        if value is None:
            return "–"
        return aware(value).astimezone(self.zone).strftime(self.FORMATS[self.language])

    def iso(self, value: dt.datetime) -> str:
        return aware(value).isoformat(timespec="seconds")

    def date(self, value: dt.date | None) -> str:
        return value.strftime(self.DATE_FORMATS[self.language]) if value else "–"

    def since(self, value: dt.datetime) -> dt.timedelta:
        return self.now - aware(value)


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["case_no"] = case_number
    env.filters["plain"] = to_plain_text
    env.filters["wait_class"] = wait_class
    env.globals["duration"] = duration
    return Jinja2Templates(env=env)
