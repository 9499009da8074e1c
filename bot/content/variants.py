"""Answers that depend on the user's residence paper: variant sections in a content file.

A file may end with sections that replace the general text for one residence status:

    General text (for everybody, with its caveats) ...

    <!-- variant: duldung -->
    The text for people with a Duldung ...

The general text comes first and is what a user without a stored status gets. The marker
is an HTML comment, so Markdown viewers (GitHub, editors) hide it and the file still reads
as one answer; the whole file, markers included, is one revision in the dashboard, so a
publish or `content export` keeps the variants. Kept free of imports from the store so the
store can use it.
"""

from __future__ import annotations

import re

# The papers the bot asks about, in the order of its buttons.
STATUSES = ("gestattung", "duldung", "aufenthaltserlaubnis")
SKIP = "skip"  # the user's "skip / not sure": nothing is stored

_MARKER = re.compile(r"^\s*<!--\s*variant:\s*([A-Za-z0-9_-]*)\s*-->\s*$", re.MULTILINE)


def split_variants(body: str) -> tuple[str, dict[str, str]]:
    """(general text, {status: text}) of a body; a status named twice keeps its first text.

    Any name is returned, known or not: `content check` warns about unknown ones and the
    bot only ever asks for the `STATUSES`.
    """
    markers = list(_MARKER.finditer(body))
    if not markers:
        return body.strip(), {}
    general = body[: markers[0].start()].strip()
    variants: dict[str, str] = {}
    for index, marker in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(body)
        variants.setdefault(marker.group(1).lower(), body[marker.end() : end].strip())
    return general, variants


def marker_lines(body: str) -> dict[str, int]:
    """The 1-based body line of each variant marker, for findings an editor can act on."""
    lines: dict[str, int] = {}
    for number, line in enumerate(body.splitlines(), 1):
        found = _MARKER.fullmatch(line)
        if found:
            lines.setdefault(found.group(1).lower(), number)
    return lines


def is_status(value: str | None) -> bool:
    return value in STATUSES


def is_marker(line: str) -> bool:
    """A variant marker line (kept as it is by machine translation)."""
    return _MARKER.fullmatch(line) is not None
