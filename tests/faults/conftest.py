"""Fixtures of the fault suite: a private PostgreSQL, the fake services, the product running.

Starting the product costs about a minute (Rasa loads its model), so one stack serves the
scenarios of a module in turn; before each scenario it is checked and, if an earlier scenario
left it broken, started afresh, so one failure does not fail the rest. Every process a stack
started is swept away at the end of its module and again at the end of the session.
"""

from __future__ import annotations

import atexit
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fake_google_translate import FakeGoogleTranslate
from tests.fake_telegram import FakeTelegram
from tests.faults.postgres import PrivatePostgres, find_bindir
from tests.faults.stack import sweep_all_stacks

atexit.register(sweep_all_stacks)  # even when pytest itself is interrupted


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    yield
    sweep_all_stacks()


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    server = PrivatePostgres(bindir)
    atexit.register(server.destroy)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
async def fault_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture(scope="module")
async def fault_google() -> AsyncIterator[FakeGoogleTranslate]:
    fake = FakeGoogleTranslate()
    await fake.up()
    yield fake
    await fake.down()
