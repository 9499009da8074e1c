"""Reading PTB's errors the same way everywhere."""

from __future__ import annotations

import datetime as dt

from telegram.error import RetryAfter


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's `retry_after`, in seconds (PTB gives an int or a timedelta)."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
