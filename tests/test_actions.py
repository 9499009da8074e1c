"""Custom actions, fed a tracker like Rasa sends it, with a real CollectingDispatcher."""

from typing import Any

import pytest
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Tracker

from bot.actions.answers import ActionAnswer
from bot.actions.fallback import ActionClarify, ActionOutOfScope
from bot.actions.handoff import ActionOfferHandoff, ActionOpenCase
from bot.replies import Reply, callbacks


def tracker(
    intent: str,
    confidence: float = 0.95,
    language: str = "en",
    ranking: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    text: str = "…",
    update_id: int = 1,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        "metadata": {"language": language, "update_id": update_id},
    }
    return Tracker("u123", {}, latest, events or [], False, None, {}, "action_listen")


def user_event(text: str, intent: str, update_id: int) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}},
        "metadata": {"update_id": update_id},
    }


async def run(action: Any, track: Tracker) -> tuple[list[Reply], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, {})
    replies = [Reply.from_payload(m["custom"]) for m in dispatcher.messages]
    assert all(
        m.get("custom", {}).get("intent") == track.latest_message["intent"]["name"]
        for m in dispatcher.messages
    )
    return replies, events


async def test_a_question_is_answered_with_its_content_key_in_the_users_language() -> None:
    replies, _ = await run(ActionAnswer(), tracker("ask_find_flat", language="de"))
    assert [r.key for r in replies] == ["housing.find_flat"]
    assert replies[0].language == "de" and "Quellen:" in replies[0].text


async def test_unclear_message_offers_the_best_candidates_first() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "ask_apprenticeship", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_internship", "confidence": 0.15},
        {"name": "ask_tutoring", "confidence": 0.01},
    ]
    replies, events = await run(ActionClarify(), tracker("nlu_fallback", 0.6, ranking=ranking))
    assert events == [] and replies[0].key == "fallback.clarify"
    data = [b.data for row in replies[0].buttons for b in row]
    assert data == ["r:/ask_apprenticeship", "r:/ask_internship", "r:/clarify_none"]


async def test_still_unclear_right_after_clarifying_hands_over_to_the_offer() -> None:
    history = [
        {"event": "user", "text": "blub"},
        {"event": "action", "name": "action_clarify"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "blub blub"},
    ]
    replies, events = await run(ActionClarify(), tracker("nlu_fallback", 0.3, events=history))
    assert replies == []
    assert events == [FollowupAction("action_offer_handoff")]


@pytest.mark.parametrize(
    ("intent", "marker", "reason"),
    [
        ("urgent_case", "deadline", "urgent"),
        ("clarify_none", "still not sure", "unclear"),
        ("nlu_fallback", "still not sure", "unclear"),
    ],
)
async def test_the_offer_says_why_and_its_yes_opens_the_case_bot_side(
    intent: str, marker: str, reason: str
) -> None:
    replies, _ = await run(ActionOfferHandoff(), tracker(intent, text="Frist morgen", update_id=42))
    assert replies[0].key == "handoff.offer"
    assert marker in replies[0].text
    yes = callbacks.parse(replies[0].buttons[0][0].data)
    assert yes is not None and (yes.kind, yes.extra, yes.ref) == ("handoff", reason, 42)
    assert replies[0].buttons[0][1].data == callbacks.decline()


async def test_out_of_scope_says_what_the_bot_can_do_and_shows_topics() -> None:
    replies, _ = await run(ActionOutOfScope(), tracker("out_of_scope"))
    assert replies[0].key == "fallback.out_of_scope"
    assert any(b.data == "t:housing" for row in replies[0].buttons for b in row)


async def test_a_typed_request_for_a_person_opens_the_case_from_that_message() -> None:
    replies, events = await run(
        ActionOpenCase(), tracker("request_human", text="I want to talk to a real person")
    )
    assert events == [] and replies[0].key == "handoff.opened"
    request = replies[0].open_case
    assert request is not None
    assert (request.reason, request.description) == ("request", "I want to talk to a real person")


async def test_a_typed_yes_after_an_offer_opens_the_case_with_the_message_it_was_about() -> None:
    history = [
        user_event("Meine Duldung endet am 12.12., was tun?", "urgent_case", 7),
        {"event": "action", "name": "action_offer_handoff"},
        {"event": "action", "name": "action_listen"},
        user_event("ja", "affirm", 8),
    ]
    replies, _ = await run(ActionOpenCase(), tracker("affirm", text="ja", events=history))
    request = replies[0].open_case
    assert request is not None
    assert (request.reason, request.topic) == ("urgent", "bureaucracy")
    assert request.description == "Meine Duldung endet am 12.12., was tun?"
