"""The gaps as CSV: counts per group, ISO week and language.

No chat ids, no pseudonyms, no case numbers; the only text is the group's label (its most
central wording), masked like every wording the page shows, and only for a group that at
least two different people asked (`GapGroup.quotable`). Otherwise the dashboard's words
stand in its place: `cases_label` for a group of case texts only, `single_label` for a
need one person had.
"""

from __future__ import annotations

import csv
import io

from bot.gaps.groups import GapGroup

FIELDS = ("group", "label", "topic", "week", "language", "count")


def groups_csv(groups: list[GapGroup], cases_label: str, single_label: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for number, group in enumerate(groups, start=1):
        if group.label is not None and group.quotable:
            label = group.label
        else:
            label = cases_label if group.label is None else single_label
        for (week, language), count in sorted(group.week_language.items()):
            writer.writerow((number, _cell(label), group.topic or "", week, language, count))
    return out.getvalue()


def _cell(text: str) -> str:
    """No formula injection when a spreadsheet opens the file."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
