"""Answering a content question: intent `ask_<key>` -> the sourced answer for that key."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from bot.actions.common import (
    content_store,
    language_of,
    latest_intent,
    residence_status_of,
    send,
)
from bot.replies import compose


class ActionAnswer(Action):
    """Sends the content entry that belongs to the recognised `ask_*` intent."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        store = content_store()
        language = language_of(tracker)
        intent, _ = latest_intent(tracker)
        full_key = store.catalog.full_key_for((intent or "").removeprefix("ask_"))
        paper = residence_status_of(tracker)
        reply = compose.answer(store, full_key, language, paper) if full_key else None
        if reply is None:
            reply = compose.unclear(store, language)
        send(dispatcher, tracker, reply)
        return []
