"""Masking of phone numbers and e-mail addresses in text that leaves the database.

Why: users write contact details into ordinary questions ("call me at 0151 …"). Anything an
editor exports must not carry them. The patterns are deliberately narrow: a phone number
starts with `+`, `0` or `(0` and has at least seven digits, so dates (26.11.2026,
2026-11-26, 01/12/2026), case numbers (GK-00012), § numbers, postcodes and prices stay
readable for the editors who need them to understand a question.
"""

from __future__ import annotations

import re

PHONE_MARK = "[phone]"
EMAIL_MARK = "[e-mail]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Starts with +<digit>, 0 or (0; then digits, spaces, brackets, slashes and hyphens; ends on
# a digit. Not preceded by a word character, hyphen or slash (GK-00012, 12/0151…).
_PHONE = re.compile(r"(?<![\w\-/+])(?:\+\d|\(0|0)[\d \u00a0()/\-]{4,}\d(?!\w)")
_DATE = re.compile(r"\(?\d{1,2}[-/]\d{1,2}[-/]\d{2,4}")
_MIN_DIGITS = 7


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(c.isdigit() for c in found)
    if digits < _MIN_DIGITS or _DATE.fullmatch(found):
        return found
    return PHONE_MARK


def mask_contacts(text: str) -> str:
    """The text with every e-mail address and phone number replaced by a marker."""
    return _PHONE.sub(_phone, _EMAIL.sub(EMAIL_MARK, text))
