"""What the editors' pages do with content: the state of every answer, a draft rendered as
Telegram will show it, the checks before a publish, and "still valid".

Kept apart from the routes so the rules are plain functions over a `ContentStore`: the
same state words as the bot's honesty line (`bot.content.review`), the same checks as
`content check` (`bot.content.check.check_entry`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.check import Finding, check_entry
from bot.content.overlay import entry_text, revision_entry, text_of
from bot.content.review import is_due, is_outdated
from bot.content.store import SOURCE_LANGUAGE, ContentEntry, ContentError, ContentStore
from bot.i18n.bidi import for_language
from bot.languages import LANGUAGES
from bot.replies import Reply
from bot.replies.compose import answer

STATES = ("reviewed", "machine", "draft", "outdated", "missing")


@dataclass(frozen=True)
class Cell:
    """One key in one language, as the matrix shows it."""

    key: str
    language: str
    state: str  # one of STATES
    reviewed: dt.date | None = None
    due: bool = False

    def age_days(self, today: dt.date) -> int | None:
        return (today - self.reviewed).days if self.reviewed else None


def cell_of(
    store: ContentStore, key: str, language: str, today: dt.date, max_age: dt.timedelta
) -> Cell:
    entry = store.get(key, language)
    if entry is None or entry.language != language:
        return Cell(key, language, "missing")
    source = store.get(key, SOURCE_LANGUAGE)
    state = "outdated" if is_outdated(entry, source) else entry.status
    return Cell(key, language, state, entry.reviewed, is_due(entry, today, max_age))


@dataclass
class Matrix:
    """Keys × languages with their states, filtered, and counts of what is shown."""

    keys: list[str]
    languages: list[str]
    rows: dict[str, list[Cell]]
    counts: Counter[str] = field(default_factory=Counter)
    due: int = 0


def matrix(
    store: ContentStore,
    today: dt.date,
    max_age: dt.timedelta,
    topic: str = "",
    language: str = "",
    state: str = "",
) -> Matrix:
    languages = [language] if language in LANGUAGES else list(LANGUAGES)
    keys = store.catalog.keys_of(topic) if topic else store.catalog.full_keys
    rows: dict[str, list[Cell]] = {}
    counts: Counter[str] = Counter()
    due = 0
    for key in keys:
        cells = [cell_of(store, key, lang, today, max_age) for lang in languages]
        if state == "due" and not any(c.due for c in cells):
            continue
        if state in STATES and not any(c.state == state for c in cells):
            continue
        rows[key] = cells
        counts.update(c.state for c in cells)
        due += sum(c.due for c in cells)
    return Matrix(list(rows), languages, rows, counts, due)


@dataclass(frozen=True)
class Draft:
    """What an editor typed on the entry page."""

    title: str
    body: str
    sources: tuple[str, ...]
    status: str
    needs_local_review: bool


def draft_text(store: ContentStore, key: str, language: str, draft: Draft, today: dt.date) -> str:
    """The file text a publish of `draft` saves: checked today, `related` kept from before.

    A translation marked reviewed is checked against today's German: it gets the German
    fingerprint. A new translation renders today's German too. Otherwise the fingerprint
    it had stays, so an outdated translation stays outdated until someone checks it.
    """
    before = store.get(key, language)
    before = before if before is not None and before.language == language else None
    german = store.get(key, SOURCE_LANGUAGE)
    source_hash = before.source_hash if before else None
    translation = language != SOURCE_LANGUAGE and german is not None
    if translation and german is not None and (draft.status == "reviewed" or before is None):
        source_hash = german.fingerprint
    related = before.related if before else (german.related if german else ())
    return entry_text(
        key=key,
        language=language,
        title=draft.title.strip(),
        body=draft.body.replace("\r\n", "\n"),
        sources=draft.sources,
        reviewed=today,
        status=draft.status,
        needs_local_review=draft.needs_local_review,
        related=related,
        source_hash=None if language == SOURCE_LANGUAGE else source_hash,
    )


def with_entry(store: ContentStore, entry: ContentEntry) -> ContentStore:
    """The store as it would be with `entry` published."""
    entries = {(e.key, e.language): e for e in store.entries()}
    entries[(entry.key, entry.language)] = entry
    return ContentStore(store.catalog, entries.values())


@dataclass
class Candidate:
    """A draft read as a file and checked; `reply` is what the user would get."""

    text: str
    entry: ContentEntry | None
    reply: Reply | None
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level != "error"]

    @property
    def telegram_html(self) -> str:
        """The message exactly as sent (RTL isolates included)."""
        return for_language(self.reply.text, self.reply.language) if self.reply else ""


def candidate(
    store: ContentStore,
    content_dir: Path,
    key: str,
    language: str,
    text: str,
    today: dt.date,
    max_age: dt.timedelta,
) -> Candidate:
    """Read `text` as the file of `key` in `language` and run the checks of a publish."""
    try:
        entry = revision_entry(content_dir, key, language, text)
    except (ContentError, ValueError) as exc:
        finding = Finding("error", f"{key} ({language})", str(exc), None, "file")
        return Candidate(text, None, None, [finding])
    trial = with_entry(store, entry)
    findings = check_entry(entry, text, trial, today, max_age)
    return Candidate(text, entry, answer(trial, key, language), findings)


def still_valid_texts(store: ContentStore, key: str, today: dt.date) -> dict[str, str]:
    """New file texts for "still valid": the German and every translation of today's German
    text get today's review date; their status stays (a machine translation nobody read
    stays marked as machine-translated). Outdated translations are left out."""
    german = store.get(key, SOURCE_LANGUAGE)
    if german is None or german.language != SOURCE_LANGUAGE:
        return {}
    texts = {SOURCE_LANGUAGE: text_of(german, reviewed=today)}
    for language in LANGUAGES:
        entry = store.get(key, language)
        if language == SOURCE_LANGUAGE or entry is None or entry.language != language:
            continue
        if entry.source_hash == german.fingerprint:
            texts[language] = text_of(entry, reviewed=today)
    return texts
