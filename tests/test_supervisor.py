"""The operator runs `python -m bot run`: Rasa and the action server are started, watched and
restarted when they crash or hang, die with the bot, and log files do not grow or stay for ever
(also with `serve`, next to an external Rasa)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.app import Assistant
from bot.logging_setup import tidy_log_files
from bot.rasa.access import create_rasa_token
from bot.rasa.children import (
    CHILDREN_FILE,
    ChildProcess,
    ChildRecord,
    group_members,
    kill_stale_children,
    process_start_time,
    recorded_children,
)
from bot.rasa.supervisor import Liveness, Supervised
from tests.conftest import DATA_KEY, UserChat, make_settings
from tests.fake_telegram import FakeTelegram, Sent
from tests.servers import Process, free_port, python_module

# A process that answers GET /status like a Rasa with a model loaded, and nothing else.
FAKE_RASA = """
import http.server, sys
class Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"model_id": "an-old-model"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Status).serve_forever()
"""


def _orphan(command: list[str], stdout: int | None = None) -> subprocess.Popen[bytes]:
    """A process in a session of its own that does not die with us (like a leftover child)."""
    return subprocess.Popen(command, start_new_session=True, stdout=stdout)


def _orphan_with_helper() -> tuple[subprocess.Popen[bytes], int]:
    """An orphan that started a helper of its own (same process group), and the helper's pid."""
    leader = _orphan(["sh", "-c", "sleep 300 & echo $!; wait"], stdout=subprocess.PIPE)
    assert leader.stdout is not None
    helper = int(leader.stdout.readline())
    leader.stdout.close()
    return leader, helper


GONE_BOT = ChildRecord("bot", 1, None)  # a bot no longer running


def _record(run_dir: Path, *children: ChildRecord, bot: ChildRecord = GONE_BOT) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    content = {"bot": bot.__dict__, "children": [r.__dict__ for r in children]}
    (run_dir / CHILDREN_FILE).write_text(json.dumps(content))


def _children(data_dir: Path) -> dict[str, ChildRecord]:
    _, children = recorded_children(data_dir / "run")
    return {r.name: r for r in children}


def _started(process: subprocess.Popen[bytes]) -> ChildRecord:
    return ChildRecord("a process", process.pid, process_start_time(process.pid))


async def _log_says(bot: Process, line: str, within: float) -> None:
    deadline = time.monotonic() + within
    while line not in bot.log_file.read_text(errors="replace"):
        assert bot.alive(), f"the bot exited:\n{bot.tail()}"
        assert time.monotonic() < deadline, f"no log line {line!r}:\n{bot.tail()}"
        await asyncio.sleep(0.5)


def _bot_environment(data_dir: Path, telegram: FakeTelegram, rasa_port: int) -> dict[str, str]:
    """A bot process of its own on SQLite in `data_dir`, talking to the fake Telegram."""
    create_rasa_token(data_dir)
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{data_dir / 'assistant.db'}",
        "DATA_DIR": str(data_dir),
        "DATA_KEY": DATA_KEY,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "TELEGRAM_POLL_TIMEOUT": "1",
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "ACTION_SERVER_PORT": str(free_port()),
        "DASHBOARD_PORT": str(free_port()),
    }


async def _answers(user: UserChat, count: int, within: float) -> list[Sent]:
    messages = await user.telegram.wait_for(user.chat_id, user.seen + count, within=within)
    new = messages[user.seen :]
    user.seen = len(messages)
    return new


@pytest.fixture
def stale_rasa(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """What a SIGKILLed bot of old left behind: its 'Rasa', still answering, recorded as its
    child in data/run/children.json."""
    port = free_port()
    process = _orphan([sys.executable, "-c", FAKE_RASA, str(port)])
    _record(tmp_path / "run", ChildRecord("rasa", process.pid, process_start_time(process.pid)))
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/status", timeout=1)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "the stale Rasa did not start"
            time.sleep(0.2)
    yield process, port
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.e2e
async def test_crashed_rasa_and_action_server_come_back_answer_what_waited_and_die_with_the_bot(
    rasa_model: Path,
    telegram: FakeTelegram,
    user: UserChat,
    tmp_path: Path,
    stale_rasa: tuple[subprocess.Popen[bytes], int],
) -> None:
    stale, rasa_port = stale_rasa
    env = _bot_environment(tmp_path, telegram, rasa_port)
    bot = Process(python_module(["bot", "run"]), tmp_path / "bot.log", env)
    try:
        # The leftover of the killed run is killed, not reused: our own Rasa answers.
        await telegram.user_says(user.chat_id, "Wie finde ich eine Wohnung?")
        [flat] = await _answers(user, 1, within=300)
        assert "Quellen" in flat.text, bot.tail()
        assert stale.poll() == -signal.SIGKILL
        assert f"killing rasa (pid {stale.pid}) left running by an earlier start" in bot.tail(400)

        # Rasa crashes; the question asked meanwhile waits and is answered once it is back.
        os.kill(_children(tmp_path)["rasa"].pid, signal.SIGKILL)
        await _log_says(bot, "Rasa exited with code -9; restarting in 1 s (restart #1)", 10)
        await telegram.user_says(user.chat_id, "Was ist das Jobcenter?")
        apology, jobcenter = await _answers(user, 2, within=180)
        assert "technischen Problems" in apology.text
        assert "Quellen" in jobcenter.text
        await _log_says(bot, "Rasa is ready again (restart #1)", 10)

        # The action server crashes; the question asked meanwhile is answered too.
        os.kill(_children(tmp_path)["actions"].pid, signal.SIGKILL)
        await _log_says(bot, "action server exited with code -9; restarting in 1 s", 10)
        await telegram.user_says(user.chat_id, "Wie bekomme ich einen Integrationskurs?")
        await _log_says(bot, "the action server is ready again (restart #1)", 90)
        # (with an apology first if the user was quicker than the restart; the answer has
        # residence-status variants, so the bot may ask for the user's paper right after it)
        answers = await _answers(user, 1, within=120)
        if not any("Quellen" in a.text for a in answers):
            answers += await _answers(user, 1, within=120)
        answered = [a for a in answers if "Quellen" in a.text]
        assert len(answered) == 1 and len(answers) <= 3, [a.text[:60] for a in answers]

        # The bot itself is killed: its children go with it.
        children = _children(tmp_path)
        assert set(children) == {"rasa", "actions"}
        os.kill(bot.pid, signal.SIGKILL)
        bot.process.wait()
        deadline = time.monotonic() + 5
        while any(c.still_running() for c in children.values()):
            assert time.monotonic() < deadline, f"orphans left: {children}"
            await asyncio.sleep(0.1)
    finally:
        bot.stop()
        for child in _children(tmp_path).values():
            if child.still_running():
                os.killpg(child.pid, signal.SIGKILL)
    assert "Traceback" not in bot.log_file.read_text(errors="replace")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_an_operator_stops_the_bot_with_a_signal_and_it_stops_cleanly(
    telegram: FakeTelegram, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    """systemd and Docker send SIGTERM; a shell that starts the bot in the background makes
    it ignore SIGINT (so SIGINT must be caught, not inherited): both stop it in order."""
    env = _bot_environment(tmp_path, telegram, free_port())  # Rasa: not needed to stop
    command = python_module(["bot", "serve"])
    ignoring_sigint = ["python3", "-c", _EXEC_IGNORING_SIGINT, *command]
    bot = Process(ignoring_sigint, tmp_path / "bot.log", env)
    try:
        await _log_says(bot, "ready:", 60)
        bot.process.send_signal(stop_signal)
        code = await asyncio.to_thread(bot.process.wait, 20)
        assert code == 0, bot.tail()
        assert "stopped" in bot.tail(), bot.tail()
    finally:
        bot.stop()
    assert "Traceback" not in bot.log_file.read_text(errors="replace")


# As `cmd &` in a non-interactive shell does: SIGINT ignored, then the program started.
_EXEC_IGNORING_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execvp(sys.argv[1], sys.argv[1:])"
)


def test_a_recorded_child_left_running_is_killed_with_its_group_but_a_stranger_is_not(
    tmp_path: Path,
) -> None:
    left, helper = _orphan_with_helper()  # a child of a killed run, with a helper of its own
    # An unrelated process that got a recorded pid after a reboot: another start time.
    stranger = _orphan(["sleep", "300"])
    started = process_start_time(stranger.pid)
    assert started is not None
    _record(
        tmp_path,
        ChildRecord("rasa", left.pid, process_start_time(left.pid)),
        ChildRecord("actions", stranger.pid, started - 1),
    )
    try:
        killed = kill_stale_children(tmp_path)
        assert [r.pid for r in killed] == [left.pid]
        assert left.wait(5) == -signal.SIGKILL
        deadline = time.monotonic() + 5
        while process_start_time(helper) is not None:  # the group went too
            assert time.monotonic() < deadline, "the child's own helper survived"
            time.sleep(0.05)
        assert stranger.poll() is None
        assert not (tmp_path / CHILDREN_FILE).exists()
    finally:
        for process in (left, stranger):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_a_worker_that_outlived_its_recorded_child_is_killed_with_what_is_left_of_the_group(
    tmp_path: Path,
) -> None:
    """The death signal killed the action server, not its Sanic worker, which kept the port."""
    left, worker = _orphan_with_helper()
    record = ChildRecord("actions", left.pid, process_start_time(left.pid))
    left.kill()  # as PR_SET_PDEATHSIG does when the bot is SIGKILLed
    left.wait()
    assert process_start_time(worker) is not None
    _record(tmp_path, record)
    try:
        assert [r.pid for r in kill_stale_children(tmp_path)] == [left.pid]
        assert process_start_time(worker) is None
        assert group_members(left.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(left.pid, signal.SIGKILL)


def test_big_logs_are_rotated_while_the_child_writes_on_and_old_copies_age_out(
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    quiet = logs / "actions.log"
    quiet.write_text("one line\n")
    expired = logs / "rasa.log.20200101-000000.gz"
    recent = logs / "rasa.log.20200102-000000.gz"
    for old, days in ((expired, 31), (recent, 29)):
        old.write_bytes(gzip.compress(b"old\n"))
        when = time.time() - days * 24 * 3600
        os.utime(old, (when, when))
    with (logs / "rasa.log").open("ab") as child_output:  # as a child holds it: O_APPEND
        child_output.write(b"x" * 200 + b"\n")
        child_output.flush()

        tidy_log_files(logs, retention_days=30, every=False, max_bytes=100)

        [rotated] = [p for p in logs.glob("rasa.log.*.gz") if p not in (expired, recent)]
        assert gzip.decompress(rotated.read_bytes()) == b"x" * 200 + b"\n"
        child_output.write(b"after\n")
        child_output.flush()
    assert (logs / "rasa.log").read_bytes() == b"after\n"  # no hole where the old text was
    assert not expired.exists() and recent.exists()
    assert quiet.read_text() == "one line\n"  # small: kept until the daily rotation

    tidy_log_files(logs, retention_days=30, every=True, max_bytes=100)
    assert quiet.read_text() == ""
    [daily] = logs.glob("actions.log.*.gz")
    assert gzip.decompress(daily.read_bytes()) == b"one line\n"


def test_a_second_bot_on_the_same_data_folder_leaves_the_first_ones_children_alone(
    tmp_path: Path,
) -> None:
    first_bot, its_rasa = _orphan(["sleep", "300"]), _orphan(["sleep", "300"])
    _record(tmp_path, _started(its_rasa), bot=_started(first_bot))
    try:
        assert kill_stale_children(tmp_path) == []
        assert its_rasa.poll() is None
    finally:
        for process in (first_bot, its_rasa):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# A child that answers until asked to freeze; then it accepts connections and answers none
# (one thread, stuck: what a hung Rasa looks like from outside).
FREEZING_CHILD = """
import http.server, sys, time
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/freeze":
            time.sleep(3600)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


async def test_a_child_that_runs_but_stops_answering_is_killed_once_and_restarted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    children: list[ChildProcess] = []

    def spawn() -> ChildProcess:
        command = [sys.executable, "-c", FREEZING_CHILD, str(port)]
        child = ChildProcess("fake", command, tmp_path / "fake.log", dict(os.environ), tmp_path)
        children.append(child)
        return child

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient(timeout=1.0) as client:
                return (await client.get(url)).status_code == 200
        except httpx.HTTPError:
            return False

    supervised = Supervised(
        "the fake Rasa",
        spawn,
        ready,
        timeout=30,
        on_spawn=lambda: None,
        liveness=Liveness(url, interval=0.2, timeout=0.5, misses=3),
    )
    caplog.set_level(logging.INFO, logger="bot.rasa.supervisor")
    supervised.spawn()
    await supervised.until_ready()
    watcher = asyncio.create_task(supervised.watch())
    try:
        await asyncio.sleep(1.0)  # probes answered: nothing happens to a healthy child
        assert supervised.restarts == 0 and children[0].alive()
        async with httpx.AsyncClient(timeout=0.5) as client:
            with pytest.raises(httpx.TimeoutException):
                await client.get(f"{url}freeze")
        deadline = time.monotonic() + 60
        while "the fake Rasa is ready again" not in caplog.text:
            assert time.monotonic() < deadline, caplog.text
            await asyncio.sleep(0.2)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await supervised.stop()
    assert children[0].exit_code == -signal.SIGKILL
    hung = [r for r in caplog.records if "liveness probes" in r.getMessage()]
    assert [r.levelname for r in hung] == ["WARNING"]
    assert "the fake Rasa runs but did not answer 3 liveness probes in a row" in hung[0].message
    assert "the fake Rasa exited with code -9; restarting in 1 s (restart #1)" in caplog.text
    assert "the fake Rasa is ready again (restart #1)" in caplog.text
    assert supervised.restarts == 1 and len(children) == 2


async def test_the_bot_next_to_an_external_rasa_rotates_and_ages_out_its_log_files_too(
    database_url: str, telegram: FakeTelegram, tmp_path: Path
) -> None:
    # `python -m bot serve`: no supervisor, the operator runs Rasa and sends logs to data/logs.
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "bot.log").write_text("one line\n")
    expired = logs / "bot.log.20200101-000000.gz"
    expired.write_bytes(gzip.compress(b"old\n"))
    when = time.time() - 200 * 24 * 3600
    os.utime(expired, (when, when))
    settings = make_settings(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path),
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.url,
        TELEGRAM_POLL_TIMEOUT="1",
        RASA_URL=f"http://127.0.0.1:{free_port()}",
    )
    bot = Assistant(settings)
    await bot.start()
    try:
        deadline = time.monotonic() + 30
        while expired.exists() or not list(logs.glob("bot.log.2*.gz")):
            assert time.monotonic() < deadline, sorted(p.name for p in logs.iterdir())
            await asyncio.sleep(0.2)
    finally:
        await bot.stop()
    [rotated] = logs.glob("bot.log.*.gz")
    assert gzip.decompress(rotated.read_bytes()) == b"one line\n"
    assert (logs / "bot.log").read_text() == ""
