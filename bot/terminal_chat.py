"""`python -m bot chat`: talk to the assistant in a terminal, offline, through the real pipeline.

Type a question, a /command, or the number of a button shown under the last message.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import Any

from bot.app import Assistant
from bot.config import Settings
from bot.content.markup import to_plain_text
from bot.telegram.local_api import LocalBotApi

HELP = "Type a question, a /command, or a button number. /quit ends the chat."


class TerminalChat:
    def __init__(self) -> None:
        self.buttons: list[tuple[str, int]] = []  # (callback data, message id)

    def show(self, method: str, params: dict[str, Any]) -> None:
        prefix = "(updated) " if method == "editMessageText" else ""
        print(f"\n🤖 {prefix}{to_plain_text(str(params.get('text', '')))}")
        markup = params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if rows:
            self.buttons = []
            message_id = int(params.get("message_id") or 0)
            for row in rows:
                for button in row:
                    self.buttons.append((button["callback_data"], message_id))
                    print(f"   [{len(self.buttons)}] {button['text']}")
        print("> ", end="", flush=True)


def _read_lines(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str]) -> None:
    """Blocking stdin reads in a daemon thread, so Ctrl-C never waits for a line."""
    for line in sys.stdin:
        loop.call_soon_threadsafe(lines.put_nowait, line)
    loop.call_soon_threadsafe(lines.put_nowait, "")


async def run_terminal_chat(settings: Settings, dashboard_url: str | None = None) -> None:
    chat = TerminalChat()
    api = LocalBotApi(chat.show)
    assistant = Assistant(settings, request=api, dashboard_url=dashboard_url)
    await assistant.start()
    print(HELP)
    print("> ", end="", flush=True)
    lines: asyncio.Queue[str] = asyncio.Queue()
    threading.Thread(
        target=_read_lines, args=(asyncio.get_running_loop(), lines), daemon=True
    ).start()
    try:
        while True:
            line = await lines.get()
            if not line:
                break
            text = line.strip()
            if text in {"/quit", "/exit"}:
                break
            if text.isdigit() and 0 < int(text) <= len(chat.buttons):
                data, message_id = chat.buttons[int(text) - 1]
                api.press(data, message_id)
            elif text:
                api.type_text(text)
            else:
                print("> ", end="", flush=True)
    finally:
        with contextlib.suppress(Exception):
            await assistant.stop()
