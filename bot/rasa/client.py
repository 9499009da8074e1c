"""Talking to the Rasa server over HTTP (REST channel, tracker and parse endpoints).

Rasa keeps the dialogue state. When the bot replays a message after a crash, Rasa may have
processed it already; `replies_for` finds the answers in Rasa's tracker by `update_id`
instead of sending the message a second time (which would move the dialogue on twice).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.replies import Reply, is_reply_payload

log = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting, overloaded); the message must wait and retry."""


class RasaError(RuntimeError):
    """Rasa refused a request (e.g. 401 for a wrong token, 400).

    Our own error instead of httpx's, whose message carries the full URL with `?token=`;
    this one names only the status and the path, so it is safe in any log.
    """

    def __init__(self, status: int, path: str) -> None:
        super().__init__(f"Rasa answered HTTP {status} on {path}")
        self.status = status
        self.path = path


@dataclass
class RasaTurn:
    """What Rasa made of one user message: how it read it, and the replies."""

    replies: list[Reply] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None

    def add(self, payload: dict[str, Any]) -> None:
        if self.intent is None and payload.get("intent"):
            self.intent = str(payload["intent"])
            confidence = payload.get("confidence")
            self.confidence = float(confidence) if confidence is not None else None
        self.replies.append(Reply.from_payload(payload))


class RasaClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._params = {"token": token} if token else {}
        self._client = httpx.AsyncClient(base_url=self._base_url, timeout=timeout)

    async def close(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        params = {**self._params, **kwargs.pop("params", {})}
        try:
            response = await self._client.request(method, path, params=params, **kwargs)
        except httpx.HTTPError as exc:
            # Not chained: httpx errors may name the request URL, which carries the token.
            raise RasaUnavailable(f"{type(exc).__name__} talking to Rasa on {path}") from None
        if response.status_code >= 500 or response.status_code in {404, 409, 503}:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code} on {path}")
        if response.status_code >= 400:
            raise RasaError(response.status_code, path)
        return response.json()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        """Send one user message through the REST channel; returns the bot's replies."""
        messages = await self._request(
            "POST",
            "/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": metadata},
        )
        turn = RasaTurn()
        for message in messages:
            if is_reply_payload(message.get("custom")):
                turn.add(message["custom"])
        return turn

    async def replies_for(self, sender: str, update_id: int) -> RasaTurn | None:
        """The replies Rasa already produced for `update_id`, or None if it never saw it.

        An update asked more than once (Rasa answered with nothing the first time) counts by
        its last turn.
        """
        tracker = await self._request(
            "GET", f"/conversations/{sender}/tracker", params={"include_events": "ALL"}
        )
        events = tracker.get("events") or []
        turn: RasaTurn | None = None
        current = False
        for event in events:
            kind = event.get("event")
            if kind == "user":
                metadata = event.get("metadata") or {}
                current = metadata.get("update_id") == update_id
                if current:
                    turn = RasaTurn()
            elif current and turn is not None and kind == "bot":
                custom = (event.get("data") or {}).get("custom")
                if is_reply_payload(custom):
                    turn.add(custom)
        return turn

    async def parse(self, text: str) -> dict[str, Any]:
        """NLU only (no dialogue): used for warm-up and the NLU evaluation."""
        result: dict[str, Any] = await self._request("POST", "/model/parse", json={"text": text})
        return result

    async def ready(self) -> bool:
        """True once the server answers and has a model loaded.

        A refusal (wrong token) is not "not ready yet": it raises RasaError, so start-up
        stops with a clear message instead of waiting for a server that will never accept us.
        """
        try:
            status = await self._request("GET", "/status")
        except RasaUnavailable:
            return False
        return bool(status.get("model_id") or status.get("fingerprint"))
