"""Is Rasa (and its action server) up? Asked when a turn fails, and while an outage lasts.

Rasa answers a message even when its action server is down — with nothing. That is an
outage, not a message we failed to understand: the message must wait and be answered
later, not get "please write it in other words" and be dropped.

A question that waits for Rasa is retried after 5, 10, 30, 60 s. Without `RasaOutage` a
user whose question failed just before Rasa came back would wait up to a minute more.
Two signals end an outage: a turn that succeeds, or a cheap readiness probe every few
seconds while the outage lasts (the same with our supervised Rasa and an external one at
RASA_URL). Either wakes the chats whose question waits for Rasa (`on_back`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import httpx

from bot.rasa.client import RasaError, RasaUnavailable

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT = 2.0
PROBE_INTERVAL = 2.0
MAX_PROBE_INTERVAL = 60.0


class ActionServerUnavailable(RasaUnavailable):
    """Rasa answered with nothing because its action server is down: the message waits too."""


def health_url(action_server_url: str) -> str:
    """`http://host:port/webhook` -> `http://host:port/health` (rasa-sdk's health route)."""
    return action_server_url.rstrip("/").removesuffix("/webhook") + "/health"


async def action_server_up(action_server_url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT) as client:
            response = await client.get(health_url(action_server_url))
    except httpx.HTTPError:
        return False
    return response.status_code == 200


class RasaOutage:
    """Whether turns fail for lack of Rasa, and a probe that notices when it is back.

    If the probe says "back" but the next turn fails again (Rasa answers /status but not
    turns), the probe waits twice as long each time, so a half-broken Rasa is not hammered.
    Lives in the event loop (`failed` starts the probe task).
    """

    def __init__(
        self,
        rasa_ready: Callable[[], Awaitable[bool]],
        actions_ready: Callable[[], Awaitable[bool]],
        on_back: Callable[[], None],
        interval: float = PROBE_INTERVAL,
    ) -> None:
        self._rasa_ready = rasa_ready
        self._actions_ready = actions_ready
        self._on_back = on_back
        self._interval = interval
        self._since: float | None = None  # monotonic start of the outage we know of
        self._actions_out = False
        self._unconfirmed = False  # the probe said "back"; no turn has succeeded since
        self._false_backs = 0
        self._probe: asyncio.Task[None] | None = None

    @property
    def out(self) -> bool:
        return self._since is not None

    def failed(self, actions: bool = False) -> None:
        """A turn found Rasa (or, with `actions`, its action server) unavailable."""
        if self._unconfirmed:
            self._unconfirmed = False
            self._false_backs += 1
        self._actions_out = self._actions_out or actions
        if self._since is None:
            self._since = time.monotonic()
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._probe_until_back(), name="rasa-outage-probe")

    def succeeded(self) -> None:
        """A turn got Rasa's answer."""
        self._unconfirmed = False
        self._false_backs = 0
        if self.out:
            self._back("a turn succeeded")

    def _back(self, why: str) -> None:
        assert self._since is not None
        logger.info(
            "Rasa answers again (%s, after %.0f s); the questions that waited are tried now",
            why,
            time.monotonic() - self._since,
        )
        self._since = None
        self._actions_out = False
        self._on_back()

    async def _answers(self) -> bool:
        try:
            if not await self._rasa_ready():
                return False
        except RasaError:  # refused (a wrong token): not back in any useful sense
            return False
        return not self._actions_out or await self._actions_ready()

    async def _probe_until_back(self) -> None:
        pause = min(self._interval * 2.0**self._false_backs, MAX_PROBE_INTERVAL)
        while self.out:
            await asyncio.sleep(pause)
            if self.out and await self._answers() and self.out:
                self._unconfirmed = True
                self._back("its readiness probe answered")

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
