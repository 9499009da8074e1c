"""Child processes that never outlive the bot: Rasa and the action server.

Two guards, because a SIGKILLed bot runs no clean-up code:
- On Linux each child asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG).
  The signal fires when the *thread* that forked the child exits, so children are only given
  it when spawned from the main thread (where the event loop runs), never from a worker thread.
- The children's pids and start times are recorded in data/run/children.json (with the bot's
  own); the next start kills any recorded child still alive (its whole process group) instead
  of reusing it, unless the bot that started it still runs. The start time (from /proc) tells
  our child from an unrelated process that got the same pid.
- The death signal reaches the child itself, not what it started: the action server's Sanic
  worker outlived its killed leader, kept serving the port with the old code and made every
  new action server fail to bind. So the next start also kills what is left of a recorded
  child's process group when the child itself is gone (a process group id is never handed
  to a new process while its group has members, so that group can only be ours).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
CHILDREN_FILE = "children.json"
STALE_KILL_WAIT = 5.0

_prctl: Callable[..., int] | None = None
if sys.platform.startswith("linux"):
    # Looked up once here: the pre-exec hook runs between fork and exec and must do no more
    # than one libc call.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
    _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    _prctl.restype = ctypes.c_int


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that makes the child die by SIGKILL when the bot dies (Linux only)."""
    if _prctl is None or threading.current_thread() is not threading.main_thread():
        return None
    prctl = _prctl
    parent = os.getpid()

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the bot died before the signal was armed
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


class ChildProcess:
    """A child process with its output in a log file, stopped politely, then firmly.

    It runs in a session (process group) of its own, so stopping it stops whatever it started.
    """

    def __init__(
        self, name: str, command: list[str], log_file: Path, env: dict[str, str], cwd: Path
    ) -> None:
        self.name = name
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_file.open("ab")  # O_APPEND: the log can be copy-truncated under us
        self.log_file = log_file
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent(),  # one prctl call; see the hook
        )
        self.started = process_start_time(self.process.pid)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

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
        # What is left of its process group: a Sanic worker outlives a leader killed with -9
        # and would keep the port, so the restarted child could never bind it.
        self._signal(signal.SIGKILL)
        self._log.close()


def process_start_time(pid: int) -> int | None:
    """When `pid` started (clock ticks after boot, /proc/<pid>/stat field 22); None if gone.

    A zombie counts as gone: it runs nothing and only waits for its parent to reap it.
    """
    fields = _live_stat(Path(f"/proc/{pid}"))
    return int(fields[19]) if fields else None


def _live_stat(process: Path) -> list[str] | None:
    """/proc/<pid>/stat after the name (state, ppid, pgrp, …); None if gone or a zombie."""
    try:
        stat = (process / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the name in (...) may contain spaces
    return None if fields[0] in {"Z", "X"} else fields


@dataclass(frozen=True)
class ChildRecord:
    """One child as written to children.json."""

    name: str
    pid: int
    started: int | None

    def still_running(self) -> bool:
        """The very process we started is alive (not just some process with its pid)."""
        return self.started is not None and process_start_time(self.pid) == self.started


def record_children(run_dir: Path, children: Iterable[ChildProcess]) -> None:
    """Write the bot's and its children's pids for the next start (atomically)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    me = os.getpid()
    content = {
        "bot": asdict(ChildRecord("bot", me, process_start_time(me))),
        "children": [asdict(ChildRecord(c.name, c.pid, c.started)) for c in children],
    }
    tmp = run_dir / f"{CHILDREN_FILE}.tmp"
    tmp.write_text(json.dumps(content, indent=1))
    os.replace(tmp, run_dir / CHILDREN_FILE)


def forget_children(run_dir: Path) -> None:
    """After a clean stop nothing is left to kill."""
    (run_dir / CHILDREN_FILE).unlink(missing_ok=True)


def _record(raw: dict[str, object]) -> ChildRecord:
    started = raw.get("started")
    return ChildRecord(
        str(raw["name"]), int(str(raw["pid"])), int(str(started)) if started else None
    )


def recorded_children(run_dir: Path) -> tuple[ChildRecord | None, list[ChildRecord]]:
    """The bot that wrote children.json, and its children (None, [] if there is no file)."""
    try:
        raw = json.loads((run_dir / CHILDREN_FILE).read_text())
        bot = _record(raw["bot"])
        return bot, [_record(child) for child in raw["children"]]
    except FileNotFoundError:
        return None, []
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring an unreadable %s", run_dir / CHILDREN_FILE)
        return None, []


def kill_stale_children(run_dir: Path) -> list[ChildRecord]:
    """Kill the children an earlier, killed run left behind; returns those it killed.

    Children of a bot that still runs on this data folder are not stale: they are left alone.
    Blocking (waits up to a few seconds for them to go): call it in a thread.
    """
    bot, children = recorded_children(run_dir)
    if bot is not None and bot.pid != os.getpid() and bot.still_running():
        logger.warning(
            "another bot (pid %s) runs on this data folder; its Rasa and action server are "
            "left alone",
            bot.pid,
        )
        return []
    killed = []
    for record in children:
        if record.still_running():
            logger.warning(
                "killing %s (pid %s) left running by an earlier start of the bot; it is not reused",
                record.name,
                record.pid,
            )
            with contextlib.suppress(ProcessLookupError):
                if os.getpgid(record.pid) == record.pid:
                    os.killpg(record.pid, signal.SIGKILL)
                else:
                    os.kill(record.pid, signal.SIGKILL)
            killed.append(record)
        elif process_start_time(record.pid) is None and (left := group_members(record.pid)):
            logger.warning(
                "killing what %s (pid %s, gone) of an earlier start of the bot left running: "
                "%d process(es) of its group",
                record.name,
                record.pid,
                len(left),
            )
            with contextlib.suppress(ProcessLookupError):
                os.killpg(record.pid, signal.SIGKILL)
            killed.append(record)
    deadline = time.monotonic() + STALE_KILL_WAIT
    while time.monotonic() < deadline and any(
        r.still_running() or group_members(r.pid) for r in killed
    ):
        time.sleep(0.1)
    forget_children(run_dir)
    return killed


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) of process group `pgid`, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _live_stat(entry)) and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members
