"""Database tables of the assistant (SQLAlchemy 2, typed).

- `chats`: one row per Telegram chat: pseudonym and language; erased by /delete.
- `inbox`: every update, stored before it is processed; unique by update_id.
- `outbox`: every message the bot sends, sent with retries in per-chat order.
- `messages`: the conversation log behind the export and the caseworker's transcript.
- `cases`: requests for a caseworker, with status, assignee, urgency and response times.
- `case_events`: the history of a case (opened, claimed, replied, note, status, …).
- `case_attachments`: photos and documents a user sent for a case (deleted with it).
- `staff_users`, `staff_sessions`, `login_failures`: dashboard accounts and sign-in.
- `audit_events`: who opened, claimed, answered or changed which case, and when.
- `translations`: machine translations, sealed with a key derived from the original text.
- `content_revisions`, `content_keys`, `training_examples`: editors' changes made in the
  browser, a database overlay over content/ until `content export` writes them back.
- `training_runs`: background retrains started by editors, and why one failed.
- `gap_subscriptions`: users who asked to be told when their unanswered question is answered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Chat(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # While set, what the user writes goes to this case's thread instead of to Rasa.
    case_mode_case_id: Mapped[int | None] = mapped_column(Integer)
    # A half-filled question of the bot's own (e.g. "contact" after "reach me another way").
    awaiting: Mapped[str | None] = mapped_column(String(24))
    # Residence status the user chose for answers with variants; None: not asked or skipped.
    residence_status: Mapped[str | None] = mapped_column(String(24))


class InboxUpdate(Base):
    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    apology_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_inbox_status_chat", "status", "chat_id", "update_id"),)


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(32))  # sendMessage | editMessageText
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    source_update_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_outbox_status_chat", "status", "chat_id", "id"),)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(24), default="open", index=True)
    assignee: Mapped[str | None] = mapped_column(String(64))  # staff user name
    topic: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200))
    transcript: Mapped[dict[str, Any]]
    source_update_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Why it was opened: request | urgent | unclear | feedback | gap | attachment
    reason: Mapped[str] = mapped_column(String(16), default="request")
    urgency: Mapped[int] = mapped_column(Integer, default=0)  # 0 normal, 1 individual, 2 urgent
    deadline: Mapped[dt.date | None] = mapped_column(Date)  # a date the user gave
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    first_response_at: Mapped[dt.datetime | None]
    last_user_message_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]  # when it was resolved
    # When retention handed it to the administrators: open too long without activity.
    escalated_at: Mapped[dt.datetime | None]
    user_told_added: Mapped[bool] = mapped_column(Boolean, default=False)
    helped: Mapped[bool | None] = mapped_column(Boolean)  # the user's answer after resolving

    __table_args__ = (Index("ix_cases_queue", "status", "urgency", "created_at"),)


class CaseEvent(Base):
    """One step in a case's history; also the source of the response-time figures."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # opened | claimed | released | reassigned | replied | note | status | user_message |
    # attachment | feedback
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str | None] = mapped_column(String(64))  # staff name; None = the user/bot
    text: Mapped[str | None] = mapped_column(Text)  # note or reply text, new status, …


class CaseAttachment(Base):
    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))  # image/jpeg | image/png | application/pdf
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))  # shown to users with replies
    role: Mapped[str] = mapped_column(String(16))  # caseworker | editor | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ui_language: Mapped[str] = mapped_column(String(8), default="de")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


class StaffSession(Base):
    """A signed-in browser; the cookie holds a random token, the table only its hash."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """Failed sign-ins, keyed by account and by address, for the login rate limit."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)  # "user:NAME" | "addr:IP"
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Who did what to which case (kept after a case is erased; holds no user text)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # login | view | claim | reply | status …
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[str | None] = mapped_column(String(200))


class Translation(Base):
    """A cached machine translation, found and sealed by keys derived from the original.

    `digest` is a keyed hash of (source, target, text); `sealed` is the translation encrypted
    with a key derived from the same original. Only someone who has the original text can
    read a row, so erasing a user's messages (/delete) also makes their translations unreadable
    without the cache having to know whose text it was.
    """

    __tablename__ = "translations"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class ConversationMessage(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    content_key: Mapped[str | None] = mapped_column(String(80), index=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    update_id: Mapped[int | None] = mapped_column(BigInteger)


class ContentRevision(Base):
    """One saved version of one answer in one language, as the full Markdown file.

    The newest revision per (key, language) that is not yet exported overrides the file in
    content/; all revisions together are the history of who changed what.
    """

    __tablename__ = "content_revisions"
    __table_args__ = (Index("ix_content_revisions_key_language", "key", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))  # edit | still_valid | new_key | variant
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    exported: Mapped[bool] = mapped_column(Boolean, default=False)


class ContentKey(Base):
    """A content key taught in the browser (the catalog overlay)."""

    __tablename__ = "content_keys"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    exported: Mapped[bool] = mapped_column(Boolean, default=False)


class TrainingExample(Base):
    """A phrasing an editor added for an intent (new key, or a wording from the gaps page)."""

    __tablename__ = "training_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intent: Mapped[str] = mapped_column(String(80), index=True)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # editor | gap
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    exported: Mapped[bool] = mapped_column(Boolean, default=False)


class TrainingRun(Base):
    """A background retrain: queued -> running -> done -> loaded, or failed with the reason."""

    __tablename__ = "training_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    fingerprint: Mapped[str | None] = mapped_column(String(32))
    model_file: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)


class GapSubscription(Base):
    """A user who agreed to be told when the question the bot could not answer is answered."""

    __tablename__ = "gap_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    content_key: Mapped[str | None] = mapped_column(String(80))
    notified_at: Mapped[dt.datetime | None] = mapped_column()
