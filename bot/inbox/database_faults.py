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
    """Whether the database answered the last time anyone asked; logs only the changes."""

    def __init__(self) -> None:
        self.down = False

    def failed(self, exc: BaseException, where: str) -> None:
        if not self.down:
            logger.warning(
                "database not reachable (%s in %s); retrying with backoff, nothing is lost",
                fault_kind(exc),
                where,
            )
            self.down = True

    def ok(self) -> None:
        if self.down:
            logger.info("database reachable again")
            self.down = False


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
