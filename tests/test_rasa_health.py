"""An empty answer from Rasa is an outage when the action server is down, not a question we
failed to understand (the message then waits instead of getting "please rephrase"); when
Rasa is back, the questions that waited are woken once; a question asked again after an
empty turn is replayed with its last answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from bot.rasa.client import RasaClient
from bot.rasa.health import RasaOutage, action_server_up, health_url
from bot.replies import Reply
from tests.conftest import RasaServer
from tests.servers import free_port


def test_the_health_route_sits_beside_the_webhook() -> None:
    assert health_url("http://127.0.0.1:5055/webhook") == "http://127.0.0.1:5055/health"


async def test_a_running_action_server_is_up_and_a_closed_port_is_not(
    rasa_server: RasaServer,
) -> None:
    assert await action_server_up(f"http://127.0.0.1:{rasa_server.action_port}/webhook")
    assert not await action_server_up(f"http://127.0.0.1:{free_port()}/webhook")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _unhealthy(_request: web.Request) -> web.Response:
    return web.Response(status=503)


@contextlib.asynccontextmanager
async def serving(path: str, handler: Handler) -> AsyncIterator[str]:
    """A local HTTP server with one GET route; yields its base URL."""
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_an_action_server_that_answers_with_an_error_is_not_up() -> None:
    async with serving("/health", _unhealthy) as url:
        assert not await action_server_up(f"{url}/webhook")


class Probed:
    """Readiness answers in a row, as Rasa (or its action server) gives them during an outage."""

    def __init__(self, *answers: bool) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def __call__(self) -> bool:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def test_an_outage_ends_once_when_the_probe_finds_rasa_and_the_action_server_back() -> None:
    back = asyncio.Event()
    wakes: list[str] = []

    def on_back() -> None:
        wakes.append("wake")
        back.set()

    rasa, actions = Probed(False, False, True), Probed(False, True)
    outage = RasaOutage(rasa, actions, on_back, interval=0.01)
    outage.failed()
    outage.failed(actions=True)  # another chat's turn: Rasa answered, its actions did not
    try:
        await asyncio.wait_for(back.wait(), timeout=30)
        assert not outage.out and wakes == ["wake"]
        assert rasa.asked >= 3 and actions.asked == 2  # back only once both answer
        outage.succeeded()  # the retried question's turn: no second wake
        assert wakes == ["wake"]
    finally:
        await outage.close()


async def test_a_turn_that_succeeds_ends_the_outage_before_the_probe_does() -> None:
    wakes: list[str] = []
    outage = RasaOutage(Probed(False), Probed(True), lambda: wakes.append("wake"), interval=60)
    outage.failed()
    assert outage.out
    outage.succeeded()
    assert not outage.out and wakes == ["wake"]
    await outage.close()


def _user(update_id: int) -> dict[str, object]:
    return {"event": "user", "text": "…", "metadata": {"update_id": update_id}}


def _bot(key: str) -> dict[str, object]:
    return {
        "event": "bot",
        "data": {"custom": Reply(key=key, text=key, language="de").to_payload()},
    }


async def test_a_question_asked_again_after_an_empty_turn_is_replayed_with_its_last_answer() -> (
    None
):
    # Update 7 was asked twice (the first turn came back empty), then update 8 followed.
    events = [
        _user(7),
        {"event": "action", "name": "action_answer"},
        _user(7),
        _bot("housing.find_flat"),
        _user(8),
        _bot("fallback.clarify"),
    ]

    async def tracker(_request: web.Request) -> web.Response:
        return web.json_response({"events": events})

    async with serving("/conversations/{sender}/tracker", tracker) as url:
        client = RasaClient(url)
        try:
            seven = await client.replies_for("p", 7)
            assert seven is not None and [r.key for r in seven.replies] == ["housing.find_flat"]
            eight = await client.replies_for("p", 8)
            assert eight is not None and [r.key for r in eight.replies] == ["fallback.clarify"]
            assert await client.replies_for("p", 9) is None
        finally:
            await client.close()
