"""A lean fake Telegram Bot API for load: offers updates, timestamps every message the bot sends.

Not the fake of the tests (tests/fake_telegram.py), which keeps every update for replays and
failure injection: this one keeps only what is unconfirmed (a deque, so a long poll costs the
same after 10,000 updates as after 10) and records, per chat, when each update was offered and
when each sendMessage arrived. Times are `time.monotonic()` of the bench process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "GK Bench Bot", "username": "gk_bench_bot"}


@dataclass
class Offered:
    """One update offered to the bot and what came back for its chat."""

    update_id: int
    chat_id: int
    at: float
    answers: list[tuple[float, str]] = field(default_factory=list)  # (arrival, text)

    @property
    def first_answer(self) -> float | None:
        return self.answers[0][0] if self.answers else None


class FakeBotApi:
    def __init__(self, token: str = "4242:BENCH-TOKEN") -> None:
        self.token = token
        self.url = ""
        self.by_chat: dict[int, Offered] = {}  # every chat gets exactly one update
        self.calls: collections.Counter[str] = collections.Counter()
        self.stray_messages = 0  # sendMessage to a chat we never offered anything
        self._pending: collections.deque[dict[str, Any]] = collections.deque()
        self._new = asyncio.Event()
        self._answered = asyncio.Event()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the user side ----------------------------------------------------------------

    def offer(self, chat_id: int, text: str, language_code: str) -> Offered:
        """A first message from a new chat, visible to the bot's next (or current) long poll."""
        update_id = next(self._update_ids)
        now = time.monotonic()
        user = {"id": chat_id, "is_bot": False, "first_name": "Bench"}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Bench"},
            "from": {**user, "language_code": language_code},
            "text": text,
        }
        self._pending.append({"update_id": update_id, "message": message})
        offered = Offered(update_id, chat_id, now)
        self.by_chat[chat_id] = offered
        self._new.set()
        return offered

    async def wait_answered(self, offered: list[Offered], limit: float) -> None:
        """Until each of `offered` has an answer, or `limit` seconds passed."""
        deadline = time.monotonic() + limit
        waiting = [o for o in offered if o.first_answer is None]
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answered.wait(), timeout=min(remaining, 1.0))
            waiting = [o for o in waiting if o.first_answer is None]

    # --- the bot side -------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"]
        self.calls[method] += 1
        params = await self._params(request)
        return web.json_response({"ok": True, "result": await self._answer(method, params)})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            try:
                params[key] = json.loads(str(value))
            except ValueError:
                params[key] = str(value)
        return params

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in {"sendMessage", "editMessageText"}:
            arrived = time.monotonic()
            chat_id = int(params["chat_id"])
            text = str(params.get("text", ""))
            offered = self.by_chat.get(chat_id)
            if offered is None:
                self.stray_messages += 1
            else:
                offered.answers.append((arrived, text))
                self._answered.set()
            return {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Bench"},
                "from": BOT_USER,
                "text": text,
            }
        return True  # setMyCommands, deleteWebhook, answerCallbackQuery, …

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()  # confirmed by the offset, as Telegram does
        limit = int(params.get("limit") or 100)
        if not self._pending:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), timeout=float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        return list(itertools.islice(self._pending, limit))
