"""Logging for every process of the assistant.

Why a module: Bot API URLs contain the token, so the HTTP client loggers must stay quiet,
and message texts never go into application logs (only pseudonyms, keys and counts).
"""

from __future__ import annotations

import logging

_QUIET = (
    "httpx",
    "httpcore",
    "telegram.ext.Updater",
    "apscheduler",
    "sanic.access",
    "alembic.runtime.plugins",
    "uvicorn.error",  # start-up chatter; errors (WARNING and up) still show
)


def setup_logging(level: str = "INFO") -> None:
    """Plain one-line logs on stderr; noisy or token-leaking libraries at WARNING."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        force=True,
    )
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
