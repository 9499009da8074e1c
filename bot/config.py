"""All configuration in one place: environment variables, optionally from a `.env` file.

Read once at start-up (`load_settings`) and passed down; nothing else reads `os.environ`
for product settings. Environment variables win over `.env`, so CI and tests can override.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.data_key import read_data_key
from bot.rasa.access import read_rasa_token

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_TRANSLATOR_URL = "https://translate.googleapis.com"
TRANSLATORS = ("none", "googletrans")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Typed, validated settings of the assistant."""

    telegram_bot_token: str | None
    telegram_api_url: str
    database_url: str
    # Rasa's tracker store (every text it saw): /delete and retention reach it here too.
    tracker_store_url: str = field(repr=False)
    rasa_url: str
    rasa_token: str | None = field(repr=False)
    action_server_port: int
    log_level: str
    data_dir: Path
    project_root: Path
    cache_dir: Path
    # Seals the translation cache; None until `python -m bot setup` made it (see bot/data_key).
    data_key: bytes | None = field(repr=False)
    default_language: str = "de"
    retention_days: int = 180
    # An open case without any activity for this long is escalated to the administrators.
    open_case_max_days: int = 60
    case_response_days: int = 2
    poll_timeout: int = 25
    max_question_chars: int = 1500
    rasa_python: str | None = None
    # Loopback by default: the action server has no authentication (rasa-sdk has none).
    action_server_host: str = "127.0.0.1"
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8080
    dashboard_https: bool = False
    dashboard_idle_minutes: int = 30
    staff_chat_id: int | None = None
    office_hours: str = "Mon-Fri 09:00-16:00"
    timezone: str = "Europe/Berlin"
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Machine translation between caseworkers and users: off unless the operator opts in,
    # because it sends users' messages to an outside service (see README, /privacy).
    translator: str = "none"
    translator_url: str = DEFAULT_TRANSLATOR_URL
    translator_timeout: float = 4.0
    # An answer last checked longer ago than this is shown as due (content check, editors).
    review_max_age: dt.timedelta = dt.timedelta(days=183)
    # How often the bot and the action server look for content published in the dashboard.
    content_refresh_seconds: float = 2.0

    @property
    def dashboard_url(self) -> str:
        scheme = "https" if self.dashboard_https else "http"
        return f"{scheme}://{self.dashboard_host}:{self.dashboard_port}"

    @property
    def content_dir(self) -> Path:
        return self.project_root / "content"

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def action_server_url(self) -> str:
        wildcard = self.action_server_host in {"0.0.0.0", "::"}  # noqa: S104 - compared, not bound
        host = "127.0.0.1" if wildcard else self.action_server_host
        return f"http://{host}:{self.action_server_port}/webhook"


def _int(values: Mapping[str, str | None], name: str, default: int) -> int:
    raw = values.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _bool(values: Mapping[str, str | None], name: str, default: bool) -> bool:
    raw = (values.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _optional_int(values: Mapping[str, str | None], name: str) -> int | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number (a Telegram chat id), got {raw!r}") from exc


def _office_hours(raw: str | None, timezone: str) -> str:
    from bot.cases.office_hours import OfficeHours

    value = (raw or "").strip() or "Mon-Fri 09:00-16:00"
    try:
        OfficeHours.parse(value, timezone)
    except ValueError as exc:
        raise ConfigError(f"OFFICE_HOURS: {exc}") from exc
    return value


def _translator(values: Mapping[str, str | None]) -> tuple[str, str, float]:
    """TRANSLATOR (none | googletrans), TRANSLATOR_URL and TRANSLATOR_TIMEOUT (seconds)."""
    name = (values.get("TRANSLATOR") or "none").strip().lower()
    if name not in TRANSLATORS:
        raise ConfigError(f"TRANSLATOR must be one of {', '.join(TRANSLATORS)}, got {name!r}")
    url = (values.get("TRANSLATOR_URL") or DEFAULT_TRANSLATOR_URL).strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"TRANSLATOR_URL must start with https:// or http://, got {url!r}")
    raw = (values.get("TRANSLATOR_TIMEOUT") or "").strip()
    try:
        timeout = float(raw) if raw else 4.0
    except ValueError as exc:
        raise ConfigError(f"TRANSLATOR_TIMEOUT must be a number of seconds, got {raw!r}") from exc
    if not 0 < timeout <= 30:
        raise ConfigError(f"TRANSLATOR_TIMEOUT must be between 0 and 30 seconds, got {raw!r}")
    return name, url, timeout


def _data_key(values: Mapping[str, str | None], data_dir: Path) -> bytes | None:
    """DATA_KEY or the key file setup made; reading settings never creates it."""
    try:
        return read_data_key(values, data_dir)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


_AGE = re.compile(r"(\d+)\s*(d|days?|w|weeks?|m|months?)?", re.IGNORECASE)
_AGE_DAYS = {"d": 1.0, "w": 7.0, "m": 365.25 / 12}


def _refresh_seconds(raw: str | None) -> float:
    """CONTENT_REFRESH_SECONDS: seconds between checks for published content (default 2)."""
    try:
        seconds = float((raw or "").strip() or 2)
    except ValueError:
        seconds = -1.0
    if not 0.1 <= seconds <= 3600:
        raise ConfigError(f"CONTENT_REFRESH_SECONDS must be 0.1 to 3600 seconds, got {raw!r}")
    return seconds


def _review_max_age(raw: str | None) -> dt.timedelta:
    """REVIEW_MAX_AGE: "6 months" (default), "26 weeks", "180 days", "180d" or "180" (days)."""
    value = (raw or "").strip() or "6 months"
    match = _AGE.fullmatch(value)
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"REVIEW_MAX_AGE must look like '6 months' or '180 days', got {raw!r}")
    unit = (match.group(2) or "d")[0].lower()
    return dt.timedelta(days=round(int(match.group(1)) * _AGE_DAYS[unit]))


def _database_url(values: Mapping[str, str | None], data_dir: Path) -> str:
    url = values.get("DATABASE_URL") or f"sqlite:///{data_dir / 'assistant.db'}"
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise ConfigError(
            "DATABASE_URL must be a SQLite (sqlite:///path) or PostgreSQL "
            "(postgresql+psycopg://user@host/db) URL"
        )
    return url


def _tracker_store_url(values: Mapping[str, str | None], database_url: str, data_dir: Path) -> str:
    """TRACKER_STORE_URL, by default beside the bot's database but never in its tables.

    SQLite: a file of its own in the data folder. PostgreSQL: a database of its own on the
    same server (`<database>_rasa`), which Rasa creates on first start; Rasa 3.6 brings its
    own SQLAlchemy 1.4, so it must not share a schema with ours.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = (values.get("TRACKER_STORE_URL") or "").strip()
    if not raw:
        if database_url.startswith("sqlite"):
            return f"sqlite:///{data_dir / 'rasa_tracker.db'}"
        bot_db = make_url(database_url)
        raw = bot_db.set(database=f"{bot_db.database}_rasa").render_as_string(hide_password=False)
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigError(f"TRACKER_STORE_URL is not a database URL: {exc}") from None
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError("TRACKER_STORE_URL must name a SQLite file (sqlite:///path)")
    elif url.get_backend_name() == "postgresql":
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", url.database or ""):
            # Rasa creates the database with an unquoted CREATE DATABASE.
            raise ConfigError(
                "TRACKER_STORE_URL must name a PostgreSQL database in lower-case letters, "
                f"digits and underscores, got {url.database!r}"
            )
    else:
        raise ConfigError(
            "TRACKER_STORE_URL must be a SQLite (sqlite:///path) or PostgreSQL "
            "(postgresql://user@host/db) URL"
        )
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Build the settings from `.env` (if present) overlaid with the environment."""
    env_path = env_file if env_file is not None else PROJECT_ROOT / ".env"
    values: dict[str, str | None] = {}
    if env_path.exists():
        values.update(dotenv_values(env_path))
    values.update(os.environ if environ is None else environ)

    root = Path(values.get("PROJECT_ROOT") or PROJECT_ROOT)
    data_dir = Path(values.get("DATA_DIR") or root / "data").resolve()
    cache_home = Path(values.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache_dir = Path(values.get("GK_CACHE_DIR") or cache_home / "gk-assistant")

    log_level = (values.get("LOG_LEVEL") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    timezone = values.get("TIMEZONE") or "Europe/Berlin"
    token = (values.get("TELEGRAM_BOT_TOKEN") or "").strip() or None
    translator, translator_url, translator_timeout = _translator(values)
    database_url = _database_url(values, data_dir)
    if token is not None and ":" not in token:
        raise ConfigError("TELEGRAM_BOT_TOKEN looks wrong: BotFather tokens look like 123456:ABC…")

    return Settings(
        telegram_bot_token=token,
        telegram_api_url=(values.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL).rstrip("/"),
        database_url=database_url,
        tracker_store_url=_tracker_store_url(values, database_url, data_dir),
        rasa_url=(values.get("RASA_URL") or "http://127.0.0.1:5005").rstrip("/"),
        rasa_token=read_rasa_token(values, data_dir),
        action_server_port=_int(values, "ACTION_SERVER_PORT", 5055),
        log_level=log_level,
        data_dir=data_dir,
        project_root=root,
        cache_dir=cache_dir,
        data_key=_data_key(values, data_dir),
        default_language=values.get("DEFAULT_LANGUAGE") or "de",
        retention_days=_int(values, "RETENTION_DAYS", 180),
        open_case_max_days=_positive(_int(values, "OPEN_CASE_MAX_DAYS", 60), "OPEN_CASE_MAX_DAYS"),
        case_response_days=_int(values, "CASE_RESPONSE_DAYS", 2),
        poll_timeout=_int(values, "TELEGRAM_POLL_TIMEOUT", 25),
        max_question_chars=_int(values, "MAX_QUESTION_CHARS", 1500),
        rasa_python=values.get("RASA_PYTHON") or None,
        action_server_host=(values.get("ACTION_SERVER_HOST") or "127.0.0.1").strip(),
        dashboard_host=values.get("DASHBOARD_HOST") or "127.0.0.1",
        dashboard_port=_int(values, "DASHBOARD_PORT", 8080),
        dashboard_https=_bool(values, "DASHBOARD_HTTPS", False),
        dashboard_idle_minutes=_int(values, "DASHBOARD_IDLE_MINUTES", 30),
        staff_chat_id=_optional_int(values, "STAFF_CHAT_ID"),
        office_hours=_office_hours(values.get("OFFICE_HOURS"), timezone),
        timezone=timezone,
        attachment_max_bytes=_int(values, "ATTACHMENT_MAX_MB", 10) * 1024 * 1024,
        translator=translator,
        translator_url=translator_url,
        translator_timeout=translator_timeout,
        review_max_age=_review_max_age(values.get("REVIEW_MAX_AGE")),
        content_refresh_seconds=_refresh_seconds(values.get("CONTENT_REFRESH_SECONDS")),
    )
