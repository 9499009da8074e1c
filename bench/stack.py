"""The whole stack as `make run` starts it, and what its processes cost (RSS and CPU from /proc).

`python -m bot run` is started with its own DATA_DIR and free ports, pointed at the fake Bot
API; it starts the action server and Rasa itself, exactly as in production. Its children are
found by parent pid and told apart by their command line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.rasa.access import create_rasa_token

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """`python -m bot run` against the fake Bot API; ready when its log says "ready:"."""

    data_dir: Path
    telegram_url: str
    telegram_token: str
    database_url: str
    rasa_url: str = ""
    rasa_token: str = ""
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    log_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_file = self.data_dir / "bot.log"
        self.rasa_url = f"http://127.0.0.1:{free_port()}"

    def start(self) -> None:
        token_file = create_rasa_token(self.data_dir)
        self.rasa_token = token_file.read_text().strip()
        env = {
            **os.environ,
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "TELEGRAM_BOT_TOKEN": self.telegram_token,
            "TELEGRAM_API_URL": self.telegram_url,
            "RASA_URL": self.rasa_url,
            "ACTION_SERVER_PORT": str(free_port()),
            "DASHBOARD_PORT": str(free_port()),
            "PSEUDONYM_KEY": "bench-pseudonym-key-0123456789",
            "TRANSLATOR": "none",
            "LOG_LEVEL": "INFO",
        }
        self.started_at = time.monotonic()
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )

    async def wait_ready(self, limit: float = 300.0) -> float:
        """Seconds from process start to the bot's "ready:" log line."""
        assert self.process is not None
        deadline = self.started_at + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited early:\n{self.tail()}")
            if "ready: " in self.log_file.read_text(errors="replace"):
                return time.monotonic() - self.started_at
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the bot was not ready after {limit:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGINT like Ctrl-C (the bot stops Rasa and the action server itself)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- processes ------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds, RSS bytes) of one process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    ppid = int(fields[1])
    cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    rss = int(fields[21]) * PAGE
    return ppid, cpu, rss


def cpu_seconds_of(pid: int) -> float:
    stat = _stat(pid)
    return stat[1] if stat else 0.0


def _role(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other"
    if "rasa" in cmdline:
        return "rasa"
    if "bot actions" in cmdline:
        return "actions"
    return "other"


def process_tree(root: int) -> dict[int, str]:
    """pid -> role (bot, rasa, actions) of `root` and all its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                parents[int(entry.name)] = stat[0]
    roles = {root: "bot"}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if pid not in roles and ppid in roles:
                role = _role(pid)
                roles[pid] = role if role != "other" else roles[ppid]
                changed = True
    return roles


@dataclass
class Usage:
    """RSS samples (bytes) per role and in total, and CPU seconds per role."""

    rss: dict[str, list[int]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, float]]:
        mib = 1024 * 1024
        return {
            role: {
                "peak_mib": round(max(values) / mib, 1),
                "mean_mib": round(sum(values) / len(values) / mib, 1),
            }
            for role, values in self.rss.items()
            if values
        }


class Sampler:
    """Samples RSS of every process of the stack once a second, for the whole run."""

    def __init__(self, root_pid: int, interval: float = 1.0) -> None:
        self.root_pid = root_pid
        self.interval = interval
        self.usage = Usage()
        self._task: asyncio.Task[None] | None = None

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each role (children included)."""
        totals: dict[str, float] = {}
        for pid, role in process_tree(self.root_pid).items():
            stat = _stat(pid)
            if stat is not None:
                totals[role] = totals.get(role, 0.0) + stat[1]
        return totals

    def sample(self) -> None:
        per_role: dict[str, int] = {}
        for pid, role in process_tree(self.root_pid).items():
            stat = _stat(pid)
            if stat is not None:
                per_role[role] = per_role.get(role, 0) + stat[2]
        for role, rss in per_role.items():
            self.usage.rss.setdefault(role, []).append(rss)
        self.usage.rss.setdefault("total", []).append(sum(per_role.values()))

    async def _run(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
