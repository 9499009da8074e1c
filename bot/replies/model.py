"""What the assistant says: one Reply per message, the same shape on both sides of Rasa.

Custom actions build Replies and send them to Rasa as one `custom` payload each; the bot
turns payloads back into Replies, logs them and puts them in the outbox. `key` is what the
export calls `content_key`: a full content key (`training.apprenticeship`) for answers, a
meta key (`fallback.clarify`, `handoff.opened`, …) for everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

PAYLOAD_MARKER = "gk_reply"


@dataclass(frozen=True)
class Button:
    text: str
    data: str  # callback data, at most 64 bytes (Telegram's limit)


@dataclass(frozen=True)
class CaseRequest:
    """Everything needed to open a case; the bot opens it in the same transaction as the reply."""

    topic: str
    description: str
    contact: str = "telegram"
    reason: str = "request"  # request | urgent | unclear | feedback | attachment (Case.reason)


@dataclass
class Reply:
    key: str
    text: str  # Telegram HTML, already safe
    language: str
    buttons: list[list[Button]] = field(default_factory=list)
    edit_message_id: int | None = None
    open_case: CaseRequest | None = None
    case_id: int | None = None

    def to_payload(
        self, intent: str | None = None, confidence: float | None = None
    ) -> dict[str, Any]:
        """The JSON a custom action sends through Rasa to the bot."""
        payload: dict[str, Any] = {
            PAYLOAD_MARKER: 1,
            "key": self.key,
            "text": self.text,
            "language": self.language,
            "buttons": [[{"text": b.text, "data": b.data} for b in row] for row in self.buttons],
            "intent": intent,
            "confidence": confidence,
        }
        if self.open_case is not None:
            payload["open_case"] = {
                "topic": self.open_case.topic,
                "description": self.open_case.description,
                "contact": self.open_case.contact,
                "reason": self.open_case.reason,
            }
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Reply:
        case = payload.get("open_case")
        return cls(
            key=str(payload["key"]),
            text=str(payload.get("text") or ""),
            language=str(payload.get("language") or "de"),
            buttons=[
                [Button(text=str(b["text"]), data=str(b["data"])) for b in row]
                for row in payload.get("buttons") or []
            ],
            open_case=CaseRequest(
                topic=str(case["topic"]),
                description=str(case["description"]),
                contact=str(case.get("contact") or "telegram"),
                reason=str(case.get("reason") or "request"),
            )
            if case
            else None,
        )


def is_reply_payload(payload: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(payload, dict) and payload.get(PAYLOAD_MARKER) == 1
