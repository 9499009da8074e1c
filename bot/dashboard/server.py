"""Running the dashboard: beside the bot in the same event loop, or alone.

uvicorn's `Server.serve()` runs as a task; its own signal handling is switched off, because
the process (the bot, Rasa's supervisor) owns Ctrl-C. The socket is bound here first, so a
port in use is a clear error instead of uvicorn's `sys.exit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn

from bot.config import Settings
from bot.dashboard.app import create_app
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.storage import staff as staff_store
from bot.translation import Translator

logger = logging.getLogger(__name__)

FIRST_ADMIN_HINT = (
    "no dashboard account yet: create the first admin with "
    "`.venv/bin/python -m bot user add NAME --role admin`"
)


class DashboardError(RuntimeError):
    """The dashboard cannot start (e.g. its port is taken); the message says what to do."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the surrounding program handles signals


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on such sockets; without it
    # Nagle holds back each response body ~40 ms on a kept-alive connection (every poll).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise DashboardError(
            f"the dashboard cannot listen on {host}:{port} ({exc.strerror}); "
            "set DASHBOARD_HOST / DASHBOARD_PORT"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def hint_first_admin(settings: Settings) -> None:
    """One log line on the very first start: how to create the first account."""
    engine = make_async_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            if not await staff_store.any_user(session):
                logger.info(FIRST_ADMIN_HINT)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def dashboard_running(
    settings: Settings, translator: Translator | None = None
) -> AsyncIterator[str]:
    """Serve the dashboard while the block runs; yields its address."""
    sock = _bind(settings.dashboard_host, settings.dashboard_port)
    config = uvicorn.Config(
        create_app(settings, translator),
        log_config=None,
        access_log=False,  # URLs hold case numbers; the audit log says who read what
        server_header=False,
        proxy_headers=False,
        lifespan="on",
    )
    server = _Server(config)

    async def serve() -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit:
            raise DashboardError("the dashboard failed to start (see the log above)") from None

    task = asyncio.create_task(serve(), name="dashboard")
    while not server.started:
        if task.done():
            sock.close()
            task.result()
            raise DashboardError("the dashboard stopped while starting (see the log above)")
        await asyncio.sleep(0.05)
    try:
        yield settings.dashboard_url
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError, DashboardError):
            await asyncio.wait_for(task, timeout=10)
        sock.close()


async def run_dashboard(settings: Settings) -> None:
    """`python -m bot dashboard`: only the dashboard, until Ctrl-C."""
    await hint_first_admin(settings)
    async with dashboard_running(settings) as url:
        logger.info("ready: dashboard at %s", url)
        await asyncio.Event().wait()
