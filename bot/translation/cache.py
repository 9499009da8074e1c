"""The translation cache in the database, readable only with the original text.

Why sealed: a cached translation of "my Duldung ends on 12.12., my name is …" is personal
data, but the cache cannot know whose message it was, so /delete could not find it. Each row
is therefore found by a keyed hash of (source, target, original) and encrypted (AES-GCM) with
another key derived from the same original and the installation's secret (DATA_KEY).
Without the original a row is noise; when /delete or retention removes the original, its
translation is gone with it. Retention also deletes rows older than RETENTION_DAYS.

The cache never raises: a database problem means no cache, not a failed translation.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Translation

log = logging.getLogger(__name__)
NONCE_BYTES = 12


class TranslationCache:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], secret: bytes) -> None:
        self.sessions = sessions
        self._secret = secret

    def _keys(self, text: str, source: str | None, target: str) -> tuple[str, bytes]:
        original = "\x00".join((source or "auto", target, text)).encode()
        digest = hmac.new(self._secret, b"translation-id\x00" + original, hashlib.sha256)
        key = hmac.new(self._secret, b"translation-key\x00" + original, hashlib.sha256)
        return digest.hexdigest(), key.digest()

    async def get(self, text: str, source: str | None, target: str) -> str | None:
        digest, key = self._keys(text, source, target)
        try:
            async with self.sessions() as session:
                row = await session.get(Translation, digest)
        except SQLAlchemyError as exc:
            log.warning("translation cache not readable (%s)", type(exc).__name__)
            return None
        if row is None:
            return None
        nonce, box = row.sealed[:NONCE_BYTES], row.sealed[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, box, digest.encode()).decode()
        except (InvalidTag, UnicodeDecodeError):  # another secret: a row we cannot use
            return None

    async def put(self, text: str, source: str | None, target: str, translation: str) -> None:
        digest, key = self._keys(text, source, target)
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + AESGCM(key).encrypt(nonce, translation.encode(), digest.encode())
        try:
            async with self.sessions.begin() as session:
                # merge: a row sealed under an earlier secret is replaced, not kept for ever
                await session.merge(Translation(digest=digest, sealed=sealed))
        except IntegrityError:
            pass  # the same text was translated twice at once; either row is right
        except SQLAlchemyError as exc:
            log.warning("translation not cached (%s)", type(exc).__name__)
