"""Handing a case to a caseworker: offer, a three-step form, and the request to open it.

The form asks for topic, a short description and how to be reached (Telegram by default).
`action_open_case` does not write the database: it returns a CaseRequest that the bot turns
into a case in the same transaction that marks the user's message as answered.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from bot.actions.common import content_store, language_of, latest_intent, send
from bot.i18n import available_languages, t
from bot.replies import Button, CaseRequest, Reply, callbacks, compose

FORM_SLOTS = ("handoff_topic", "handoff_description", "handoff_contact")
MIN_DESCRIPTION_CHARS = 10
MAX_DESCRIPTION_CHARS = 2000
MAX_CONTACT_CHARS = 200
TELEGRAM_CONTACT = "telegram"
_TELEGRAM_WORDS = {"telegram", "hier", "here", "chat", "hier in telegram", "here in telegram"}


class ActionOfferHandoff(Action):
    """Offers a caseworker; the wording depends on why (request, urgent case, unclear)."""

    def name(self) -> str:
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        intent, _ = latest_intent(tracker)
        if intent == "urgent_case":
            reply = compose.handoff_offer(language, "handoff.offer_urgent")
            reply.buttons.append(
                [
                    Button(
                        content_store().title("bureaucracy.official_letter", language),
                        callbacks.answer("bureaucracy.official_letter"),
                    )
                ]
            )
        elif intent in {"nlu_fallback", "clarify_none"} or intent is None:
            reply = compose.handoff_offer(language, "handoff.offer_unclear")
        else:
            reply = compose.handoff_offer(language)
        send(dispatcher, tracker, reply)
        return []


class ActionHandoffDeclined(Action):
    def name(self) -> str:
        return "action_handoff_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        send(dispatcher, tracker, compose.plain("handoff.declined", language_of(tracker)))
        return [SlotSet(slot, None) for slot in FORM_SLOTS]


def _cancel_row(language: str) -> list[Button]:
    return [Button(t("button.cancel", language), callbacks.rasa("/cancel"))]


class ActionAskHandoffTopic(Action):
    def name(self) -> str:
        return "action_ask_handoff_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        names = list(callbacks.HANDOFF_TOPICS)
        buttons = [
            Button(t(f"topic.{name}", language), callbacks.rasa(_inform("handoff_topic", name)))
            for name in names
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append(_cancel_row(language))
        reply = Reply("handoff.ask_topic", t("handoff.ask_topic", language), language, rows)
        send(dispatcher, tracker, reply)
        return []


class ActionAskHandoffDescription(Action):
    def name(self) -> str:
        return "action_ask_handoff_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        text = t("handoff.ask_description", language)
        if tracker.get_slot("requested_slot") == "handoff_description":
            # Asked before and the answer was rejected: say why first.
            text = f"{t('handoff.description_too_short', language)}\n\n{text}"
        reply = Reply("handoff.ask_description", text, language, [_cancel_row(language)])
        send(dispatcher, tracker, reply)
        return []


class ActionAskHandoffContact(Action):
    def name(self) -> str:
        return "action_ask_handoff_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        rows = [
            [
                Button(
                    t("button.contact_telegram", language),
                    callbacks.rasa(_inform("handoff_contact", TELEGRAM_CONTACT)),
                )
            ],
            _cancel_row(language),
        ]
        reply = Reply("handoff.ask_contact", t("handoff.ask_contact", language), language, rows)
        send(dispatcher, tracker, reply)
        return []


def _inform(slot: str, value: str) -> str:
    return "/inform" + json.dumps({slot: value}, separators=(",", ":"))


def _topic_from_text(text: str, intent: str | None, confidence: float | None) -> str:
    """Free text for the topic question: a topic name in any language, else what the NLU read."""
    lowered = text.strip().lower()
    for name in callbacks.HANDOFF_TOPICS:
        if lowered == name or any(
            lowered == t(f"topic.{name}", lang).lower() for lang in available_languages()
        ):
            return name
    if intent and intent.startswith("ask_") and (confidence or 0) >= 0.5:
        full_key = content_store().catalog.full_key_for(intent.removeprefix("ask_"))
        if full_key:
            return full_key.split(".", 1)[0]
    return "other"


class ValidateHandoffForm(FormValidationAction):
    """Normalises what the user typed for each step; rejects button payloads typed as text."""

    def name(self) -> str:
        return "validate_handoff_form"

    async def validate_handoff_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if text in callbacks.HANDOFF_TOPICS:
            return {"handoff_topic": text}
        if not text.strip() or text.startswith("/"):
            return {"handoff_topic": None}
        intent, confidence = latest_intent(tracker)
        return {"handoff_topic": _topic_from_text(text, intent, confidence)}

    async def validate_handoff_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if text.startswith("/") or len(text) < MIN_DESCRIPTION_CHARS:
            return {"handoff_description": None}
        return {"handoff_description": text[:MAX_DESCRIPTION_CHARS]}

    async def validate_handoff_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if text.lower() in _TELEGRAM_WORDS:
            return {"handoff_contact": TELEGRAM_CONTACT}
        if not text or text.startswith("/"):
            return {"handoff_contact": None}
        return {"handoff_contact": text[:MAX_CONTACT_CHARS]}


class ActionOpenCase(Action):
    """Asks the bot to open the case and clears the form for the next one."""

    def name(self) -> str:
        return "action_open_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        request = CaseRequest(
            topic=str(tracker.get_slot("handoff_topic") or "other"),
            description=str(tracker.get_slot("handoff_description") or ""),
            contact=str(tracker.get_slot("handoff_contact") or TELEGRAM_CONTACT),
        )
        language = language_of(tracker)
        # The bot fills in the text once it knows the case number.
        send(dispatcher, tracker, Reply("handoff.opened", "", language, open_case=request))
        return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionCancelHandoff(Action):
    def name(self) -> str:
        return "action_cancel_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        send(dispatcher, tracker, compose.plain("handoff.cancelled", language_of(tracker)))
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
            SlotSet(slot, None) for slot in FORM_SLOTS
        ]
