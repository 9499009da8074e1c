"""What comes in (one update, reduced to what we need) and what goes out of one turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.replies import CaseRequest, Reply


@dataclass(frozen=True)
class FileRef:
    """A photo or document the user sent, as Telegram describes it (nothing downloaded yet)."""

    file_id: str
    kind: str  # photo | document
    file_name: str
    mime_type: str | None = None
    file_size: int | None = None  # Telegram's own figure, checked before downloading
    caption: str = ""


@dataclass(frozen=True)
class Incoming:
    update_id: int
    chat_id: int
    kind: str  # text | command | callback | non_text
    text: str = ""  # message text, command name (without '/'), or callback data
    non_text_kind: str = ""  # voice | photo | sticker | location | other
    client_language: str | None = None  # Telegram's language_code of the user's app
    callback_message_id: int | None = None  # the bot message whose button was pressed
    file: FileRef | None = None  # a photo or document (non_text_kind "photo")


class FileRejected(ValueError):
    """The file cannot go to a case: `reason` is too_big | type (the user is told why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileUnavailable(RuntimeError):
    """Telegram could not hand out the file right now: the update waits and is retried."""


class FileSource(Protocol):
    """Downloads a file the user sent (Telegram's getFile and file download)."""

    async def fetch(self, ref: FileRef) -> bytes: ...


@dataclass(frozen=True)
class Attachment:
    """A downloaded file that passed the checks, ready to be stored with a case."""

    file_name: str
    media_type: str
    data: bytes = field(repr=False)
    update_id: int  # the update that carried the file (attachments are unique per update)
    caption: str = ""


@dataclass(frozen=True)
class ChatState:
    """What the bot itself is in the middle of with this chat (read before the turn)."""

    case_mode: int | None = None  # messages go to this open case instead of to Rasa
    awaiting_contact: int | None = None  # asked for a phone number or e-mail for this case
    awaiting: str | None = None  # raw `chats.awaiting`, cleared when the turn is not its answer
    residence_status: str | None = None  # the user's paper, for answers with variants


CaseStepKind = Literal[
    "open", "message", "attachment", "cancel", "back", "feedback", "ask_contact", "set_contact"
]


@dataclass
class CaseStep:
    """Something to do to the user's cases in the turn's transaction (see `CaseFlow`).

    `open`: open a case from `request` (or put the user back into the open one);
    `description_ref`: take the description from the user's message of that update, or
    (`description_from_history`) from their last typed message. `attachment`/`file`: a file
    to store with the case; `file` is downloaded before the transaction, `rejected` says why
    it was refused.
    """

    kind: CaseStepKind
    case_id: int | None = None
    request: CaseRequest | None = None
    description_ref: int | None = None
    description_from_history: bool = False
    text: str = ""
    helped: bool = False
    file: FileRef | None = None
    file_update_id: int | None = None
    attachment: Attachment | None = None
    rejected: str | None = None  # too_big | type | gone | unavailable


@dataclass
class Outcome:
    """Replies of one turn plus how the incoming message is logged."""

    replies: list[Reply] = field(default_factory=list)
    logged_text: str = ""
    intent: str | None = None
    confidence: float | None = None
    content_key: str | None = None  # for feedback: the answer that was rated
    chosen_language: str | None = None  # the user picked a language with /language
    erase_chat: bool = False
    case_step: CaseStep | None = None
    residence_choice: str | None = None  # the user chose a paper (or "skip": stored as none)
    gap_update_id: int | None = None  # "tell me when there is an answer" to this update
