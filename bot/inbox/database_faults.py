"""Database faults that heal: PostgreSQL restarting, SQLite busy, a dropped connection.

The poller, the inbox workers and the outbox sender retry such faults with backoff instead of
ending the process: every update is in the database or still on Telegram's side, so waiting
loses nothing. The log gets one WARNING when the database becomes unreachable and one INFO
when it answers again — with the kind of error only, never its text (that holds SQL and,
without `hide_parameters`, user texts).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

logger = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


def is_database_fault(exc: BaseException) -> bool:
    """An error of the database or its driver (connection lost, locked, restarting)."""
    return isinstance(exc, DBAPIError | DisconnectionError | PoolTimeout)


def fault_kind(exc: BaseException) -> str:
    """`OperationalError/AdminShutdown`: what went wrong, without any SQL or values."""
    original = getattr(exc, "orig", None)
    name = type(exc).__name__
    return f"{name}/{type(original).__name__}" if original is not None else name


class DatabaseHealth:
    """Which loops found the database unreachable; logs only when the first one fails and
    when the last one got through again (several loops share one process-wide log line)."""

    def __init__(self) -> None:
        self.failing: set[str] = set()

    @property
    def down(self) -> bool:
        return bool(self.failing)

    def failed(self, exc: BaseException, where: str) -> None:
        if not self.failing:
            logger.warning(
                "database not reachable (%s in %s); retrying with backoff, nothing is lost",
                fault_kind(exc),
                where,
            )
        self.failing.add(where)

    def ok(self, where: str) -> None:
        if where in self.failing:
            self.failing.discard(where)
            if not self.failing:
                logger.info("database reachable again")


# One per process: the poller, the workers and the sender share the one log line.
HEALTH = DatabaseHealth()


class Backoff:
    """0.5, 1, 2 … seconds, at most `MAX_BACKOFF`; back to the start after a success."""

    def __init__(self, first: float = 0.5, maximum: float = MAX_BACKOFF) -> None:
        self.first = first
        self.maximum = maximum
        self._next = first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.first
