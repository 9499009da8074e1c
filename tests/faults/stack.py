"""The whole product as real processes: `python -m bot run` with its Rasa and action server.

The bot starts Rasa and the action server itself (bot/rasa/supervisor.py). Every process of
one stack carries a marker in its environment, so the tests can find Rasa and the action
server to kill them, and can sweep away anything left over — even children that outlived a
SIGKILLed bot — however a test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import httpx

from bot.rasa.access import create_rasa_token
from tests.fake_telegram import FakeTelegram
from tests.servers import ROOT, free_port, python_module

MARK = "GK_FAULT_SUITE_STACK"
READY_LINE = "ready: serving"
START_TIMEOUT = 300.0
DATA_KEY = "fault-suite-data-key-0123456789"
# Settings a developer's environment might carry; the stack sets its own.
_OWN = (
    "DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "RASA_URL", "RASA_TOKEN",
    "ACTION_SERVER_PORT", "ACTION_SERVER_HOST", "DATA_DIR", "DASHBOARD_PORT", "TRANSLATOR",
    "TRANSLATOR_URL", "TRANSLATOR_TIMEOUT", "STAFF_CHAT_ID", "TRACKER_STORE_URL", "DATA_KEY",
    "PSEUDONYM_KEY", "LOG_LEVEL",
)  # fmt: skip


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def marked_processes(mark: str) -> list[int]:
    """Every live process started for the stack with this mark (the bot and its children)."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if needle in _environ(pid).split(b"\0") and running(pid):
            found.append(pid)
    return found


_all_marks: list[str] = []


def sweep_all_stacks() -> None:
    """SIGKILL every process any stack of this test run started that is still alive."""
    for mark in _all_marks:
        kill_all(marked_processes(mark))


def kill_all(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class BotStack:
    """One deployment: data folder, database, ports, and the bot process (restartable)."""

    def __init__(
        self,
        root: Path,
        database_url: str,
        telegram: FakeTelegram,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.mark = uuid.uuid4().hex
        _all_marks.append(self.mark)
        self.data_dir = root / "data"
        create_rasa_token(self.data_dir)  # what `python -m bot setup` does once
        self.database_url = database_url
        self.rasa_port, self.action_port, dashboard_port = free_port(), free_port(), free_port()
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        self.log_file = root / "bot.log"
        env = {k: v for k, v in os.environ.items() if k not in _OWN}
        self.env = {
            **env,
            MARK: self.mark,
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_URL": telegram.url,
            "TELEGRAM_POLL_TIMEOUT": "1",
            "RASA_URL": self.rasa_url,
            "ACTION_SERVER_PORT": str(self.action_port),
            "DASHBOARD_PORT": str(dashboard_port),
            "DATA_DIR": str(self.data_dir),
            "DATA_KEY": DATA_KEY,
            "PSEUDONYM_KEY": DATA_KEY,  # the same secret under its older name
            "LOG_LEVEL": "INFO",
            "TRANSLATOR": "none",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # --- the bot process ------------------------------------------------------------------

    async def start(self, within: float = START_TIMEOUT) -> None:
        """`python -m bot run`, until it logs its ready line (Rasa loaded, Telegram reached).

        Waits without blocking the event loop: the fake Telegram in this loop must answer.
        """
        ready_before = self._ready_lines()
        self.process = self._spawn()
        self.starts += 1
        deadline = time.monotonic() + within
        while self._ready_lines() <= ready_before:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the bot exited while starting (code {self.process.returncode}):\n"
                    + self.tail()
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot was not ready within {within:.0f} s:\n{self.tail()}")
            await asyncio.sleep(0.5)

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log_file.open("ab") as log:
            log.write(f"\n===== start {self.starts + 1} of the bot =====\n".encode())
            log.flush()
            return subprocess.Popen(
                python_module(["bot", "run"]),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=ROOT,
            )

    def _ready_lines(self) -> int:
        try:
            return self.log_file.read_text(errors="replace").count(READY_LINE)
        except FileNotFoundError:
            return 0

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def kill_bot(self) -> None:
        """SIGKILL the bot process alone, as the OOM killer would: no clean-up code runs."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        await asyncio.to_thread(self.process.wait)

    async def stop(self) -> None:
        """Ctrl-C as an operator would; then sweep whatever is left (nothing, if all is well)."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(asyncio.to_thread(self.process.wait), timeout=30)
            except TimeoutError:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)
        self.sweep()

    def sweep(self) -> list[int]:
        """SIGKILL every process of this stack still alive; returns their pids."""
        left = marked_processes(self.mark)
        kill_all(left)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        return left

    # --- the children -----------------------------------------------------------------

    def children(self, kind: str) -> list[int]:
        """Live pids of `kind` ("rasa" or "actions") started for this stack."""
        needle = "--enable-api" if kind == "rasa" else "bot actions"
        return [pid for pid in marked_processes(self.mark) if needle in _cmdline(pid)]

    async def rasa_ready(self) -> bool:
        token = (self.data_dir / "rasa.token").read_text().strip()
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                response = await client.get(f"{self.rasa_url}/status", params={"token": token})
            return response.status_code == 200 and bool(response.json().get("model_id"))
        except (httpx.HTTPError, ValueError):
            return False

    async def actions_ready(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                response = await client.get(f"http://127.0.0.1:{self.action_port}/health")
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def healthy(self) -> bool:
        """The bot, Rasa and the action server run and answer (a port answering is not enough:
        a stray process of an earlier start could hold it)."""
        return (
            self.alive()
            and bool(self.children("rasa"))
            and bool(self.children("actions"))
            and await self.rasa_ready()
            and await self.actions_ready()
        )

    # --- what a failing test shows --------------------------------------------------------

    def tail(self, lines: int = 40) -> str:
        parts = []
        for name, path in (
            ("bot", self.log_file),
            ("rasa", self.data_dir / "logs" / "rasa.log"),
            ("actions", self.data_dir / "logs" / "actions.log"),
        ):
            try:
                text = _without_sql(path.read_text(errors="replace").splitlines())[-lines:]
            except FileNotFoundError:
                continue
            parts.append(f"--- {name} log ({path}), last {len(text)} lines ---\n" + "\n".join(text))
        return "\n".join(parts)


def _without_sql(lines: list[str]) -> list[str]:
    """The log without SQLAlchemy's statement echo (its lines and their continuations)."""
    kept, in_sql = [], False
    for line in lines:
        if line[:2] == "20" and line[4:5] == "-":  # a new record: "2026-11-26 13:36:56,259 …"
            in_sql = "sqlalchemy.engine" in line
        if not in_sql:
            kept.append(line)
    return kept


async def healthy(stack: BotStack) -> BotStack:
    """The stack up and well (started, or started afresh after an earlier scenario broke it)."""
    if stack.process is None:
        await stack.start()
    elif not await stack.healthy():
        await stack.stop()
        await stack.start()
    return stack
