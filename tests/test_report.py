"""The Kreis coordination group's story: at the end of a month an editor writes the monthly
report with one command. It shows what was asked per topic and language, the top unanswered
need (driving lessons, asked in three languages), how fast cases were answered and resolved,
and the feedback — and no phone number, e-mail address, chat id, pseudonym or single
question that nobody else asked.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.db.models import Case
from tests.dashboard.test_gaps import (
    BANK_QUESTION,
    CASE_TEXTS,
    CASES_ONLY,
    EMAIL,
    PET,
    PHONE,
    add_case_texts,
    add_retyped_question,
    tell_gap_story,
)
from tests.servers import ROOT

_months = itertools.count(1)


async def month_with_gaps(sessions: Any, year: int) -> tuple[str, Any]:
    """A month with the gap story and its case answered after 2 h, resolved after a day."""
    month = next(_months)
    story = await tell_gap_story(sessions, year=year, month=month)
    async with sessions.begin() as session:
        case = await session.scalar(select(Case).where(Case.chat_id.in_(story.chat_ids)))
        assert case is not None
        case.first_response_at = case.created_at + dt.timedelta(hours=2)
        case.closed_at = case.created_at + dt.timedelta(days=1)
        case.status = "resolved"
    return f"{year}-{month:02d}", story


def run_report(database_url: str, month: str, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", "report", "--month", month, "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )  # fmt: skip


async def test_the_monthly_report_shows_needs_and_times_without_personal_data(
    database_url: str, sessions: Any, tmp_path: Path
) -> None:
    month, story = await month_with_gaps(sessions, 2996)
    out = tmp_path / "report.html"
    result = run_report(database_url, month, out)
    assert result.returncode == 0, result.stderr[-2000:]
    html = out.read_text(encoding="utf-8")
    assert f"Monatsbericht {month[5:]}/{month[:4]}" in html
    assert "Häufigste unbeantwortete Anliegen" in html
    # the driving-lessons group (4 questions, three languages) is the top need
    assert "4-mal gefragt" in html and "ar 1" in html
    assert "Median 2 Std." in html and "Median 24 Std." in html
    assert "Hat geholfen: 0 · Hat nicht geholfen: 1" in html
    for secret in (PHONE, EMAIL, *map(str, story.chat_ids), *story.pseudonyms):
        assert secret not in html
    assert BANK_QUESTION not in html  # asked once: counted, never quoted
    assert "<script" not in html


async def test_a_malformed_month_is_refused_in_one_line(database_url: str, tmp_path: Path) -> None:
    result = run_report(database_url, "11/2026", tmp_path / "x.html")
    assert result.returncode == 2
    assert "--month YYYY-MM" in result.stderr
    assert not (tmp_path / "x.html").exists()


async def test_the_report_quotes_no_case_description(
    database_url: str, sessions: Any, tmp_path: Path
) -> None:
    """Cases count among the needs, but what a young person wrote to a caseworker is not
    quoted: a need known only from cases is named without its text."""
    month = next(_months)
    story = await tell_gap_story(sessions, year=2996, month=month)
    await add_case_texts(sessions, story)
    out = tmp_path / "report.html"
    result = run_report(database_url, f"2996-{month:02d}", out)
    assert result.returncode == 0, result.stderr[-2000:]
    html = out.read_text(encoding="utf-8")
    for text in CASE_TEXTS:
        assert text not in html
    assert "Sami" not in html
    assert CASES_ONLY in html


async def test_a_question_one_person_retyped_is_not_quoted(
    database_url: str, sessions: Any, tmp_path: Path
) -> None:
    """The bot asks a young person to say it in other words; they type the same again.
    Two questions, one person: counted among the needs, never quoted in the report."""
    month = next(_months)
    story = await tell_gap_story(sessions, year=2996, month=month)
    await add_retyped_question(sessions, story)
    out = tmp_path / "report.html"
    result = run_report(database_url, f"2996-{month:02d}", out)
    assert result.returncode == 0, result.stderr[-2000:]
    html = out.read_text(encoding="utf-8")
    assert PET not in html
    assert "Dazu 3 Fragen zu Anliegen, die nur eine Person hatte" in html  # dog 2, bank 1
    assert "4-mal gefragt" in html  # driving lessons, asked by four people, still quoted
