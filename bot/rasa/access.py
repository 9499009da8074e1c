"""Who may talk to Rasa: the shared token, where it is kept, and a warning for exposed URLs.

Why a module of its own: Rasa's HTTP API reads and rewrites every conversation, so it must
never run without a token. The token is created once by `python -m bot setup` (never as a side
effect of loading settings, so reading the configuration stays free of surprises) and kept in
the data folder readable by the owner only.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

logger = logging.getLogger(__name__)

TOKEN_FILE = "rasa.token"  # noqa: S105 - a file name, not a secret
MISSING_TOKEN = (
    "no Rasa token: run `python -m bot setup` (or `make setup`) once, or set RASA_TOKEN in .env"  # noqa: S105
)


def token_path(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILE


def read_rasa_token(values: Mapping[str, str | None], data_dir: Path) -> str | None:
    """RASA_TOKEN if set, else the token file made by setup, else None; never creates one."""
    explicit = (values.get("RASA_TOKEN") or "").strip()
    if explicit:
        return explicit
    path = token_path(data_dir)
    if not path.is_file():
        return None
    return path.read_text().strip() or None


def create_rasa_token(data_dir: Path) -> Path:
    """Write a new random token, owner-only from the first byte (no window with wider rights)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = token_path(data_dir)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(32) + "\n")
    return path


def is_loopback_url(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_exposed(rasa_url: str) -> bool:
    """One warning when texts and the token would cross a network unencrypted."""
    if is_loopback_url(rasa_url) or urlparse(rasa_url).scheme == "https":
        return False
    logger.warning(
        "RASA_URL %s is neither loopback nor https: messages and the Rasa token travel "
        "unencrypted; use https or keep Rasa on this machine",
        rasa_url,
    )
    return True
