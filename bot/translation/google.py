"""The googletrans backend: Google Translate's public "gtx" client endpoint, via googletrans.

googletrans (4.x, async, httpx) builds the request (`GET /translate_a/single?client=gtx&sl=…
&tl=…&q=…`), checks the language codes and joins the translated segments of the answer; we
use it for exactly that. What it does not give us we add here:

- a configurable service address (`TRANSLATOR_URL`): googletrans always asks
  `https://translate.googleapis.com`; our transport sends the same request to another root
  (a local fake in tests, a proxy in production) — the request itself stays googletrans's;
- errors as exceptions: with `raise_exception=False` googletrans answers a failed request
  with the original text as if it were a translation, which we would then cache;
- long texts in pieces: the request is a GET, and a 3,500-character reply in Arabic script
  would make a URL of some 40,000 characters.

This module raises; `MachineTranslator` (service.py) turns that into None, a rest and one
log line.
"""

from __future__ import annotations

import re

import httpx
from googletrans import Translator as GoogletransClient
from googletrans.constants import DEFAULT_CLIENT_SERVICE_URLS, LANGUAGES

from bot.config import DEFAULT_TRANSLATOR_URL

MAX_CHUNK_CHARS = 1500
USER_AGENT = "Mozilla/5.0 (compatible; gk-assistant)"
# Our language codes where Google's differ (Dari is written as Persian, `fa`).
GOOGLE_CODES: dict[str, str] = {}

_PARAGRAPHS = re.compile(r"(\n+)")
_SENTENCES = re.compile(r"(?<=[.!?؟።])(\s+)")


class BackendError(RuntimeError):
    """The service did not give a translation (down, refused, slow, answered nonsense)."""


class UnsupportedLanguage(ValueError):
    """The service does not know one of the two languages: no outage, just no translation."""


class _ServiceRoot(httpx.AsyncBaseTransport):
    """Sends googletrans's requests to our configured service root instead of Google's."""

    def __init__(self, root: httpx.URL, inner: httpx.AsyncBaseTransport) -> None:
        self.root = root
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self.root.scheme, host=self.root.host, port=self.root.port
        )
        request.headers["Host"] = request.url.netloc.decode("ascii")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def split_for_requests(text: str, limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """`text` as pieces of at most `limit` characters whose concatenation is `text`.

    Cut at line breaks first, then after sentences, and only as a last resort inside one.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for part in _PARAGRAPHS.split(text):
        if len(part) <= limit:
            pieces.append(part)
            continue
        for sentence in _SENTENCES.split(part):
            pieces.extend(sentence[i : i + limit] for i in range(0, len(sentence), limit))
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + len(piece) <= limit:
            chunks[-1] += piece
        else:
            chunks.append(piece)
    return chunks


class GoogleBackend:
    """googletrans against `url` (default Google's own), each request bounded by `timeout`."""

    name = "googletrans"

    def __init__(self, url: str = DEFAULT_TRANSLATOR_URL, timeout: float = 4.0) -> None:
        root = httpx.URL(url)
        transport = httpx.AsyncHTTPTransport(http2=root.scheme == "https", retries=0)
        self._http = httpx.AsyncClient(
            transport=_ServiceRoot(root, transport),
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )
        # The service URL that makes googletrans use the "gtx" client (no page token).
        self._client = GoogletransClient(
            service_urls=DEFAULT_CLIENT_SERVICE_URLS, raise_exception=True
        )
        # googletrans has no parameter for its HTTP client; it only ever uses `.client`.
        self._client.client = self._http

    async def aclose(self) -> None:
        await self._http.aclose()

    async def translate(self, text: str, source: str | None, target: str) -> str:
        src = GOOGLE_CODES.get(source, source) if source else "auto"
        dest = GOOGLE_CODES.get(target, target)
        if dest not in LANGUAGES or (src != "auto" and src not in LANGUAGES):
            raise UnsupportedLanguage(f"{src}->{dest}")
        parts = []
        for chunk in split_for_requests(text):
            if not chunk.strip():
                parts.append(chunk)
                continue
            parts.append(await self._translate_chunk(chunk, src, dest))
        return "".join(parts)

    async def _translate_chunk(self, chunk: str, src: str, dest: str) -> str:
        # Google drops leading and trailing line breaks; keep them around the piece.
        start = len(chunk) - len(chunk.lstrip())
        end = len(chunk.rstrip())
        try:
            result = await self._client.translate(chunk[start:end], dest=dest, src=src)
        except httpx.TimeoutException:
            raise BackendError("timeout") from None
        except httpx.HTTPError as exc:
            raise BackendError(type(exc).__name__) from None
        except Exception as exc:  # googletrans raises a bare Exception for HTTP status codes
            raise BackendError(_status_of(exc)) from None
        translated = result.text
        if not isinstance(translated, str) or not translated.strip():
            raise BackendError("empty answer")
        return chunk[:start] + translated + chunk[end:]


def _status_of(exc: Exception) -> str:
    """'HTTP 503' from googletrans's message, never the message itself (it may hold text)."""
    match = re.search(r'status code "(\d{3})"', str(exc))
    return f"HTTP {match.group(1)}" if match else type(exc).__name__
