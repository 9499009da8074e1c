"""Logging for every process of the assistant.

Why a module: logs must never contain message texts, chat ids or secrets, at any LOG_LEVEL.
Our own code logs only pseudonyms, keys and counts; the libraries below log more at DEBUG
(python-telegram-bot every Bot API call with its parameters and results, i.e. texts and chat
ids, and the Bot API URL with the token; httpx every request URL, which carries the bot token
and Rasa's `?token=` even at INFO; aiosqlite every statement with its parameters; SQLAlchemy
every result row), so they are capped here whatever LOG_LEVEL says. SQLAlchemy's statements
and errors hide their parameters (`hide_parameters` in bot/db/engine.py).
tests/test_log_privacy.py proves it end to end.

The log files under data/logs (Rasa's, the action server's) hold pseudonyms, so they are
rotated and aged out after RETENTION_DAYS like the conversations (`keep_log_files`).
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import shutil
import time
from pathlib import Path

# Logger name -> the most verbose level it may ever have.
_CAPPED = {
    "telegram": logging.INFO,
    "telegram.ext": logging.INFO,
    "httpx": logging.WARNING,  # logs request URLs (tokens) at INFO
    "httpcore": logging.WARNING,
    "aiosqlite": logging.INFO,  # logs every statement with its parameters at DEBUG
    # INFO would switch on statement logging (echo) and cost ~5 % of the bot's CPU.
    "sqlalchemy.engine": logging.WARNING,
    "telegram.ext.Updater": logging.WARNING,
    "apscheduler": logging.WARNING,
    "sanic.access": logging.WARNING,
    "alembic.runtime.plugins": logging.WARNING,
    "uvicorn.error": logging.WARNING,  # start-up chatter; errors (WARNING and up) still show
}


def cap_library_loggers() -> None:
    """Hold the libraries that could leak texts, chat ids or tokens at their safe level.

    Never louder than the root level either: a logger's own level overrides the root's, so
    capping `telegram` at INFO must not make it chattier under LOG_LEVEL=WARNING.
    """
    root = logging.getLogger().getEffectiveLevel()
    for name, level in _CAPPED.items():
        logging.getLogger(name).setLevel(max(level, root))


def setup_logging(level: str = "INFO") -> None:
    """Plain one-line logs on stderr; talkative or token-leaking libraries capped."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        force=True,
    )
    cap_library_loggers()


# --- log files under data/logs -------------------------------------------------------------
# Rasa and the action server write there (and the bot's stderr, if the operator sends it
# there). They carry pseudonyms, so they age out like conversations: copied away and
# truncated when big and once a day, and the copies deleted after RETENTION_DAYS.
# Copy-and-truncate, not rename: the children hold their log open with O_APPEND, so after
# the truncation they simply go on writing at the start of the same file.

LOG_MAX_BYTES = 20 * 1024 * 1024
LOG_CHECK_INTERVAL = 600.0  # seconds between size checks
DAY = 24 * 3600.0


def _rotated_name(log: Path, now: float) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    target = log.with_name(f"{log.name}.{stamp}.gz")
    suffix = 1
    while target.exists():
        target = log.with_name(f"{log.name}.{stamp}-{suffix}.gz")
        suffix += 1
    return target


def rotate_log(log: Path, now: float | None = None) -> Path:
    """Copy `log` into a gzip file next to it and empty it; returns the copy."""
    target = _rotated_name(log, time.time() if now is None else now)
    with log.open("rb") as source, gzip.open(target, "wb") as copy:
        shutil.copyfileobj(source, copy)
    with log.open("r+b") as truncate:
        truncate.truncate(0)
    return target


def tidy_log_files(
    folder: Path, retention_days: int, every: bool, max_bytes: int = LOG_MAX_BYTES
) -> None:
    """Rotate each `*.log` over `max_bytes` (with `every`: each non-empty one), and delete
    rotated copies older than `retention_days`. Blocking: call it in a thread."""
    if not folder.is_dir():
        return
    now = time.time()
    for log in sorted(folder.glob("*.log")):
        size = log.stat().st_size
        if size > max_bytes or (every and size > 0):
            rotate_log(log, now)
    horizon = now - retention_days * DAY
    for rotated in folder.glob("*.log.*.gz"):
        if rotated.stat().st_mtime < horizon:
            rotated.unlink(missing_ok=True)
            logging.getLogger(__name__).info("deleted the expired log file %s", rotated.name)


async def keep_log_files(folder: Path, retention_days: int) -> None:
    """Forever: rotate by size every few minutes, rotate all and age out once a day.

    The first pass (at start) is a daily one.
    """
    last_daily = -DAY
    while True:
        every = time.monotonic() - last_daily >= DAY
        try:
            await asyncio.to_thread(tidy_log_files, folder, retention_days, every)
        except OSError:
            logging.getLogger(__name__).exception("tidying the log files in %s failed", folder)
        if every:
            last_daily = time.monotonic()
        await asyncio.sleep(LOG_CHECK_INTERVAL)
