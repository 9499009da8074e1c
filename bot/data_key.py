"""The installation's secret for data sealed at rest: today the translation cache only.

Why a file made by setup: the key must stay stable (with a new key the cached translations
cannot be read any more and are fetched again) and must never be in git or readable by other
users. `python -m bot setup` creates it once, owner-only from the first byte; loading the
settings only reads it. Chat pseudonyms no longer depend on it (they are random, see
bot/privacy.py). Installations from before the rename keep their `PSEUDONYM_KEY` or
`data/pseudonym.key`: both are still read, so their cached translations stay readable.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

KEY_FILE = "data.key"
LEGACY_KEY_FILE = "pseudonym.key"  # the same secret under its old name
ENV_NAMES = ("DATA_KEY", "PSEUDONYM_KEY")
MIN_LENGTH = 16
MISSING_DATA_KEY = (
    "no data key: run `python -m bot setup` (or `make setup`) once, or set DATA_KEY in .env"
)


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def read_data_key(values: Mapping[str, str | None], data_dir: Path) -> bytes | None:
    """DATA_KEY (or the old PSEUDONYM_KEY) if set, else the key file; never creates one.

    Raises ValueError for a key too short to be a secret.
    """
    for name in ENV_NAMES:
        raw = values.get(name)
        if raw:
            if len(raw) < MIN_LENGTH:
                raise ValueError(f"{name} must be at least {MIN_LENGTH} characters long")
            return raw.encode()
    for name in (KEY_FILE, LEGACY_KEY_FILE):
        path = data_dir / name
        if path.is_file():
            return path.read_text().strip().encode() or None
    return None


def create_data_key(data_dir: Path) -> Path:
    """Write a new random key, owner-only from the first byte; never replaces an existing one."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = key_path(data_dir)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32) + "\n")
    return path
