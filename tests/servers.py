"""Real servers for the tests: Rasa, the action server, the bot as a process, a switchable proxy.

Every server listens on a free port on 127.0.0.1; output goes to a log file that a failing
test can point to.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from aiohttp import ClientSession, ClientTimeout, web

from bot.rasa.supervisor import ChildProcess

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process(ChildProcess):
    """A server for a test: the supervisor's child process, plus waiting and log tails."""

    def __init__(self, command: list[str], log_file: Path, env: dict[str, str]) -> None:
        super().__init__(log_file.stem, command, log_file, env, ROOT)

    def wait_http(self, url: str, timeout: float, ok: Callable[[Any], bool] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"process exited early, see {self.log_file}:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                response = httpx.get(url, timeout=2)
                if response.status_code == 200 and (ok is None or ok(response.json())):
                    return
            time.sleep(0.5)
        raise RuntimeError(
            f"{url} not ready after {timeout} s, see {self.log_file}:\n{self.tail()}"
        )

    def wait_log(self, line: str, timeout: float) -> str:
        """The log once `line` is in it (a server may log "ready" just after it answers)."""
        deadline = time.monotonic() + timeout
        while line not in (log := self.log_file.read_text(errors="replace")):
            if time.monotonic() > deadline:
                raise AssertionError(f"no log line {line!r} after {timeout} s:\n{self.tail()}")
            time.sleep(0.2)
        return log

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


def python_module(module_args: list[str]) -> list[str]:
    return [sys.executable, "-m", *module_args]


class RasaProxy:
    """An HTTP proxy in front of Rasa that can go down (connection refused) and come back.

    From the bot's side this is exactly a Rasa outage; it can also delay answers, to catch the
    bot in the middle of a turn.
    """

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.delay = 0.0
        # Turns answered with nothing, as Rasa does when a custom action failed because its
        # action server was gone for a moment.
        self.empty_turns = 0
        self.forwarded: list[str] = []
        self.request_seen = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None

    async def up(self) -> None:
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=120))
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        await self.down()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        self.forwarded.append(request.path)
        if request.path.startswith("/webhooks"):
            self.request_seen.set()
            if self.empty_turns:
                self.empty_turns -= 1
                return web.Response(body=b"[]", content_type="application/json")
        async with self._session.request(
            request.method,
            f"{self.target}{request.path_qs}",
            data=body,
            headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
        ) as response:
            payload = await response.read()
            status = response.status
        if self.delay and request.path.startswith("/webhooks"):
            await asyncio.sleep(self.delay)
        return web.Response(body=payload, status=status, content_type="application/json")
