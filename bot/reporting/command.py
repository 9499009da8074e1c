"""`python -m bot report --month YYYY-MM --out FILE.html`: the monthly report as a file."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from bot.config import Settings
from bot.content.live import live_content
from bot.db.engine import make_async_engine, make_sessionmaker
from bot.gaps.grouping import Grouper
from bot.reporting.monthly import build_report
from bot.reporting.render import standalone_html

logger = logging.getLogger(__name__)


async def monthly_report_html(settings: Settings, first: dt.date, language: str) -> str:
    """The standalone report for the month starting on `first`."""
    live = await asyncio.to_thread(live_content, settings)
    engine = make_async_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            report = await build_report(
                session, live.current(), Grouper.for_settings(settings), first, settings.timezone
            )
    finally:
        await engine.dispose()
        live.close()
    logger.info(
        "built the monthly report for %s (%d needs)", first.isoformat()[:7], len(report.needs)
    )
    return standalone_html(report, language)
