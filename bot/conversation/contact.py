"""A contact detail the user types for a case: a phone number or an e-mail address, or nothing.

Anything else (a question, a sentence, a name) is refused, so a case never carries a question
as its contact; the user is asked again and can cancel (Telegram stays the default).
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+$")
_PHONE = re.compile(r"^\+?[0-9 ()/\-.]{6,24}$")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 6, 15  # E.164 has at most 15 digits


def normalised_contact(text: str) -> str | None:
    """The phone number or e-mail address in `text`, tidied, or None if it is neither."""
    value = " ".join(text.split())
    if _EMAIL.match(value) and ".." not in value:
        return value.lower()
    if _PHONE.match(value):
        digits = sum(ch.isdigit() for ch in value)
        if MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS and value.count("+") <= 1:
            return value
    return None
