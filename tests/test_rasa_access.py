"""Rasa is never open: a token made once by setup, owner-only, required by the real server.

Loading settings creates nothing; a token never shows on a command line or in an error; a
Rasa reached unencrypted over a network is warned about.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.rasa.access import TOKEN_FILE, create_rasa_token, warn_if_exposed
from bot.rasa.client import RasaClient, RasaError
from tests.conftest import DATA_KEY, RasaServer, make_settings
from tests.servers import ROOT


def test_loading_settings_creates_no_file_and_finds_no_token(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = make_settings(DATA_DIR=str(data_dir))
    assert settings.rasa_token is None
    assert not data_dir.exists()


def test_the_token_file_is_owner_only_made_once_and_read_by_the_settings(tmp_path: Path) -> None:
    path = create_rasa_token(tmp_path)
    assert path == tmp_path / TOKEN_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        create_rasa_token(tmp_path)  # never silently replaced: Rasa would stop accepting us
    token = path.read_text().strip()
    assert len(token) >= 32
    assert make_settings(DATA_DIR=str(tmp_path)).rasa_token == token
    assert make_settings(DATA_DIR=str(tmp_path), RASA_TOKEN="explicit").rasa_token == "explicit"
    assert token not in repr(make_settings(DATA_DIR=str(tmp_path)))


@pytest.mark.parametrize("command", ["run", "serve"])
def test_run_and_serve_refuse_to_start_without_a_token(tmp_path: Path, command: str) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "RASA_TOKEN": "",
        "DATA_KEY": DATA_KEY,
        "TELEGRAM_BOT_TOKEN": "",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: no Rasa token: run `python -m bot setup` (or `make setup`) once, "
        "or set RASA_TOKEN in .env"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://127.0.0.1:5005", False),
        ("http://localhost:5005", False),
        ("http://[::1]:5005", False),
        ("https://rasa.example.org", False),
        ("http://rasa.example.org:5005", True),
        ("http://10.0.0.7:5005", True),
    ],
)
def test_a_remote_rasa_over_plain_http_is_warned_about_once(
    url: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.rasa.access"):
        assert warn_if_exposed(url) is warned
    warnings = [r for r in caplog.records if r.name == "bot.rasa.access"]
    assert len(warnings) == (1 if warned else 0)
    if warned:
        assert url in warnings[0].getMessage() and "https" in warnings[0].getMessage()


def test_the_action_server_host_is_a_setting_and_loopback_by_default() -> None:
    assert make_settings().action_server_host == "127.0.0.1"
    assert make_settings().action_server_url == "http://127.0.0.1:5055/webhook"
    inside = make_settings(ACTION_SERVER_HOST="actions.internal", ACTION_SERVER_PORT="6000")
    assert inside.action_server_url == "http://actions.internal:6000/webhook"


@pytest.mark.e2e
def test_the_real_rasa_refuses_requests_without_the_token(rasa_server: RasaServer) -> None:
    tracker = f"{rasa_server.url}/conversations/someone/tracker"
    assert httpx.get(tracker, timeout=10).status_code == 401
    assert httpx.get(tracker, params={"token": "wrong"}, timeout=10).status_code == 401
    answer = httpx.get(tracker, params={"token": rasa_server.token}, timeout=10)
    assert answer.status_code == 200


@pytest.mark.e2e
def test_the_token_is_not_on_rasas_command_line(rasa_server: RasaServer) -> None:
    pid = rasa_server.process.process.pid
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    assert "--interface\x00127.0.0.1" in cmdline
    assert rasa_server.token not in cmdline


@pytest.mark.e2e
async def test_a_refused_request_raises_an_error_without_the_url_or_token(
    rasa_server: RasaServer,
) -> None:
    wrong = "wrong-token-that-must-not-leak"
    rasa = RasaClient(rasa_server.url, wrong)
    try:
        with pytest.raises(RasaError) as caught:
            await rasa.ready()
    finally:
        await rasa.close()
    assert caught.value.status == 401
    assert str(caught.value) == "Rasa answered HTTP 401 on /status"
    assert caught.value.__cause__ is None and caught.value.__context__ is None
