"""The two-stage fallback and out-of-scope replies.

Stage one: the message was unclear -> "did you mean …?" with the best candidates as buttons.
Stage two: still unclear right after that -> offer a caseworker (action_offer_handoff).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from bot.actions.common import content_store, language_of, previous_bot_action, send
from bot.i18n import FALLBACK_CHAIN, t
from bot.replies import Button, Reply, callbacks, compose

MAX_CANDIDATES = 3
MIN_CANDIDATE_CONFIDENCE = 0.08


class ActionClarify(Action):
    """Stage one of the fallback, or hand over to stage two."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if previous_bot_action(tracker) == self.name():
            return [FollowupAction("action_offer_handoff")]
        store = content_store()
        language = language_of(tracker)
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates: list[str] = []
        for item in ranking:
            name = str(item.get("name") or "")
            if (
                not name.startswith("ask_")
                or float(item.get("confidence") or 0) < MIN_CANDIDATE_CONFIDENCE
            ):
                continue
            if store.catalog.full_key_for(name.removeprefix("ask_")):
                candidates.append(name)
            if len(candidates) == MAX_CANDIDATES:
                break
        if not candidates:
            send(
                dispatcher,
                tracker,
                compose.unclear(store, language),
            )
            return []
        rows = []
        for intent in candidates:
            full_key = store.catalog.full_key_for(intent.removeprefix("ask_")) or ""
            rows.append(
                [
                    Button(
                        store.title(full_key, language, FALLBACK_CHAIN),
                        callbacks.rasa(f"/{intent}"),
                    )
                ]
            )
        rows.append([Button(t("button.none_of_these", language), callbacks.rasa("/clarify_none"))])
        reply = Reply(
            key="fallback.clarify",
            text=t("fallback.clarify", language),
            language=language,
            buttons=rows,
        )
        send(dispatcher, tracker, reply)
        return []


class ActionOutOfScope(Action):
    """A friendly 'I can help with …' and the topic menu — never a random answer."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        language = language_of(tracker)
        reply = compose.with_topics(
            "fallback.out_of_scope", "fallback.out_of_scope", content_store(), language
        )
        send(dispatcher, tracker, reply)
        return []
