"""An in-process Bot API, so the terminal chat runs the *same* pipeline as Telegram.

PTB lets us swap its HTTP layer (`BaseRequest`). This one answers getUpdates from a local
queue of typed lines and hands sendMessage/editMessageText to a display callback. Inbox,
dispatcher, Rasa, outbox and sender are exactly the ones used with real Telegram.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from telegram.request import BaseRequest, RequestData

LOCAL_CHAT_ID = 1
LOCAL_BOT = {
    "id": 1000,
    "is_bot": True,
    "first_name": "Gemeinsam klappt's",
    "username": "local_assistant_bot",
}
LOCAL_USER = {"id": LOCAL_CHAT_ID, "is_bot": False, "first_name": "You", "language_code": "de"}

Display = Callable[[str, dict[str, Any]], None]


class LocalBotApi(BaseRequest):
    """Answers Bot API calls locally; `type_text` and `press` play the user."""

    def __init__(self, display: Display) -> None:
        self.display = display
        self._updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _chat(self) -> dict[str, Any]:
        return {"id": LOCAL_CHAT_ID, "type": "private", "first_name": "You"}

    def type_text(self, text: str) -> None:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(),
            "from": LOCAL_USER,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._updates.put_nowait({"update_id": next(self._update_ids), "message": message})

    def press(self, data: str, message_id: int) -> None:
        query = {
            "id": str(next(self._update_ids)),
            "from": LOCAL_USER,
            "chat_instance": "local",
            "data": data,
            "message": {"message_id": message_id, "date": int(time.time()), "chat": self._chat()},
        }
        self._updates.put_nowait({"update_id": next(self._update_ids), "callback_query": query})

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        result = await self._answer(endpoint, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def _answer(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return LOCAL_BOT
        if endpoint == "getUpdates":
            return await self._next_updates(float(params.get("timeout") or 0))  # long poll
        if endpoint in {"sendMessage", "editMessageText"}:
            message_id = params.get("message_id") or next(self._message_ids)
            self.display(endpoint, {**params, "message_id": message_id})
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(),
                "from": LOCAL_BOT,
                "text": params.get("text", ""),
            }
        return True  # setMyCommands, answerCallbackQuery, deleteWebhook, …

    async def _next_updates(self, wait: float) -> list[dict[str, Any]]:
        try:
            first = await asyncio.wait_for(self._updates.get(), timeout=max(wait, 0.1))
        except TimeoutError:
            return []
        updates = [first]
        while not self._updates.empty():
            updates.append(self._updates.get_nowait())
        return updates
