"""Starting, watching and stopping Rasa and the action server next to the bot (`make run`).

Children write their logs to data/logs/; we wait until both answer before the bot starts,
warm the model with one parse, and on Ctrl-C stop everything in reverse order. While the bot
runs, a watcher restarts a child that died, with growing pauses (1 s, 2 s, 4 s … 60 s; back
to 1 s once it stayed up for a while). Meanwhile messages wait in the inbox (the
conversation service keeps them pending on RasaUnavailable) and are answered once it is back.
Children never outlive the bot, and a child left by a killed bot is never reused (children.py).
A child that runs but hangs (accepts connections, never answers) is noticed too: when it
misses a few liveness probes in a row it is killed, and the same restart path brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from bot.config import Settings
from bot.rasa import loaded_model
from bot.rasa.children import (
    ChildProcess,
    forget_children,
    kill_stale_children,
    record_children,
)
from bot.rasa.client import RasaClient, RasaError, RasaUnavailable
from bot.rasa.health import health_url
from bot.rasa.runtime import (
    RasaPaths,
    action_server_command,
    ensure_published_model,
    ensure_venv,
    rasa_server_command,
    rasa_server_environment,
)
from bot.rasa.training_data import read_taught

__all__ = ["ChildProcess", "prepare_rasa", "rasa_and_actions"]

logger = logging.getLogger(__name__)

RASA_START_TIMEOUT = 240.0
ACTIONS_START_TIMEOUT = 60.0
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
STABLE_AFTER = 300.0  # seconds up after which the next crash starts the pauses afresh
WATCH_INTERVAL = 1.0
# A hang is declared after LIVENESS_MISSES probes in a row without an answer; generous,
# because a busy Rasa on 2 cores may take seconds for a turn (Sanic then answers late).
LIVENESS_INTERVAL = 10.0
LIVENESS_TIMEOUT = 10.0
LIVENESS_MISSES = 3


def restart_delay(crashes_in_a_row: int) -> float:
    """The pause before the n-th restart in a row: 1, 2, 4 … seconds, at most a minute."""
    return min(FIRST_RESTART_DELAY * 2.0 ** (crashes_in_a_row - 1), MAX_RESTART_DELAY)


class ChildNotReady(RuntimeError):
    """A child kept running but never answered within its start timeout."""


async def _wait_until(
    check: Callable[[], Awaitable[bool]], child: ChildProcess, limit: float, what: str
) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{what} exited early; see {child.log_file}")
        if await check():
            return
        await asyncio.sleep(1.0)
    raise ChildNotReady(f"{what} did not become ready within {limit:.0f} s; see {child.log_file}")


async def _http_ok(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class Liveness:
    """How a running child is asked whether it still answers at all.

    Any HTTP answer counts (even an error: the process is not stuck); a timeout or a refused
    connection is a miss. The URL carries no token (Rasa's `/`, the action server's `/health`).
    """

    url: str
    interval: float = LIVENESS_INTERVAL
    timeout: float = LIVENESS_TIMEOUT
    misses: int = LIVENESS_MISSES

    async def answers(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                await client.get(self.url)
        except httpx.HTTPError:
            return False
        return True


def prepare_rasa(settings: Settings) -> Path:
    """Install Rasa if needed and return the trained model (training only if data changed)."""
    paths = RasaPaths(settings.project_root, settings.cache_dir)
    ensure_venv(paths, settings.rasa_python)
    return ensure_published_model(paths, read_taught(settings.database_url))


class Supervised:
    """One child (Rasa or the action server): started, waited for, restarted when it dies.

    Spawned only from the event loop's thread (see children.py on PR_SET_PDEATHSIG).
    """

    def __init__(
        self,
        label: str,
        spawn: Callable[[], ChildProcess],
        ready: Callable[[], Awaitable[bool]],
        timeout: float,
        on_spawn: Callable[[], None],
        on_ready: Callable[[], Awaitable[None]] | None = None,
        liveness: Liveness | None = None,
    ) -> None:
        self.label = label
        self._spawn = spawn
        self._ready = ready
        self._timeout = timeout
        self._on_spawn = on_spawn
        self._on_ready = on_ready
        self._liveness = liveness
        self.child: ChildProcess | None = None
        self.restarts = 0

    def spawn(self) -> None:
        self.child = self._spawn()
        self._on_spawn()

    async def until_ready(self) -> None:
        assert self.child is not None
        await _wait_until(self._ready, self.child, self._timeout, self.label)
        if self._on_ready is not None:
            await self._on_ready()

    async def _until_dead_or_hung(self) -> None:
        """Return once the child has exited, or was killed because it stopped answering."""
        assert self.child is not None
        liveness = self._liveness
        pause = WATCH_INTERVAL if liveness is None else min(WATCH_INTERVAL, liveness.interval)
        last_probe = time.monotonic()
        missed = 0
        # A Popen child has no awaitable exit; a look once a second costs nothing.
        while self.child.alive():
            await asyncio.sleep(pause)
            if liveness is None or time.monotonic() - last_probe < liveness.interval:
                continue
            last_probe = time.monotonic()
            missed = 0 if await liveness.answers() else missed + 1
            if missed >= liveness.misses and self.child.alive():
                logger.warning(
                    "%s runs but did not answer %d liveness probes in a row (%g s each); "
                    "killing it",
                    self.label,
                    missed,
                    liveness.timeout,
                )
                await asyncio.to_thread(self.child.kill)
                return

    async def watch(self) -> None:
        """Forever: notice the child's death (or hang), pause, start it again, wait until it
        answers."""
        assert self.child is not None
        up_since = time.monotonic()
        in_a_row = 0
        while True:
            await self._until_dead_or_hung()
            await asyncio.to_thread(self.child.stop)  # closes its log file
            in_a_row = 1 if time.monotonic() - up_since >= STABLE_AFTER else in_a_row + 1
            self.restarts += 1
            delay = restart_delay(in_a_row)
            logger.warning(
                "%s exited with code %s; restarting in %.0f s (restart #%d)",
                self.label,
                self.child.exit_code,
                delay,
                self.restarts,
            )
            await asyncio.sleep(delay)
            self.spawn()
            try:
                await self.until_ready()
            except ChildNotReady as exc:
                logger.warning("%s; killing it", exc)
                await asyncio.to_thread(self.child.kill)
            except RuntimeError:
                pass  # died while starting: the next round says so and waits longer
            else:
                up_since = time.monotonic()
                logger.info("%s is ready again (restart #%d)", self.label, self.restarts)

    async def stop(self) -> None:
        if self.child is not None:
            logger.info("stopping %s", self.label)
            await asyncio.to_thread(self.child.stop)


async def _warm(rasa: RasaClient) -> None:
    """One parse loads the model, so the first user after a (re)start does not wait for it."""
    with contextlib.suppress(RasaUnavailable, RasaError):
        await rasa.parse("hallo")


@contextlib.asynccontextmanager
async def rasa_and_actions(settings: Settings) -> AsyncIterator[None]:
    """Rasa server and action server running and watched (or an external Rasa at RASA_URL)."""
    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    logs = settings.data_dir / "logs"
    run_dir = settings.data_dir / "run"
    supervised: list[Supervised] = []
    tasks: list[asyncio.Task[None]] = []

    def record() -> None:
        record_children(run_dir, [s.child for s in supervised if s.child is not None])

    try:
        # The log files are rotated and aged out by the bot itself (bot.app), in every mode.
        await asyncio.to_thread(kill_stale_children, run_dir)
        if await rasa.ready():
            logger.warning(
                "using a Rasa server not started by this bot at %s (no action server is "
                "started; if it stops, it is not restarted)",
                settings.rasa_url,
            )
        else:
            model = await asyncio.to_thread(prepare_rasa, settings)
            loaded_model.remember(run_dir, model)  # an editor's retrain replaces it
            port = urlparse(settings.rasa_url).port or 5005
            paths = RasaPaths(settings.project_root, settings.cache_dir)

            def rasa_command() -> list[str]:
                served = loaded_model.current(run_dir, model)
                return rasa_server_command(paths, settings, served, port, run_dir)

            actions = Supervised(
                "the action server",
                lambda: ChildProcess(
                    "actions",
                    action_server_command(settings.action_server_port),
                    logs / "actions.log",
                    dict(os.environ),
                    settings.project_root,
                ),
                lambda: _http_ok(health_url(settings.action_server_url)),
                ACTIONS_START_TIMEOUT,
                record,
                liveness=Liveness(health_url(settings.action_server_url)),
            )
            server = Supervised(
                "Rasa",
                lambda: ChildProcess(
                    "rasa",
                    rasa_command(),
                    logs / "rasa.log",
                    rasa_server_environment(settings),
                    settings.project_root,
                ),
                rasa.ready,
                RASA_START_TIMEOUT,
                record,
                lambda: _warm(rasa),
                Liveness(settings.rasa_url.rstrip("/") + "/"),
            )
            supervised += [actions, server]
            logger.info(
                "starting the action server on port %s and Rasa on port %s …",
                settings.action_server_port,
                port,
            )
            for child in supervised:
                child.spawn()
            for child in supervised:
                await child.until_ready()
            tasks += [asyncio.create_task(child.watch()) for child in supervised]
        await _warm(rasa)
        logger.info("Rasa ready at %s (logs in %s)", settings.rasa_url, logs)
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await rasa.close()
        for child in reversed(supervised):
            await child.stop()
        if supervised:
            forget_children(run_dir)
