"""Custom actions, fed a tracker like Rasa sends it, with a real CollectingDispatcher."""

from typing import Any

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Tracker

from bot.actions.answers import ActionAnswer
from bot.actions.fallback import ActionClarify, ActionOutOfScope
from bot.actions.handoff import ActionOfferHandoff, ActionOpenCase, ValidateHandoffForm
from bot.replies import Reply


def tracker(
    intent: str,
    confidence: float = 0.95,
    language: str = "en",
    ranking: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    text: str = "…",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        "metadata": {"language": language, "update_id": 1},
    }
    return Tracker("u123", slots or {}, latest, events or [], False, None, {}, "action_listen")


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
    ("intent", "marker"),
    [
        ("urgent_case", "deadline"),
        ("request_human", "caseworker"),
        ("nlu_fallback", "still not sure"),
    ],
)
async def test_the_offer_says_why_a_person_should_look_at_it(intent: str, marker: str) -> None:
    replies, _ = await run(ActionOfferHandoff(), tracker(intent))
    assert replies[0].key == "handoff.offer"
    assert marker in replies[0].text
    assert replies[0].buttons[0][0].data.startswith("r:/handoff_accept")


async def test_out_of_scope_says_what_the_bot_can_do_and_shows_topics() -> None:
    replies, _ = await run(ActionOutOfScope(), tracker("out_of_scope"))
    assert replies[0].key == "fallback.out_of_scope"
    assert any(b.data == "t:housing" for row in replies[0].buttons for b in row)


async def test_the_form_normalises_answers_and_rejects_typed_payloads() -> None:
    form = ValidateHandoffForm()
    dispatcher = CollectingDispatcher()
    track = tracker("ask_find_flat", 0.9)
    assert await form.validate_handoff_topic("housing", dispatcher, track, {}) == {
        "handoff_topic": "housing"
    }
    assert await form.validate_handoff_topic("Wohnen", dispatcher, track, {}) == {
        "handoff_topic": "housing"
    }
    assert await form.validate_handoff_topic("flat stuff", dispatcher, track, {}) == {
        "handoff_topic": "housing"
    }
    assert await form.validate_handoff_topic("/handoff_accept", dispatcher, track, {}) == {
        "handoff_topic": None
    }
    assert await form.validate_handoff_description("ok", dispatcher, track, {}) == {
        "handoff_description": None
    }
    long = "x " * 2000
    assert (
        len(
            (await form.validate_handoff_description(long, dispatcher, track, {}))[
                "handoff_description"
            ]
        )
        == 2000
    )
    assert await form.validate_handoff_contact("here", dispatcher, track, {}) == {
        "handoff_contact": "telegram"
    }


async def test_opening_a_case_asks_the_bot_to_do_it_and_clears_the_form() -> None:
    slots = {
        "handoff_topic": "bureaucracy",
        "handoff_description": "Brief mit Frist",
        "handoff_contact": "telegram",
    }
    replies, events = await run(ActionOpenCase(), tracker("inform", slots=slots))
    assert replies[0].key == "handoff.opened"
    assert replies[0].open_case is not None and replies[0].open_case.topic == "bureaucracy"
    assert SlotSet("handoff_description", None) in events
