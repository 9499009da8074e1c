"""Configuration is read once, from the environment over .env, and refuses bad values."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _with_data_key
from bot.config import DEFAULT_TELEGRAM_API_URL, ConfigError, load_settings
from bot.data_key import MISSING_DATA_KEY, create_data_key
from tests.servers import ROOT


def test_defaults_give_an_offline_assistant_with_sqlite(tmp_path: Path) -> None:
    settings = load_settings(environ={"DATA_DIR": str(tmp_path)}, env_file=tmp_path / "none")
    assert settings.telegram_bot_token is None and not settings.telegram_enabled
    assert settings.telegram_api_url == DEFAULT_TELEGRAM_API_URL
    assert settings.database_url == f"sqlite:///{tmp_path / 'assistant.db'}"
    assert settings.rasa_url == "http://127.0.0.1:5005"


def test_environment_wins_over_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=DEBUG\nRETENTION_DAYS=30\nTELEGRAM_API_URL=http://file/\n")
    settings = load_settings(
        environ={"DATA_DIR": str(tmp_path), "RETENTION_DAYS": "90"}, env_file=env_file
    )
    assert settings.log_level == "DEBUG"
    assert settings.retention_days == 90
    assert settings.telegram_api_url == "http://file"  # trailing slash removed


def test_loading_settings_writes_nothing_and_finds_no_data_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = load_settings(environ={"DATA_DIR": str(data_dir)}, env_file=tmp_path / "none")
    assert settings.data_key is None
    assert list(data_dir.iterdir()) == []


def test_setup_makes_the_data_key_once_owner_only_and_settings_read_it(tmp_path: Path) -> None:
    path = create_data_key(tmp_path)
    assert path == tmp_path / "data.key"
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        create_data_key(tmp_path)  # never replaced: the cached translations would be lost
    settings = load_settings(environ={"DATA_DIR": str(tmp_path)}, env_file=tmp_path / "none")
    assert settings.data_key == path.read_text().strip().encode()
    assert len(settings.data_key) >= 32
    assert settings.data_key.decode() not in repr(settings)


def test_an_install_from_before_the_rename_keeps_its_key(tmp_path: Path) -> None:
    (tmp_path / "pseudonym.key").write_text("old-secret-from-the-file-0123456789")
    from_file = load_settings(environ={"DATA_DIR": str(tmp_path)}, env_file=tmp_path / "none")
    assert from_file.data_key == b"old-secret-from-the-file-0123456789"
    old_env = {"DATA_DIR": str(tmp_path), "PSEUDONYM_KEY": "old-secret-from-env-0123"}
    from_env = load_settings(environ=old_env, env_file=tmp_path / "none")
    assert from_env.data_key == b"old-secret-from-env-0123"
    assert "old-secret" not in repr(from_env)


def test_run_on_postgresql_without_a_data_key_refuses_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "RASA_TOKEN": "a-rasa-token-0123456789",
        "DATA_KEY": "",
        "PSEUDONYM_KEY": "",
        "TELEGRAM_BOT_TOKEN": "",
    }
    for command in ("run", "serve"):
        result = subprocess.run(
            [sys.executable, "-m", "bot", command],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [f"configuration error: {MISSING_DATA_KEY}"]
        assert "python -m bot setup" in result.stderr and "DATA_KEY" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_first_run_on_sqlite_creates_the_data_key_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(environ={"DATA_DIR": str(tmp_path)}, env_file=tmp_path / "none")
    with caplog.at_level(logging.INFO, logger="bot"):
        keyed = _with_data_key(settings)
    assert keyed is not None and keyed.data_key is not None
    assert (tmp_path / "data.key").stat().st_mode & 0o777 == 0o600
    assert [r.getMessage() for r in caplog.records] == [
        f"created the data key {tmp_path / 'data.key'}"
    ]
    assert _with_data_key(keyed) is keyed  # the second run finds it


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "BotFather"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("RETENTION_DAYS", "soon", "whole number"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("DATA_KEY", "short", "16 characters"),
    ],
)
def test_bad_values_are_refused_with_a_useful_message(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={"DATA_DIR": str(tmp_path), name: value}, env_file=tmp_path / "x")
