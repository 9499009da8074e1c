"""Logging for every process of the assistant.

Why a module: logs must never contain message texts, chat ids or secrets, at any LOG_LEVEL.
Our own code logs only pseudonyms, keys and counts; the libraries below log more at DEBUG
(python-telegram-bot every Bot API call with its parameters and results, i.e. texts and chat
ids, and the Bot API URL with the token; httpx every request URL, which carries the bot token
and Rasa's `?token=` even at INFO; aiosqlite every statement with its parameters; SQLAlchemy
every result row), so they are capped here whatever LOG_LEVEL says. SQLAlchemy's statements
and errors hide their parameters (`hide_parameters` in bot/db/engine.py).
tests/test_log_privacy.py proves it end to end.
"""

from __future__ import annotations

import logging

# Logger name -> the most verbose level it may ever have.
_CAPPED = {
    "telegram": logging.INFO,
    "telegram.ext": logging.INFO,
    "httpx": logging.WARNING,  # logs request URLs (tokens) at INFO
    "httpcore": logging.WARNING,
    "aiosqlite": logging.INFO,  # logs every statement with its parameters at DEBUG
    "sqlalchemy.engine": logging.INFO,  # logs every result row at DEBUG
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
