"""Gap groups as editors see them: a label, a few wordings, counts per week and language.

The label is the group's most central wording; every wording shown is masked (phone numbers
and e-mail addresses, `bot.redact`). Case descriptions (kind `escalation`) count in their
group and mark it escalated, but their text is never a label or a wording: editors see no
case content. A group of case texts only has no label (`label is None`). Group ids are the
reference of the group's oldest question, so a link stays valid while the date range still
contains it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.export_stats import iso_week
from bot.gaps.grouping import Grouper, normalised
from bot.gaps.questions import Question
from bot.redact import mask_contacts
from bot.storage.cases import aware

EXAMPLES = 5  # wordings shown per group
# Outside the gaps page (the report, the CSV) a group's wording is quoted only when at
# least this many different people asked: a need one person had is not quoted, even if
# that person retyped the question (as the bot asks them to).
MIN_PEOPLE_QUOTED = 2


@dataclass(frozen=True)
class Wording:
    ref: str
    text: str  # masked
    language: str


@dataclass
class GapGroup:
    id: str
    label: str | None  # masked, the most central wording; None: case texts only
    label_language: str
    size: int
    examples: list[Wording]
    weeks: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    week_language: Counter[tuple[str, str]] = field(default_factory=Counter)
    escalated: int = 0
    message_ids: list[int] = field(default_factory=list)
    people: int = 0  # different chats that asked

    @property
    def quotable(self) -> bool:
        """Whether its label may leave the gaps page (report, CSV)."""
        return self.label is not None and self.people >= MIN_PEOPLE_QUOTED

    @property
    def topic(self) -> str | None:
        return self.topics.most_common(1)[0][0] if self.topics else None


def week_of(question: Question, zone: ZoneInfo) -> str:
    """The ISO week of the local day it was asked on (as "today" and the report count)."""
    return iso_week(aware(question.created_at).astimezone(zone).date())


def weeks_between(start: dt.date, end: dt.date) -> list[str]:
    """ISO weeks from the one containing `start` to the one containing `end`."""
    weeks: list[str] = []
    day = start - dt.timedelta(days=start.weekday())
    while day <= end:
        weeks.append(iso_week(day))
        day += dt.timedelta(days=7)
    return weeks


def shown(question: Question) -> bool:
    """Whether its text may be shown to editors: not a case description."""
    return question.kind != "escalation"


def _examples(members: list[Question], centre: Question) -> list[Wording]:
    """The label first, then other wordings, preferring languages not shown yet; never a
    case description."""
    members = [q for q in members if shown(q)]
    chosen = [centre]
    seen = {normalised(centre.text)}
    languages = {centre.language}
    rest = sorted(
        members, key=lambda q: (q.language in languages, -aware(q.created_at).timestamp())
    )
    for question in rest:
        if len(chosen) >= EXAMPLES:
            break
        if normalised(question.text) in seen:
            continue
        chosen.append(question)
        seen.add(normalised(question.text))
        languages.add(question.language)
    return [Wording(q.ref, mask_contacts(q.text), q.language) for q in chosen]


def build(
    questions: list[Question], groups: list[list[int]], centres: list[int], timezone: str
) -> list[GapGroup]:
    zone = ZoneInfo(timezone)
    built: list[GapGroup] = []
    for members_idx, centre_idx in zip(groups, centres, strict=True):
        members = [questions[i] for i in members_idx]
        centre: Question | None = questions[centre_idx]
        if not shown(questions[centre_idx]):  # the newest wording that may be shown
            centre = next((q for q in members if shown(q)), None)
        oldest = min(members, key=lambda q: (aware(q.created_at), q.ref))
        group = GapGroup(
            id=oldest.ref,
            label=mask_contacts(centre.text) if centre else None,
            label_language=centre.language if centre else "",
            size=len(members),
            examples=_examples(members, centre) if centre else [],
            people=len({q.chat_id for q in members}),
        )
        for q in members:
            week = week_of(q, zone)
            group.weeks[week] += 1
            group.languages[q.language] += 1
            group.week_language[(week, q.language)] += 1
            group.kinds[q.kind] += 1
            group.escalated += int(q.escalated)
            if q.topic:
                group.topics[q.topic] += 1
            if q.message_id is not None and q.message_id not in group.message_ids:
                group.message_ids.append(q.message_id)
        built.append(group)
    built.sort(key=lambda g: (-g.size, g.label or ""))
    return built


async def gap_groups(
    grouper: Grouper, questions: list[Question], timezone: str
) -> tuple[list[GapGroup], bool]:
    """The groups, largest first, weeks counted in `timezone`, and whether they were grouped
    by meaning."""
    grouping = await grouper.group([mask_contacts(q.text) for q in questions])
    return build(questions, grouping.groups, grouping.centres, timezone), grouping.embedded
