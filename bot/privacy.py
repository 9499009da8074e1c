"""Pseudonyms for chats: random, stored with the chat, and unrelated to the Telegram chat id.

Logs, exports and Rasa (as its sender id) only ever see the pseudonym, never the chat id.
Why random instead of a keyed hash of the chat id: a hash gives a returning user the same
pseudonym after /delete, which links them to old exports; and a changed key would orphan
every conversation Rasa keeps. A random one is forgotten with the chat row.
"""

from __future__ import annotations

import secrets

PSEUDONYM_PREFIX = "u"


def new_pseudonym() -> str:
    """`u` and 16 hex characters (64 random bits), the shape pseudonyms always had."""
    return PSEUDONYM_PREFIX + secrets.token_hex(8)
