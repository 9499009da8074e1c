"""The monthly report: what young people asked, what they did not find, how cases went.

For the Kreis coordination group, so it carries no personal data: no chat ids, pseudonyms or
case numbers, no phone numbers or e-mail addresses, and no user text except the label of a
gap group that at least two different people asked (`GapGroup.quotable`; masked like every
wording, never a case description).
The same data renders as a dashboard page and as a standalone HTML file (`python -m bot
report --month YYYY-MM --out FILE.html`), both printable to PDF.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.store import ContentStore
from bot.db.models import Case, ConversationMessage
from bot.gaps import chart
from bot.gaps.feedback import Feedback, feedback_counts
from bot.gaps.grouping import Grouper
from bot.gaps.groups import MIN_PEOPLE_QUOTED, GapGroup, gap_groups, weeks_between
from bot.gaps.questions import unanswered
from bot.storage.cases import aware

TOP_NEEDS = 10
TOP_FEEDBACK = 10


def parse_month(value: str) -> dt.date:
    """'2026-11' -> 2026-11-01; ValueError for anything else."""
    year, month = value.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(value)
    return dt.date(int(year), int(month), 1)


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(today: dt.date) -> dt.date:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return first.replace(day=1)


@dataclass(frozen=True)
class Durations:
    count: int
    median: dt.timedelta | None
    p90: dt.timedelta | None

    @classmethod
    def of(cls, values: list[dt.timedelta]) -> Durations:
        if not values:
            return cls(0, None, None)
        seconds = sorted(v.total_seconds() for v in values)
        p90 = seconds[min(len(seconds) - 1, max(0, -(-9 * len(seconds) // 10) - 1))]
        return cls(
            len(seconds),
            dt.timedelta(seconds=statistics.median(seconds)),
            dt.timedelta(seconds=p90),
        )


@dataclass
class Escalations:
    opened: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    by_topic: Counter[str] = field(default_factory=Counter)
    still_open: int = 0
    first_answer: Durations = Durations(0, None, None)
    resolution: Durations = Durations(0, None, None)


@dataclass
class MonthlyReport:
    month: dt.date
    answers: Counter[tuple[str, str]]  # (topic, language) -> answers given
    topics: list[str]
    languages: list[str]
    unanswered: Counter[str]  # language -> questions without an answer
    needs: list[GapGroup]
    single_needs: int  # questions of needs only one person had: counted, not shown
    embedded: bool
    trend: chart.Chart
    escalations: Escalations
    feedback: list[Feedback]
    feedback_total: Feedback

    @property
    def answers_by_topic(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (topic, _), n in self.answers.items():
            out[topic] += n
        return out

    @property
    def answers_by_language(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (_, language), n in self.answers.items():
            out[language] += n
        return out


def month_bounds(first: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(next_month(first), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def _answers(
    session: AsyncSession, store: ContentStore, start: dt.datetime, end: dt.datetime
) -> Counter[tuple[str, str]]:
    """Answers the bot gave (typed questions and menu choices), per topic and language."""
    m = ConversationMessage
    keys = set(store.catalog.full_keys)
    rows = await session.execute(
        select(m.content_key, m.language, func.count())
        .where(m.direction == "out", m.created_at >= start, m.created_at < end)
        .where(m.content_key.in_(keys))
        .group_by(m.content_key, m.language)
    )
    counts: Counter[tuple[str, str]] = Counter()
    for key, language, n in rows:
        counts[(str(key).split(".", 1)[0], language or "")] += n
    return counts


async def _escalations(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> Escalations:
    cases = list(
        await session.scalars(select(Case).where(Case.created_at >= start, Case.created_at < end))
    )
    found = Escalations(opened=len(cases))
    first_answer: list[dt.timedelta] = []
    resolution: list[dt.timedelta] = []
    for case in cases:
        found.by_reason[case.reason] += 1
        found.by_topic[case.topic] += 1
        opened = aware(case.created_at)
        if case.first_response_at is not None:
            first_answer.append(aware(case.first_response_at) - opened)
        if case.status == "resolved" and case.closed_at is not None:
            resolution.append(aware(case.closed_at) - opened)
        else:
            found.still_open += 1
    found.first_answer = Durations.of(first_answer)
    found.resolution = Durations.of(resolution)
    return found


async def build_report(
    session: AsyncSession, store: ContentStore, grouper: Grouper, month: dt.date, timezone: str
) -> MonthlyReport:
    start, end = month_bounds(month, timezone)
    questions = await unanswered(session, start, end)
    groups, embedded = await gap_groups(grouper, questions, timezone)
    shown = [g for g in groups if g.people >= MIN_PEOPLE_QUOTED]
    answers = await _answers(session, store, start, end)
    total: Counter[str] = Counter()
    for group in groups:
        total.update(group.weeks)
    feedback = await feedback_counts(session, start, end)
    summed = Feedback("", "")
    for row in feedback:
        summed.helped += row.helped
        summed.not_helped += row.not_helped
    unanswered_by_language: Counter[str] = Counter(q.language for q in questions)
    languages = sorted({lang for _, lang in answers} | set(unanswered_by_language))
    return MonthlyReport(
        month=month,
        answers=answers,
        topics=sorted({topic for topic, _ in answers}),
        languages=languages,
        unanswered=unanswered_by_language,
        needs=shown[:TOP_NEEDS],
        single_needs=sum(g.size for g in groups if g.people < MIN_PEOPLE_QUOTED),
        embedded=embedded,
        trend=chart.weekly_bars(total, weeks_between(month, next_month(month) - dt.timedelta(1))),
        escalations=await _escalations(session, start, end),
        feedback=feedback[:TOP_FEEDBACK],
        feedback_total=summed,
    )
