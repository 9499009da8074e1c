"""A developer runs `make run` while `make test` installs Rasa or trains the model in the same
cache: the second process waits for the first instead of deleting its half-built venv."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.rasa.cache_lock import cache_lock, lock_file
from bot.rasa.runtime import RASA_LOCK, RasaPaths, ensure_venv

# Another process in its critical section: it says when it is in, and leaves when told.
HOLDER = """
import sys
from pathlib import Path
from bot.rasa.cache_lock import cache_lock
events = Path(sys.argv[2])
with cache_lock(Path(sys.argv[1]), "installing Rasa"):
    with events.open("a") as f:
        f.write("first in\\n")
    print("in", flush=True)
    sys.stdin.readline()
    exec(sys.argv[3])
    with events.open("a") as f:
        f.write("first out\\n")
"""


def _holder(lock: Path, events: Path, before_leaving: str = "pass") -> subprocess.Popen[str]:
    """A second process that holds `lock` until a line arrives on its stdin."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), str(events), before_leaving],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "in\n"
    return process


def _release(process: subprocess.Popen[str]) -> None:
    """Tell the holder to leave its critical section, and wait until it has exited."""
    assert process.stdin is not None and process.stdout is not None
    if process.poll() is None:
        process.stdin.write("go\n")
    process.stdin.close()
    process.wait(30)
    process.stdout.close()


def _waiting_line_logged(caplog: pytest.LogCaptureFixture, done: threading.Event) -> None:
    """Until the waiting process has said it waits (its only log line before entering)."""
    while "waiting for another process" not in caplog.text:
        assert not done.is_set(), "the second process entered without waiting"
        done.wait(0.05)


def test_the_second_process_waits_until_the_first_has_left_the_critical_section(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lock, events = lock_file(tmp_path, "rasa-venv-abc"), tmp_path / "events"
    first = _holder(lock, events)
    done = threading.Event()

    def second() -> None:
        with cache_lock(lock, "installing Rasa"), events.open("a") as f:
            f.write("second in\n")
        done.set()

    caplog.set_level(logging.INFO, logger="bot.rasa.cache_lock")
    waiter = threading.Thread(target=second)
    waiter.start()
    try:
        _waiting_line_logged(caplog, done)
        assert "waiting for another process that is installing Rasa" in caplog.text
        assert events.read_text() == "first in\n"
    finally:
        _release(first)
        waiter.join(30)
    assert events.read_text() == "first in\nfirst out\nsecond in\n"


def test_a_lock_held_by_a_killed_process_is_free_again(tmp_path: Path) -> None:
    lock, events = lock_file(tmp_path, "model-abc.tar.gz"), tmp_path / "events"
    first = _holder(lock, events)
    first.kill()
    _release(first)
    with cache_lock(lock, "training the model"):
        pass


def test_a_venv_finished_by_the_process_we_waited_for_is_used_not_installed_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / RASA_LOCK).parent.mkdir(parents=True)
    (tmp_path / RASA_LOCK).write_text("rasa==3.6.0\n")
    paths = RasaPaths(tmp_path, tmp_path / "cache")
    lock = lock_file(paths.cache_dir, paths.venv.name)
    # The first installer finishes its venv just before it leaves.
    finish = f"Path({str(paths.venv)!r}).mkdir(parents=True); " + (
        f"Path({str(paths.venv / '.complete')!r}).write_text('ok')"
    )
    first = _holder(lock, tmp_path / "events", finish)
    result: list[Path] = []
    done = threading.Event()

    def second() -> None:
        # A Python that does not exist: installing (not just reusing) would raise.
        result.append(ensure_venv(paths, "/nonexistent/python3.10"))
        done.set()

    caplog.set_level(logging.INFO, logger="bot.rasa.cache_lock")
    waiter = threading.Thread(target=second)
    waiter.start()
    try:
        _waiting_line_logged(caplog, done)
    finally:
        _release(first)
        waiter.join(30)
    assert result == [paths.venv]
    assert (paths.venv / ".complete").read_text() == "ok"
