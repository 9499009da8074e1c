"""Which files may go to a case: JPEG, PNG and PDF, recognised by their first bytes.

The name and the MIME type a client sends are only claims; the magic bytes decide. Anything
else (Office documents, archives, executables) is refused with a clear reply.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation.model import (
    Attachment,
    CaseStep,
    FileRef,
    FileRejected,
    FileSource,
    FileUnavailable,
)
from bot.db.models import InboxUpdate
from bot.telegram.files import file_ref_from_message

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
MAX_NAME_CHARS = 120


def media_type_of(data: bytes) -> tuple[str, str] | None:
    """(media type, file extension) by magic bytes, or None for a type we do not take."""
    for signature, media_type, extension in _SIGNATURES:
        if data.startswith(signature):
            return media_type, extension
    return None


def safe_file_name(name: str, extension: str) -> str:
    """A plain file name with the extension that matches the content."""
    stem = PurePosixPath(name.replace("\\", "/")).name.rsplit(".", 1)[0]
    cleaned = "".join(ch for ch in stem if ch.isprintable() and ch not in '<>:"/|?*').strip()
    return (cleaned or "file")[:MAX_NAME_CHARS] + extension


def checked(ref: FileRef, data: bytes, max_bytes: int, update_id: int) -> Attachment:
    """The file as an Attachment, or FileRejected (too_big | type)."""
    if len(data) > max_bytes:
        raise FileRejected("too_big")
    found = media_type_of(data)
    if found is None:
        raise FileRejected("type")
    media_type, extension = found
    return Attachment(
        file_name=safe_file_name(ref.file_name, extension),
        media_type=media_type,
        data=data,
        update_id=update_id,
        caption=ref.caption,
    )


async def stored_file(
    session: AsyncSession, chat_id: int, update_id: int, max_bytes: int
) -> FileRef | None:
    """The file of an earlier update of this chat, from the inbox (None if gone or not ours)."""
    row = await session.get(InboxUpdate, update_id)
    if row is None or row.chat_id != chat_id:
        return None
    message = row.payload.get("message")
    return file_ref_from_message(message, max_bytes) if isinstance(message, dict) else None


async def fetch_into(
    step: CaseStep,
    files: FileSource | None,
    sessions: async_sessionmaker[AsyncSession],
    chat_id: int,
    current_update_id: int,
    max_bytes: int,
) -> None:
    """Download the step's file and check it; sets `attachment` or `rejected`.

    Raises FileUnavailable when Telegram cannot be reached, so the update is tried again.
    """
    update_id = step.file_update_id or current_update_id
    if step.file is None and step.file_update_id is not None:
        async with sessions() as session:
            step.file = await stored_file(session, chat_id, step.file_update_id, max_bytes)
        if step.file is None:
            step.rejected = "gone"
            return
    if step.file is None:
        return
    if files is None:
        raise FileUnavailable("no Telegram connection to fetch files")
    try:
        data = await files.fetch(step.file)
        step.attachment = checked(step.file, data, max_bytes, update_id)
    except FileRejected as exc:
        step.rejected = exc.reason
