"""How urgent a case is, from what the conversation said: a deadline or rejection the bot
recognised, and a date the user gave ("Frist bis 12.12.", "until 3 December")."""

from __future__ import annotations

import datetime as dt
import re

NORMAL, INDIVIDUAL, URGENT = 0, 1, 2
URGENT_SOON = dt.timedelta(days=14)  # a deadline within two weeks makes a case urgent

_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})\.?(?:[./](\d{2,4}))?(?![\d/.]\d)")
_ISO = re.compile(r"(?<!\d)(20\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
_MONTHS = {
    # German, English, French, Turkish month names (their first letters suffice)
    "jan": 1, "januar": 1, "january": 1, "janvier": 1, "ocak": 1,
    "feb": 2, "februar": 2, "february": 2, "février": 2, "fevrier": 2, "şubat": 2,
    "mär": 3, "märz": 3, "maerz": 3, "mar": 3, "march": 3, "mars": 3, "mart": 3,
    "apr": 4, "april": 4, "avril": 4, "nisan": 4,
    "mai": 5, "may": 5, "mayıs": 5,
    "jun": 6, "juni": 6, "june": 6, "juin": 6, "haziran": 6,
    "jul": 7, "juli": 7, "july": 7, "juillet": 7, "temmuz": 7,
    "aug": 8, "august": 8, "août": 8, "aout": 8, "ağustos": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9, "eylül": 9,
    "okt": 10, "oct": 10, "oktober": 10, "october": 10, "octobre": 10, "ekim": 10,
    "nov": 11, "november": 11, "novembre": 11, "kasım": 11,
    "dez": 12, "dec": 12, "dezember": 12, "december": 12, "décembre": 12, "aralık": 12,
}  # fmt: skip
_NAMED = re.compile(r"(?<!\d)(\d{1,2})\.?\s+([^\W\d_]{3,10})\.?(?:\s+(\d{4}))?", re.UNICODE)


def _future_date(year: int | None, month: int, day: int, today: dt.date) -> dt.date | None:
    if year is not None and year < 100:
        year += 2000
    try:
        candidate = dt.date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and candidate < today - dt.timedelta(days=31):
        candidate = candidate.replace(year=today.year + 1)  # "12.1." said in December
    if candidate < today - dt.timedelta(days=31) or candidate > today + dt.timedelta(days=366):
        return None  # a birthday or an old letter's date, not a deadline
    return candidate


def find_dates(text: str, today: dt.date) -> list[dt.date]:
    """Plausible dates near `today` in free text, in the order they appear."""
    found: list[tuple[int, dt.date]] = []
    for match in _ISO.finditer(text):
        date = _future_date(int(match[1]), int(match[2]), int(match[3]), today)
        if date:
            found.append((match.start(), date))
    for match in _NUMERIC.finditer(text):
        year = int(match[3]) if match[3] else None
        date = _future_date(year, int(match[2]), int(match[1]), today)
        if date:
            found.append((match.start(), date))
    for match in _NAMED.finditer(text):
        month = _MONTHS.get(match[2].lower())
        if month:
            date = _future_date(int(match[3]) if match[3] else None, month, int(match[1]), today)
            if date:
                found.append((match.start(), date))
    return [date for _, date in sorted(found)]


def deadline_in(text: str, today: dt.date) -> dt.date | None:
    """The earliest date from today on that the user mentioned: the likely deadline."""
    upcoming = [date for date in find_dates(text, today) if date >= today]
    return min(upcoming) if upcoming else None


def urgency_for(reason: str, deadline: dt.date | None, today: dt.date) -> int:
    """URGENT for a recognised deadline/rejection or a date within two weeks, else by reason."""
    if reason == "urgent" or (deadline is not None and deadline - today <= URGENT_SOON):
        return URGENT
    if deadline is not None or reason in {"unclear", "feedback", "attachment", "gap"}:
        return INDIVIDUAL
    return NORMAL
