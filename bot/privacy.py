"""Pseudonyms for chat ids: stable, keyed, and not reversible without the key.

Logs, exports and Rasa only ever see the pseudonym, never the Telegram chat id.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonymise(chat_id: int, key: bytes) -> str:
    """A 16-hex-character keyed hash (HMAC-SHA256) of a chat id."""
    digest = hmac.new(key, str(chat_id).encode(), hashlib.sha256).hexdigest()
    return f"u{digest[:16]}"
