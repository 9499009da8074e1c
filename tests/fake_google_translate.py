"""A fake Google Translate (aiohttp) that speaks the "gtx" protocol googletrans uses.

`GET /translate_a/single?client=gtx&sl=de&tl=so&dt=t&…&q=<text>` answers a JSON array whose
first element lists the translated sentences (`[[translated, original, null, null, 10], …]`)
and whose third element is the source language — the shape Google sends. Translations come
from a phrase book (`learn`); anything else comes back as `<tl>: <text>`, so a test sees
that a text went through the service and where. It records every request, and can answer
with an HTTP error, hang, or go down (connection refused) and come back on the same port.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from tests.servers import free_port

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Request:
    client: str
    source: str
    target: str
    text: str
    params: dict[str, list[str]]


class FakeGoogleTranslate:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Request] = []
        self.status = 200
        self.delay = 0.0
        self.rewrite: Callable[[str], str] | None = None  # e.g. mangle placeholders
        self._phrases: dict[tuple[str, str, str], str] = {}
        self._runner: web.AppRunner | None = None

    def learn(self, source: str, target: str, text: str, translation: str) -> None:
        self._phrases[(source, target, text)] = translation

    def translated(self, source: str, target: str, text: str) -> str:
        """What this fake answers for `text` (from the phrase book, else `<tl>: <text>`)."""
        known = self._phrases.get((source, target, text))
        if known is None:
            known = self._phrases.get(("auto", target, text), f"{target}: {text}")
        return self.rewrite(known) if self.rewrite else known

    async def up(self) -> None:
        app = web.Application()
        app.router.add_get("/translate_a/single", self._translate)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        """Stop listening: the next request gets 'connection refused'."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _translate(self, request: web.Request) -> web.Response:
        params = {key: request.query.getall(key) for key in request.query}
        source, target = request.query.get("sl", ""), request.query.get("tl", "")
        text = request.query.get("q", "")
        self.requests.append(Request(request.query.get("client", ""), source, target, text, params))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.Response(status=self.status, text="<html>Error</html>")
        translation = self.translated(source, target, text)
        # Google answers sentence by sentence; googletrans joins the pieces.
        pieces = _SENTENCE_END.split(translation)
        spaced = [piece + " " for piece in pieces[:-1]] + pieces[-1:]
        sentences = [[piece, text, None, None, 10] for piece in spaced]
        detected = source if source != "auto" else "de"
        body = [sentences, None, detected, None, None, None, 1.0, [], [[detected], None, [1.0]]]
        return web.Response(
            text=json.dumps(body, ensure_ascii=False), content_type="application/json"
        )
