"""Photos and documents a user sent for a case, served only to signed-in caseworkers.

The stored media type is checked against a short list before it is sent: an image is shown
inline, anything else is a download with a safe file name; `nosniff` comes from the app.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from bot.dashboard.deps import CaseworkerDep, DbDep
from bot.db.models import CaseAttachment

router = APIRouter()

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
DOWNLOAD_TYPES = frozenset({"application/pdf"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def content_disposition(kind: str, file_name: str) -> str:
    """An ASCII fallback name plus the RFC 5987 UTF-8 name; no quotes or newlines get in."""
    ascii_name = _UNSAFE.sub("_", file_name).strip("._")[:100] or "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name[:100])}"


@router.get("/attachments/{attachment_id}")
async def attachment(attachment_id: int, me: CaseworkerDep, db: DbDep) -> Response:
    found = await db.get(CaseAttachment, attachment_id)
    if found is None:
        raise HTTPException(status_code=404)
    if found.media_type in INLINE_TYPES:
        media_type, kind = found.media_type, "inline"
    elif found.media_type in DOWNLOAD_TYPES:
        media_type, kind = found.media_type, "attachment"
    else:
        media_type, kind = "application/octet-stream", "attachment"
    return Response(
        content=found.data,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(kind, found.file_name),
            "Cache-Control": "private, no-store",
        },
    )
