"""Photos and documents a user sends for a case: reading them from an update, fetching them.

Telegram gives a `file_id`; `getFile` turns it into a download path, valid for an hour. The
size is checked twice before anything is downloaded (Telegram's figure in the message and in
getFile) and once after. A network problem raises `FileUnavailable`, so the update stays
pending and is tried again; a refusal by Telegram (e.g. "file is too big") is final.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.conversation.model import FileRef, FileRejected, FileUnavailable

logger = logging.getLogger(__name__)

# Telegram's cloud Bot API hands out files up to 20 MB; bigger ones fail in getFile.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


def _size(value: object) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None


def file_ref_from_message(message: dict[str, Any], max_bytes: int) -> FileRef | None:
    """The file of a message (as stored in the inbox), or None if it carries no photo/document.

    Of a photo's sizes, the largest that fits `max_bytes` is taken (they are all the same
    picture); if none fits, the smallest, so the size check tells the user.
    """
    caption = str(message.get("caption") or "")
    sizes = message.get("photo")
    if isinstance(sizes, list) and sizes:
        photos = [p for p in sizes if isinstance(p, dict) and p.get("file_id")]
        if not photos:
            return None
        fitting = [p for p in photos if (_size(p.get("file_size")) or 0) <= max_bytes]
        chosen = (fitting or photos[:1])[-1]
        return FileRef(
            file_id=str(chosen["file_id"]),
            kind="photo",
            file_name="photo.jpg",
            mime_type="image/jpeg",
            file_size=_size(chosen.get("file_size")),
            caption=caption,
        )
    document = message.get("document")
    if isinstance(document, dict) and document.get("file_id"):
        return FileRef(
            file_id=str(document["file_id"]),
            kind="document",
            file_name=str(document.get("file_name") or "document"),
            mime_type=str(document["mime_type"]) if document.get("mime_type") else None,
            file_size=_size(document.get("file_size")),
            caption=caption,
        )
    return None


class TelegramFiles:
    """Downloads files through the Bot API (getFile, then the file URL)."""

    def __init__(self, bot: Bot, max_bytes: int) -> None:
        self.bot = bot
        self.max_bytes = min(max_bytes, TELEGRAM_DOWNLOAD_LIMIT)

    async def fetch(self, ref: FileRef) -> bytes:
        if ref.file_size is not None and ref.file_size > self.max_bytes:
            raise FileRejected("too_big")
        try:
            file = await self.bot.get_file(ref.file_id)
            if file.file_size is not None and file.file_size > self.max_bytes:
                raise FileRejected("too_big")
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:  # a BadRequest is also a NetworkError: check it first
            reason = "too_big" if "too big" in str(exc).lower() else "gone"
            logger.info("Telegram refused a file (%s)", reason)
            raise FileRejected(reason) from exc
        except (TelegramError, RuntimeError) as exc:
            raise FileUnavailable(type(exc).__name__) from exc
        if len(data) > self.max_bytes:
            raise FileRejected("too_big")
        return data
