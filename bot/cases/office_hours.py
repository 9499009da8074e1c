"""Office hours (`OFFICE_HOURS`, e.g. `Mon-Fri 09:00-16:00; Sat 10:00-12:00`) in local time.

A case opened outside them gets one honest sentence on when someone will look at it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEGMENT = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


def _time(text: str) -> dt.time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        return dt.time(23, 59, 59)
    return dt.time(hours, minutes)


@dataclass(frozen=True)
class OfficeHours:
    """Opening windows per weekday (0 = Monday) in one time zone."""

    windows: dict[int, tuple[dt.time, dt.time]]
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, timezone: str = "Europe/Berlin") -> OfficeHours:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {timezone!r}") from exc
        windows: dict[int, tuple[dt.time, dt.time]] = {}
        for segment in re.split(r"[;,]", text.strip().lower()):
            segment = " ".join(segment.split())
            if not segment:
                continue
            match = _SEGMENT.match(segment)
            if (
                not match
                or match["first"] not in DAYS
                or (match["last"] and match["last"] not in DAYS)
            ):
                raise ValueError(
                    f"cannot read {segment!r}; write e.g. 'Mon-Fri 09:00-16:00; Sat 10:00-12:00'"
                )
            try:
                start, end = _time(match["start"]), _time(match["end"])
            except ValueError as exc:
                raise ValueError(f"a time in {segment!r} is not a time of day") from exc
            if end <= start:
                raise ValueError(f"in {segment!r} the end is not after the start")
            first = DAYS.index(match["first"])
            last = DAYS.index(match["last"] or match["first"])
            day = first
            while True:
                windows[day] = (start, end)
                if day == last:
                    break
                day = (day + 1) % 7
        if not windows:
            raise ValueError("no opening times given")
        return cls(windows, zone)

    def is_open(self, at: dt.datetime) -> bool:
        local = at.astimezone(self.zone)
        window = self.windows.get(local.weekday())
        return window is not None and window[0] <= local.time() < window[1]

    def next_opening(self, at: dt.datetime) -> dt.datetime:
        """The next moment staff are at work (`at` itself when open), in local time."""
        local = at.astimezone(self.zone)
        if self.is_open(local):
            return local
        for offset in range(8):
            day = local.date() + dt.timedelta(days=offset)
            window = self.windows.get(day.weekday())
            if window is None:
                continue
            start = dt.datetime.combine(day, window[0], tzinfo=self.zone)
            if start > local:
                return start
        raise AssertionError("office hours always open within a week")  # parse() ensures it
