"""Configuration is read once, from the environment over .env, and refuses bad values."""

from pathlib import Path

import pytest

from bot.config import DEFAULT_TELEGRAM_API_URL, ConfigError, load_settings


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


def test_pseudonym_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(environ={"DATA_DIR": str(tmp_path)}, env_file=tmp_path / "none")
    second = load_settings(environ={"DATA_DIR": str(tmp_path)}, env_file=tmp_path / "none")
    assert first.pseudonym_key == second.pseudonym_key
    assert len(first.pseudonym_key) >= 32
    assert (tmp_path / "pseudonym.key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "BotFather"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("RETENTION_DAYS", "soon", "whole number"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("PSEUDONYM_KEY", "short", "16 characters"),
    ],
)
def test_bad_values_are_refused_with_a_useful_message(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ={"DATA_DIR": str(tmp_path), name: value}, env_file=tmp_path / "x")
