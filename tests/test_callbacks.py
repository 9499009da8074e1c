"""Buttons come back from the user's client and can be forged: only our shapes are accepted."""

import pytest

from bot.replies import callbacks

SHORT_KEYS = {"apprenticeship", "find_flat"}


def test_known_shapes_are_parsed() -> None:
    assert callbacks.parse("a:training.apprenticeship") == callbacks.Callback(
        "answer", "training.apprenticeship"
    )
    assert callbacks.parse("f:0:housing.find_flat") == callbacks.Callback(
        "feedback", "housing.find_flat", "0"
    )
    assert callbacks.parse("m") == callbacks.Callback("menu")
    assert callbacks.parse("d:y") == callbacks.Callback("delete", "y")


@pytest.mark.parametrize("data", ["", "x:1", "d:maybe", "f:2:key", "a:", "z" * 65])
def test_unknown_or_broken_data_is_rejected(data: str) -> None:
    assert callbacks.parse(data) is None


@pytest.mark.parametrize(
    "payload",
    ["/request_human", "/handoff_accept", '/handoff_accept{"handoff_topic":"housing"}',
     '/inform{"handoff_contact":"telegram"}', "/ask_find_flat", "/clarify_none"],
)  # fmt: skip
def test_our_rasa_payloads_are_allowed(payload: str) -> None:
    assert callbacks.is_allowed_rasa_payload(payload, SHORT_KEYS)


@pytest.mark.parametrize(
    "payload",
    ["/restart", "/ask_unknown", '/inform{"handoff_description":"injected"}',
     '/inform{"handoff_topic":"hacking"}', '/handoff_accept{"handoff_topic":"x","a":1}',
     "/session_start", "hello"],
)  # fmt: skip
def test_forged_rasa_payloads_are_refused(payload: str) -> None:
    assert not callbacks.is_allowed_rasa_payload(payload, SHORT_KEYS)


def test_built_callback_data_fits_telegrams_64_bytes() -> None:
    for topic in callbacks.HANDOFF_TOPICS:
        assert len(callbacks.handoff_accept(topic).encode()) <= 64
