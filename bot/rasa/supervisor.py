"""Starting and stopping Rasa and the action server next to the bot (`make run`).

Children write their logs to data/logs/; we wait until both answer before the bot starts,
warm the model with one parse, and on Ctrl-C stop everything in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlparse

import httpx

from bot.config import Settings
from bot.rasa.client import RasaClient
from bot.rasa.runtime import (
    RasaPaths,
    action_server_command,
    ensure_model,
    ensure_venv,
    rasa_server_command,
    rasa_server_environment,
)

logger = logging.getLogger(__name__)

RASA_START_TIMEOUT = 240.0
ACTIONS_START_TIMEOUT = 60.0


class ChildProcess:
    """A child process with its output in a log file, stopped politely, then firmly."""

    def __init__(
        self, name: str, command: list[str], log_file: Path, env: dict[str, str], cwd: Path
    ) -> None:
        self.name = name
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_file.open("ab")
        self.log_file = log_file
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, number)

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to clean up (what a crash looks like)."""
        self._signal(signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._log.close()


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
    raise RuntimeError(f"{what} did not become ready within {limit:.0f} s; see {child.log_file}")


async def _http_ok(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


def prepare_rasa(settings: Settings) -> Path:
    """Install Rasa if needed and return the trained model (training only if data changed)."""
    paths = RasaPaths(settings.project_root, settings.cache_dir)
    ensure_venv(paths, settings.rasa_python)
    return ensure_model(paths)


@contextlib.asynccontextmanager
async def rasa_and_actions(settings: Settings) -> AsyncIterator[None]:
    """Rasa server and action server running (or an already running Rasa at RASA_URL)."""
    rasa = RasaClient(settings.rasa_url, settings.rasa_token)
    children: list[ChildProcess] = []
    logs = settings.data_dir / "logs"
    try:
        if await rasa.ready():
            logger.info("using the Rasa server already running at %s", settings.rasa_url)
        else:
            model = await asyncio.to_thread(prepare_rasa, settings)
            actions = ChildProcess(
                "actions",
                action_server_command(settings.action_server_port),
                logs / "actions.log",
                dict(os.environ),
                settings.project_root,
            )
            children.append(actions)
            port = urlparse(settings.rasa_url).port or 5005
            paths = RasaPaths(settings.project_root, settings.cache_dir)
            command = rasa_server_command(paths, settings, model, port, settings.data_dir / "run")
            server = ChildProcess(
                "rasa",
                command,
                logs / "rasa.log",
                rasa_server_environment(settings),
                settings.project_root,
            )
            children.append(server)
            logger.info(
                "starting the action server on port %s and Rasa on port %s …",
                settings.action_server_port,
                port,
            )
            health = settings.action_server_url.removesuffix("/webhook") + "/health"
            await _wait_until(
                lambda: _http_ok(health), actions, ACTIONS_START_TIMEOUT, "the action server"
            )
            await _wait_until(rasa.ready, server, RASA_START_TIMEOUT, "Rasa")
        await rasa.parse("hallo")  # warm the model before the first user waits for it
        logger.info("Rasa ready at %s (logs in %s)", settings.rasa_url, logs)
        yield
    finally:
        await rasa.close()
        for child in reversed(children):
            logger.info("stopping %s", child.name)
            await asyncio.to_thread(child.stop)
