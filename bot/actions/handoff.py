"""Handing a case to a caseworker: the offer, and the request to open the case at once.

There is no form any more. A typed request for a person ("I want to talk to a real
person") opens the case from that very message; a typed "yes" right after an offer opens
it with the message the offer was about. `action_open_case` does not write the database:
it returns a CaseRequest that the bot turns into a case in the same transaction that marks
the user's message as answered. Buttons (yes/no, "talk to a person") are handled by the bot
itself, so they work while Rasa is down.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from bot.actions.common import content_store, language_of, latest_intent, send
from bot.i18n import t
from bot.replies import Button, CaseRequest, Reply, callbacks, compose

MAX_DESCRIPTION_CHARS = 2000
# Why the bot offered a person, by the intent of the message the offer was about.
_REASONS = {
    "urgent_case": "urgent",
    "nlu_fallback": "unclear",
    "clarify_none": "unclear",
    "near_out_of_scope": "gap",  # about refugees' lives, but we have no answer: a local gap
}
# Deadlines, rejections and a Duldung running out are mostly about offices and papers.
_TOPICS = {"urgent": "bureaucracy"}


def reason_for(intent: str | None) -> str:
    return _REASONS.get(intent or "", "request")


def _update_id(event_or_message: dict[str, Any]) -> int | None:
    metadata = event_or_message.get("metadata") or {}
    value = metadata.get("update_id")
    return int(value) if isinstance(value, int) else None


def _typed(text: object) -> bool:
    """A message the user typed (button payloads start with '/')."""
    return isinstance(text, str) and bool(text.strip()) and not text.startswith("/")


def offered_about(tracker: Tracker) -> dict[str, Any] | None:
    """The user's last typed message before the latest one: what an offer was about."""
    seen_latest = False
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if not seen_latest:
            seen_latest = True
            continue
        if _typed(event.get("text")):
            found: dict[str, Any] = event
            return found
    return None


class ActionOfferHandoff(Action):
    """Offers a caseworker; the wording depends on why (request, urgent case, unclear)."""

    def name(self) -> str:
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        intent, _ = latest_intent(tracker)
        reason = reason_for(intent)
        # Yes opens the case with the message the offer is about, if the user typed it.
        about = tracker.latest_message if _typed(tracker.latest_message.get("text")) else None
        update_id = _update_id(about) if about else None
        text_key = {
            "urgent": "handoff.offer_urgent",
            "unclear": "handoff.offer_unclear",
            "gap": "handoff.offer_gap",
        }.get(reason, "handoff.offer")
        reply = compose.handoff_offer(
            language, text_key, reason=reason, topic=_TOPICS.get(reason), update_id=update_id
        )
        # No answer for this question: offer to tell the user when there is one.
        asked = update_id if update_id is not None else _update_id(offered_about(tracker) or {})
        if reason in {"unclear", "gap"} and asked is not None:
            reply.buttons.append(
                [Button(t("button.notify_gap", language), callbacks.notify_gap(asked))]
            )
        if reason == "urgent":
            reply.buttons.append(
                [
                    Button(
                        content_store().title("bureaucracy.official_letter", language),
                        callbacks.answer("bureaucracy.official_letter"),
                    )
                ]
            )
        send(dispatcher, tracker, reply)
        return []


class ActionHandoffDeclined(Action):
    def name(self) -> str:
        return "action_handoff_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        send(dispatcher, tracker, compose.plain("handoff.declined", language_of(tracker)))
        return []


class ActionOpenCase(Action):
    """Asks the bot to open a case now: for a typed request, or a typed yes to an offer."""

    def name(self) -> str:
        return "action_open_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        if intent == "request_human":
            reason, description = "request", str(tracker.latest_message.get("text") or "")
        else:
            # "Yes" to an offer: the case is about the message the offer answered.
            about = offered_about(tracker)
            about_intent = ((about or {}).get("parse_data") or {}).get("intent") or {}
            reason = reason_for(about_intent.get("name"))
            description = str((about or {}).get("text") or "")
        request = CaseRequest(
            topic=_TOPICS.get(reason, "other"),
            description=description.strip()[:MAX_DESCRIPTION_CHARS],
            reason=reason,
        )
        # The bot writes the text once it knows the case number (or the open case).
        send(
            dispatcher,
            tracker,
            Reply("handoff.opened", "", language_of(tracker), open_case=request),
        )
        return []
