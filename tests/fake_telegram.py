"""A fake Telegram Bot API server (aiohttp) for end-to-end tests.

It speaks the real HTTP protocol PTB uses (`POST /bot<token>/<method>`, form-encoded JSON
values), keeps the updates users "send", confirms them by offset like Telegram, records every
message the bot sends, and can answer with 429 (retry_after) or 5xx on demand. Files users
send (photos, documents) are registered with `add_file` and served like Telegram does:
`getFile` gives a `file_path`, `GET /file/bot<token>/<file_path>` gives the bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# Telegram's update ids are unique per bot for ever; one counter for every fake keeps it so
# across tests that share a database.
_UPDATE_IDS = itertools.count(random.randint(10**6, 10**9))

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "GK Test Bot", "username": "gk_test_bot"}


@dataclass
class Sent:
    method: str
    chat_id: int
    text: str
    message_id: int
    params: dict[str, Any]

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of the inline keyboard, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [
            (b["text"], b["callback_data"])
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button(self, label_part: str) -> str:
        for label, data in self.buttons:
            if label_part.lower() in label.lower():
                return data
        raise AssertionError(f"no button like {label_part!r} in {self.buttons}")


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class Refusal:
    """Telegram refusing `methods` for a while (a flood limit, a bad gateway), not n times."""

    until: float  # time.monotonic()
    failure: Failure
    methods: frozenset[str]


@dataclass
class Exchange:
    """One call of a sending method as Telegram answered it (for timing checks)."""

    at: float  # time.monotonic()
    method: str
    chat_id: int | None
    status: int
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    token: str = "4242:TEST-TOKEN"
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[float, str]] = field(default_factory=list)
    confirmed_offset: int = 0
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    replay_all: bool = False
    # setMyCommands: the menu (command -> description) per language_code (None = default)
    commands_by_language: dict[str | None, dict[str, str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> content
    downloads: list[str] = field(default_factory=list)  # file_ids the bot downloaded
    refusals: list[Refusal] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)  # sendMessage / editMessageText

    def __post_init__(self) -> None:
        self._update_ids = _UPDATE_IDS
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- server -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            text = str(value)
            try:
                params[key] = json.loads(text)
            except ValueError:
                params[key] = text
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((time.monotonic(), method))
        queued = self.failures.get(method)
        failure = queued.pop(0) if queued else self._refusal(method)
        if method in {"sendMessage", "editMessageText"}:
            chat = params.get("chat_id")
            self.exchanges.append(
                Exchange(
                    time.monotonic(),
                    method,
                    int(chat) if chat is not None else None,
                    failure.status if failure else 200,
                    failure.retry_after if failure else None,
                )
            )
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(body, status=failure.status)
        result = await self._answer(method, params)
        return web.json_response({"ok": True, "result": result})

    def _refusal(self, method: str) -> Failure | None:
        now = time.monotonic()
        for refusal in self.refusals:
            if method in refusal.methods and now < refusal.until:
                return refusal.failure
        return None

    async def _download(self, request: web.Request) -> web.Response:
        """The file download URL; "download" failures are queued like those of a method."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        queued = self.failures.get("download")
        if queued:
            failure = queued.pop(0)
            return web.Response(status=failure.status, text=failure.description)
        file_id = request.match_info["file_path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise web.HTTPBadRequest(
                text=json.dumps(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
                ),
                content_type="application/json",
            )
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getFile":
            return self._get_file(params)
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in {"sendMessage", "editMessageText"}:
            chat_id = int(params["chat_id"])
            message_id = int(params.get("message_id") or next(self._message_ids))
            async with self._changed:
                self.sent.append(
                    Sent(method, chat_id, str(params.get("text", "")), message_id, params)
                )
                self._changed.notify_all()
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "-"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        if method == "setMyCommands":
            menu = {c["command"]: c["description"] for c in params.get("commands") or []}
            self.commands_by_language[params.get("language_code") or None] = menu
        return True  # setMyCommands, answerCallbackQuery, deleteWebhook, …

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if self.replay_all:
            self.replay_all = False
            return list(self.updates)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                pending = [u for u in self.updates if u["update_id"] >= self.confirmed_offset]
                remaining = deadline - time.monotonic()
                if pending or remaining <= 0:
                    return pending
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=remaining)

    # --- playing the user ---------------------------------------------------------------

    async def _push(self, update: dict[str, Any]) -> int:
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    def _message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": chat_id,
                "type": "private",
                "first_name": "Amira",
                "username": "amira_test",
            },
            "from": {"id": chat_id, "is_bot": False, "first_name": "Amira", "language_code": "de"},
            **content,
        }

    async def user_says(self, chat_id: int, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return await self._push(
            {"update_id": next(self._update_ids), "message": self._message(chat_id, **content)}
        )

    async def user_sends(self, chat_id: int, content: dict[str, Any]) -> int:
        """A non-text message, e.g. {"voice": {...}} or {"location": {...}}."""
        return await self._push(
            {"update_id": next(self._update_ids), "message": self._message(chat_id, **content)}
        )

    async def user_sends_unreadable(self, chat_id: int, text: str) -> int:
        """A message python-telegram-bot cannot parse: an entity of a shape it does not know,
        as a newer Bot API might send one."""
        return await self.user_sends(chat_id, {"text": text, "entities": [{"kind": "new"}]})

    async def user_presses(self, chat_id: int, data: str, message_id: int) -> int:
        query = {
            "id": str(next(self._update_ids)),
            "from": {"id": chat_id, "is_bot": False, "first_name": "Amira", "language_code": "de"},
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Amira"},
                "text": "…",
            },
        }
        return await self._push({"update_id": next(self._update_ids), "callback_query": query})

    def add_file(self, data: bytes) -> str:
        """Make `data` downloadable like a file a user sent; returns its file_id."""
        file_id = f"f{next(self._update_ids)}"
        self.files[file_id] = data
        return file_id

    async def user_sends_photo(self, chat_id: int, data: bytes, caption: str = "") -> int:
        """A photo message with two sizes (Telegram sends several), the larger one `data`."""
        small = self.add_file(data[: max(1, len(data) // 4)])
        large = self.add_file(data)
        sizes = [
            {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": w, "height": w,
             "file_size": len(self.files[file_id])}
            for file_id, w in ((small, 90), (large, 1280))
        ]  # fmt: skip
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return await self.user_sends(chat_id, content)

    async def user_sends_document(
        self, chat_id: int, data: bytes, file_name: str, mime_type: str, size: int | None = None
    ) -> int:
        """A document; `size` overrides the size Telegram reports (e.g. a huge file)."""
        file_id = self.add_file(data)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(data) if size is None else size,
        }
        return await self.user_sends(chat_id, {"document": document})

    # --- observing the bot --------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    async def wait_for(self, chat_id: int, count: int, within: float = 60.0) -> list[Sent]:
        """Wait until the bot has sent `count` messages (or edits) to `chat_id` in total."""
        deadline = time.monotonic() + within
        async with self._changed:
            while len(self.messages_to(chat_id)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = [(s.method, s.text[:80]) for s in self.messages_to(chat_id)]
                    raise AssertionError(f"expected {count} messages to {chat_id}, got {got}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=remaining)
        return self.messages_to(chat_id)

    def replay_all_once(self) -> None:
        """Answer the next getUpdates with every update ever sent, confirmed or not."""
        self.replay_all = True

    def refuse_for(
        self,
        seconds: float,
        status: int,
        description: str,
        retry_after: int | None = None,
        methods: tuple[str, ...] = ("sendMessage", "editMessageText"),
    ) -> None:
        """Answer every call of `methods` with this error for `seconds` from now."""
        self.refusals.append(
            Refusal(
                time.monotonic() + seconds,
                Failure(status, description, retry_after),
                frozenset(methods),
            )
        )

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self.failures.setdefault(method, []).extend(
            Failure(status, description, retry_after) for _ in range(times)
        )
