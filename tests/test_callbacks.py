"""Buttons come back from the user's client and can be forged: only our shapes are accepted."""

import pytest

from bot.replies import callbacks
from bot.replies.callbacks import Callback

SHORT_KEYS = {"apprenticeship", "find_flat"}


def test_known_shapes_are_parsed() -> None:
    assert callbacks.parse("a:training.apprenticeship") == Callback(
        "answer", "training.apprenticeship"
    )
    assert callbacks.parse("f:0:housing.find_flat") == Callback(
        "feedback", "housing.find_flat", "0"
    )
    assert callbacks.parse("m") == Callback("menu")
    assert callbacks.parse("d:y") == Callback("delete", "y")
    assert callbacks.parse("b") == Callback("back")
    assert callbacks.parse("cf:12:1") == Callback("case_feedback", "12", "1")


def test_handoff_buttons_are_handled_by_the_bot_and_carry_reason_topic_and_message() -> None:
    assert callbacks.parse(callbacks.handoff()) == Callback("handoff", "other", "request")
    assert callbacks.parse(callbacks.handoff("urgent", "bureaucracy", 123)) == Callback(
        "handoff", "bureaucracy", "urgent", 123
    )
    assert callbacks.parse(callbacks.decline()) == Callback("decline")
    assert callbacks.parse(callbacks.cancel_case(7)) == Callback("cancel_case", "7")
    assert callbacks.parse(callbacks.contact(7)) == Callback("contact", "7")
    assert callbacks.parse(callbacks.contact_cancel()) == Callback("contact_cancel")
    assert callbacks.parse(callbacks.photo_case(99)) == Callback("photo_case", "99")


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [("r:/request_human", Callback("handoff", "other", "request")),
     ("r:/handoff_accept", Callback("handoff", "other", "request")),
     ('r:/handoff_accept{"handoff_topic":"housing"}', Callback("handoff", "housing", "request")),
     ("r:/handoff_decline", Callback("decline"))],
)  # fmt: skip
def test_buttons_of_the_old_form_still_in_chats_now_open_a_case_directly(
    legacy: str, expected: Callback
) -> None:
    assert callbacks.parse(legacy) == expected


@pytest.mark.parametrize(
    "data",
    ["", "q:1", "x:", "x:abc", "d:maybe", "f:2:key", "a:", "z" * 65, "h:", "h:request",
     "h:hacking:other", "h:urgent:nowhere", "h:urgent:other:12a", "h:urgent:other:1:2",
     "cf:1:2", "cf:a:1", "c:-1", "p:1e5", "b:1", 'r:/handoff_accept{"handoff_topic":"x"}',
     'r:/handoff_accept{"handoff_topic":"housing","a":1}'],
)  # fmt: skip
def test_unknown_or_broken_data_is_rejected(data: str) -> None:
    parsed = callbacks.parse(data)
    assert parsed is None or (parsed.kind == "rasa" and data.startswith("r:")), parsed


@pytest.mark.parametrize("payload", ["/ask_find_flat", "/clarify_none"])
def test_our_rasa_payloads_are_allowed(payload: str) -> None:
    assert callbacks.is_allowed_rasa_payload(payload, SHORT_KEYS)


@pytest.mark.parametrize(
    "payload",
    ["/restart", "/ask_unknown", '/inform{"handoff_description":"injected"}',
     "/request_human", "/handoff_accept", "/cancel", "/session_start", "hello"],
)  # fmt: skip
def test_forged_rasa_payloads_are_refused(payload: str) -> None:
    assert not callbacks.is_allowed_rasa_payload(payload, SHORT_KEYS)


def test_built_callback_data_fits_telegrams_64_bytes() -> None:
    for topic in callbacks.HANDOFF_TOPICS:
        for reason in callbacks.HANDOFF_REASONS:
            assert len(callbacks.handoff(reason, topic, 10**18 - 1).encode()) <= 64
