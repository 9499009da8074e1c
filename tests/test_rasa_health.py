"""An empty answer from Rasa is an outage when the action server is down, not a question we
failed to understand (the message then waits instead of getting "please rephrase")."""

from __future__ import annotations

from aiohttp import web

from bot.rasa.health import action_server_up, health_url
from tests.conftest import RasaServer
from tests.servers import free_port


def test_the_health_route_sits_beside_the_webhook() -> None:
    assert health_url("http://127.0.0.1:5055/webhook") == "http://127.0.0.1:5055/health"


async def test_a_running_action_server_is_up_and_a_closed_port_is_not(
    rasa_server: RasaServer,
) -> None:
    assert await action_server_up(f"http://127.0.0.1:{rasa_server.action_port}/webhook")
    assert not await action_server_up(f"http://127.0.0.1:{free_port()}/webhook")


async def _unhealthy(_request: web.Request) -> web.Response:
    return web.Response(status=503)


async def test_an_action_server_that_answers_with_an_error_is_not_up() -> None:
    app = web.Application()
    app.router.add_get("/health", _unhealthy)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        assert not await action_server_up(f"http://127.0.0.1:{port}/webhook")
    finally:
        await runner.cleanup()
