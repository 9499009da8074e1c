"""The export contract: JSONL, one message per line, pseudonymous, in time order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from bot.export import EXPORT_FIELDS
from bot.storage import chats, log
from tests.servers import ROOT


def run_export(database_url: str, *args: str) -> list[dict[str, Any]]:
    env = {**os.environ, "DATABASE_URL": database_url}  # exports need no data key
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "conversations", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )  # fmt: skip
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
async def conversation(sessions: Any, chat_id: int) -> tuple[int, str]:
    """A question and its answer; returns the chat id and the chat's pseudonym."""
    async with sessions.begin() as session:
        pseudonym = (await chats.get_or_create(session, chat_id)).pseudonym
        log.log_message(session, chat_id, "in", "Wo finde ich eine Wohnung?", language="de",
                        intent="ask_find_flat", confidence=0.93, update_id=1)  # fmt: skip
        log.log_message(session, chat_id, "out", "Eine Wohnung finden …", language="de",
                        content_key="housing.find_flat", update_id=1)  # fmt: skip
    return chat_id, pseudonym


async def test_export_writes_one_pseudonymous_object_per_message_in_order(
    database_url: str, conversation: tuple[int, str]
) -> None:
    chat_id, pseudonym = conversation
    records = [r for r in run_export(database_url) if r["chat"] == pseudonym]
    assert [r["direction"] for r in records] == ["in", "out"]
    assert all(tuple(r) == EXPORT_FIELDS for r in records)
    question, answer = records
    assert (question["intent"], question["confidence"], question["language"]) == (
        "ask_find_flat",
        0.93,
        "de",
    )
    assert answer["content_key"] == "housing.find_flat" and answer["case_id"] is None
    assert str(chat_id) not in json.dumps(records)
    assert question["time"].endswith("+00:00")


async def test_export_since_a_date_leaves_out_older_messages(
    database_url: str, conversation: tuple[int, str]
) -> None:
    assert run_export(database_url, "--since", "2999-01-01") == []
