"""Logs never contain message texts, chat ids or secrets, even with LOG_LEVEL=DEBUG.

A whole conversation (an answer, an urgent letter handed to a person, a message in the case)
runs with every logger at DEBUG and the assistant's logging caps applied; then every record
(message and traceback) is searched for the user's texts, the chat id and both tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.app import Assistant
from bot.logging_setup import cap_library_loggers, setup_logging
from tests.conftest import RasaServer, UserChat
from tests.fake_telegram import FakeTelegram

# The fake Telegram and the Rasa proxy are aiohttp servers of the test itself; their access
# logs show the URLs the bot called. The assistant uses no aiohttp, so nothing of ours is lost.
TEST_SERVERS = ("aiohttp",)

TEXTS = [
    "Wie finde ich eine Wohnung?",
    "Ich habe eine Ablehnung bekommen und die Frist endet morgen, was soll ich tun?",
    "Mein Vermieter Quirin Zwiebelbrot will mich rauswerfen",
]


def _all_loggers() -> list[logging.Logger]:
    manager = logging.getLogger().manager
    return [
        logging.getLogger(name)
        for name, item in list(manager.loggerDict.items())
        if isinstance(item, logging.Logger)
    ]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything at DEBUG (as LOG_LEVEL=DEBUG would), then the caps of setup_logging."""
    levels = {logger.name: logger.level for logger in _all_loggers()}
    caplog.set_level(logging.DEBUG)
    for logger in _all_loggers():
        logger.setLevel(logging.NOTSET)
    cap_library_loggers()
    yield caplog
    for logger in _all_loggers():
        logger.setLevel(levels.get(logger.name, logging.NOTSET))


def _logged_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter()
    lines = []
    for when in ("setup", "call"):
        for record in caplog.get_records(when):
            if record.name.startswith(TEST_SERVERS):
                continue
            lines.append(f"{record.name}: {record.getMessage()}")
            if record.exc_info:
                lines.append(formatter.formatException(record.exc_info))
    return "\n".join(lines)


@pytest.mark.e2e
async def test_a_whole_conversation_at_debug_logs_no_text_chat_id_or_token(
    debug_logs: pytest.LogCaptureFixture,
    assistant: Assistant,
    rasa_server: RasaServer,
    telegram: FakeTelegram,
    user: UserChat,
) -> None:
    await user.says("/start")
    await user.says(TEXTS[0])
    [offer] = await user.says(TEXTS[1])
    await user.presses(offer.button("Ja"), on=offer)
    await user.says(TEXTS[2])
    await user.says("/status")

    logged = _logged_text(debug_logs)
    assert len(debug_logs.get_records("call")) > 10, "the sweep saw almost nothing"
    assert any(r.levelno == logging.DEBUG for r in debug_logs.get_records("call"))
    for secret in [*TEXTS, str(user.chat_id), telegram.token, rasa_server.token]:
        assert secret not in logged, f"{secret!r} found in the logs"
    # the words of a text on their own, too (a log line could quote part of a message)
    assert "Zwiebelbrot" not in logged and "Ablehnung" not in logged


def test_library_loggers_stay_quiet_whatever_log_level_says() -> None:
    names = ("telegram", "telegram.ext", "httpx", "httpcore")
    before = {name: logging.getLogger(name).level for name in names}
    root = logging.getLogger()
    root_level, root_handlers = root.level, list(root.handlers)
    try:
        setup_logging("DEBUG")
        assert logging.getLogger("telegram").level == logging.INFO
        assert logging.getLogger("telegram.ext").level == logging.INFO
        assert logging.getLogger("httpx").level == logging.WARNING
        assert logging.getLogger("httpcore").level == logging.WARNING
        setup_logging("ERROR")  # a cap never makes a library chattier than LOG_LEVEL
        assert logging.getLogger("telegram").level == logging.ERROR
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in root_handlers:
            root.addHandler(handler)
        root.setLevel(root_level)
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
