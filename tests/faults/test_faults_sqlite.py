"""The bot SIGKILLed under load on SQLite, the small deployment's database (`make run`).

A kill in the middle of a write must leave SQLite's inbox and outbox consistent (WAL), so the
restarted bot answers everything, as on PostgreSQL (test_faults.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_telegram import FakeTelegram
from tests.faults.scenarios import bot_sigkilled_under_load
from tests.faults.stack import BotStack, healthy

pytestmark = [pytest.mark.faults, pytest.mark.e2e]


@pytest.fixture(scope="module")
async def sqlite_stack(
    rasa_model: Path, fault_telegram: FakeTelegram, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotStack]:
    root = tmp_path_factory.mktemp("stack-sqlite")
    running = BotStack(root, f"sqlite:///{root / 'assistant.db'}", fault_telegram)
    yield running
    await running.stop()


async def test_bot_sigkilled_under_load_on_sqlite_answers_everything_after_restart(
    sqlite_stack: BotStack, fault_telegram: FakeTelegram
) -> None:
    await bot_sigkilled_under_load(await healthy(sqlite_stack), fault_telegram, seed=11)
