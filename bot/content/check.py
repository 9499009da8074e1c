"""`python -m bot content check`: what an editor must fix before content goes live.

Errors (exit code 1) are what would reach a user broken or unsourced: an unreadable file,
a missing German or English text, markup Telegram rejects after rendering, an answer over
Telegram's limit, a malformed link, source or `related` key, a machine translation that
does not say which German text it renders, something that looks like an invented phone
number. Warnings (exit code 0) are states an editor should work on, while the bot stays
honest about them: a translation outdated against its German source (served as "not yet
checked"), a missing translation in one of the other ten languages (served in English with
a note), a check older than REVIEW_MAX_AGE ("due"), a source outside the official sites,
a local detail to confirm, a long answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

from bot.content.markup import TELEGRAM_LIMIT, split_message, to_telegram_html
from bot.content.review import DEFAULT_REVIEW_MAX_AGE, is_due, is_outdated
from bot.content.store import (
    REVIEW_STATUSES,
    SOURCE_LANGUAGE,
    Catalog,
    ContentEntry,
    ContentError,
    ContentStore,
    load_catalog,
    parse_entry,
)
from bot.content.telegram_html import markup_problems
from bot.content.variants import STATUSES, marker_lines
from bot.i18n.bidi import for_language
from bot.languages import LANGUAGES
from bot.replies.compose import answer

REQUIRED_LANGUAGES = ("de", "en")  # a key without these is an error; others are warnings
PREFERRED_LENGTH = 900
MAX_TITLE_LENGTH = 60
NEXT_STEP_MARKERS = {"de": "Nächster Schritt", "en": "Next step"}

OFFICIAL_DOMAINS = (
    "bamf.de",
    "arbeitsagentur.de",
    "kreis-steinfurt.de",
    "jobcenter-kreis-steinfurt.de",
    "steinfurt.de",
    "handbookgermany.de",
    "make-it-in-germany.com",
    "anerkennung-in-deutschland.de",
    "bmas.de",
    "bundesregierung.de",
    "gesetze-im-internet.de",
    "jugendmigrationsdienste.de",
    "verbraucherzentrale.de",
    "deutschlandticket.de",
    "schulministerium.nrw",
    "bezreg-duesseldorf.nrw.de",
    "kommunale-integrationszentren-nrw.de",
    "ihk.de",
    "hwk.de",
    "fluechtlingsrat-nrw.de",
    "frnrw.de",
    "mkjfgfi.nrw",
    "westfalentarif.nrw",
    "nrw.de",
    "bund.de",
    "integrationskurse.de",
    "iq-netzwerk.de",
    "vhs-lernportal.de",
    "einstieg-deutsch.de",
    "bafza.de",
    "justiz.nrw",
    "bmi.bund.de",
    "kmk.org",
    "zdh.de",
    "mbe-migrationsberatung.de",
    "integration-durch-sport.de",
    "lsb.nrw",
)

# Emergency and national service numbers that may appear; anything else that looks like a
# phone number is treated as invented until an editor confirms it.
ALLOWED_NUMBERS = {"110", "112", "116117", "116 117", "116 111", "116111"}
_PHONE = re.compile(r"(?<![\w/.,])\+?\(?\d[\d\s/()-]{4,}\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOURS = re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:–|-|bis)\s*\d{1,2}(?::\d{2})?\s*(?:Uhr|h)\b")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_RENDERED_LINK = re.compile(r"https?://[^)\s]+")  # what markup.to_telegram_html turns into <a>
_FULL_KEY = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    where: str  # the file (relative to the project), or the file that should exist
    message: str
    line: int | None = None  # line in that file an editor should look at
    kind: str = "other"  # for the summary: markup, length, link, source, related, ...

    def __str__(self) -> str:
        at = f":{self.line}" if self.line else ""
        return f"{self.level.upper():7} {self.where}{at}: {self.message}"


class _FileLines:
    """Line numbers in a content file, so a finding can say where to look."""

    def __init__(self, path: Path, text: str | None = None) -> None:
        try:
            self.lines = (text or path.read_text(encoding="utf-8")).splitlines()
        except OSError:
            self.lines = []
        closing = next((i for i, line in enumerate(self.lines) if i and line == "---"), 0)
        body = closing + 1
        while body < len(self.lines) and not self.lines[body].strip():
            body += 1
        self.body_start = body + 1  # 1-based line of the first body line

    def field(self, name: str) -> int | None:
        return next(
            (n for n, line in enumerate(self.lines, 1) if line.startswith(f"{name}:")), None
        )

    def containing(self, text: str) -> int | None:
        return next((n for n, line in enumerate(self.lines, 1) if text in line), None)

    def body_line(self, line: int) -> int:
        return self.body_start + line - 1


@dataclass
class _Checker:
    """Collects findings for one file, with its display name and line numbers."""

    where: str
    lines: _FileLines
    findings: list[Finding] = field(default_factory=list)

    def error(self, kind: str, message: str, line: int | None = None) -> None:
        self.findings.append(Finding("error", self.where, message, line, kind))

    def warn(self, kind: str, message: str, line: int | None = None) -> None:
        self.findings.append(Finding("warning", self.where, message, line, kind))


def _is_official(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS)


def _source_problem(url: str) -> str | None:
    parsed = urlparse(url)
    if parsed.scheme != "https":
        return "is not an https:// address"
    if re.search(r"[\s<>\"']", url):
        return "contains a space, quote or angle bracket"
    if "." not in (parsed.hostname or ""):
        return "has no valid host name"
    return None


def _check_front_matter(
    c: _Checker, entry: ContentEntry, known_keys: set[str], source: ContentEntry | None
) -> None:
    expected_key = f"{entry.path.parent.name}.{entry.path.name.split('.')[0]}"
    if entry.key != expected_key:
        c.error(
            "file",
            f"key '{entry.key}' does not match the file path (expected '{expected_key}')",
            c.lines.field("key"),
        )
    if entry.language != entry.path.name.split(".")[1]:
        c.error(
            "language",
            f"language '{entry.language}' does not match the file name",
            c.lines.field("language"),
        )
    if not entry.title:
        c.error("front-matter", "title is missing", c.lines.field("title"))
    elif len(entry.title) > MAX_TITLE_LENGTH:
        c.warn(
            "style",
            f"title has {len(entry.title)} characters; buttons show about {MAX_TITLE_LENGTH}",
            c.lines.field("title"),
        )
    if entry.status not in REVIEW_STATUSES:
        c.error(
            "front-matter",
            f"status must be one of {', '.join(REVIEW_STATUSES)}, got '{entry.status}'",
            c.lines.field("status"),
        )
    if entry.needs_local_review and entry.language == SOURCE_LANGUAGE:
        c.warn(
            "local-review",
            "marked needs_local_review: a local detail must be confirmed (all languages)",
            c.lines.field("needs_local_review"),
        )
    _check_sources(c, entry, source)
    _check_related(c, entry, known_keys)


def _check_sources(c: _Checker, entry: ContentEntry, source: ContentEntry | None) -> None:
    """Well-formed https addresses; an unofficial site is named once, on the German file."""
    confirmed_with_german = set(source.sources) if source and source is not entry else set()
    if not entry.sources:
        c.error("source", "no sources: every answer must cite at least one official page")
    seen: set[str] = set()
    for url in entry.sources:
        line = c.lines.containing(url)
        problem = _source_problem(url)
        if problem:
            c.error("source", f"source {problem}: '{url}' (write the full https:// address)", line)
        elif url in seen:
            c.warn("source", f"source is listed twice: {url}", line)
        elif not _is_official(url) and url not in confirmed_with_german:
            c.warn("source", f"source is not on the list of official sites, confirm: {url}", line)
        seen.add(url)


def _check_related(c: _Checker, entry: ContentEntry, known_keys: set[str]) -> None:
    for related in entry.related:
        line = c.lines.containing(f"- {related}") or c.lines.field("related")
        if not _FULL_KEY.fullmatch(related):
            c.error("related", f"related '{related}' is not a full key like 'topic.key'", line)
        elif related not in known_keys:
            c.error("related", f"related key '{related}' does not exist in catalog.yml", line)
        elif related == entry.key:
            c.warn("related", "related points to this answer itself", line)
    if len(set(entry.related)) != len(entry.related):
        c.warn("related", "a related key is listed twice", c.lines.field("related"))


def _check_review(c: _Checker, entry: ContentEntry, today: dt.date, max_age: dt.timedelta) -> None:
    line = c.lines.field("reviewed")
    if entry.reviewed is None:
        c.error("front-matter", "'reviewed' date is missing (the day the text was checked)", line)
    elif entry.reviewed > today:
        c.error("front-matter", f"'reviewed' date {entry.reviewed} is in the future", line)
    elif is_due(entry, today, max_age):
        c.warn(
            "review-due",
            f"review is due: last checked {entry.reviewed}, more than {max_age.days} days ago "
            "(REVIEW_MAX_AGE); check it against its sources and update 'reviewed'",
            line,
        )


def _check_body(c: _Checker, entry: ContentEntry) -> None:
    if not entry.body:
        c.error("front-matter", "the answer text is empty", c.lines.body_start)
        return
    for index, text in enumerate(entry.body.splitlines(), 1):
        line = c.lines.body_line(index)
        for match in _MARKDOWN_LINK.finditer(text):
            label, target = match.group(1), match.group(2)
            if not label.strip() or not _RENDERED_LINK.fullmatch(target):
                c.error(
                    "link",
                    f"link '{match.group(0)}' is shown as raw text: write [text](https://…)",
                    line,
                )
            elif target.startswith("http://"):
                c.warn(
                    "link", f"link uses http://, use https:// if the site has it: {target}", line
                )
    for problem in markup_problems(to_telegram_html(entry.body)):
        c.error(
            "markup",
            f"Telegram would reject the markup: {problem.message}",
            c.lines.body_line(problem.line),
        )
    marker = NEXT_STEP_MARKERS.get(entry.language)
    if marker and marker not in entry.body:
        c.warn("style", f"answer does not end with a '{marker}' line")
    for match in _PHONE.finditer(entry.body):
        number = match.group(0).strip()
        digits = sum(ch.isdigit() for ch in number)
        if digits >= 6 and not _ISO_DATE.fullmatch(number) and number not in ALLOWED_NUMBERS:
            c.error(
                "phone",
                f"looks like a phone number ('{number}'): never publish unconfirmed numbers",
                c.lines.containing(number),
            )
    hours = _HOURS.search(entry.body)
    if hours:
        c.warn(
            "local-review",
            "looks like opening hours: confirm them with the office or remove them",
            c.lines.containing(hours.group(0)),
        )


def _check_as_sent(c: _Checker, entry: ContentEntry, store: ContentStore) -> None:
    """The whole message as the bot sends it: title, text, sources, state line, RTL marks."""
    reply = answer(store, entry.key, entry.language)
    if reply is None:
        return
    text = for_language(reply.text, entry.language)
    if not any(f.kind in {"markup", "link", "source"} and f.level == "error" for f in c.findings):
        for problem in markup_problems(text):
            c.error("markup", f"Telegram would reject the message as sent: {problem.message}")
    parts = split_message(text)
    if len(parts) > 1:
        c.error(
            "length",
            f"the message as sent has {len(text)} characters, over Telegram's limit of "
            f"{TELEGRAM_LIMIT}: the bot would split it into {len(parts)} messages; shorten it",
        )
    elif len(entry.general_body) > PREFERRED_LENGTH * 4 // 3:
        length = len(entry.general_body)
        c.warn("style", f"answer has {length} chars; under {PREFERRED_LENGTH} reads best")


def _check_variants(c: _Checker, entry: ContentEntry, store: ContentStore) -> None:
    """Residence-status variants: known statuses, present in every translation, sendable."""
    variants = entry.variants
    if not variants:
        return
    lines = marker_lines(entry.body)
    if not entry.general_body:
        c.error("variant", "no general text before the first variant", c.lines.body_start)
    for status, text in variants.items():
        line = c.lines.body_line(lines[status]) if status in lines else None
        if status not in STATUSES:
            c.warn(
                "variant",
                f"unknown residence status '{status}' (the bot asks for: {', '.join(STATUSES)})",
                line,
            )
            continue
        if not text:
            c.error("variant", f"variant '{status}' has no text", line)
            continue
        reply = answer(store, entry.key, entry.language, status)
        sent = for_language(reply.text, entry.language) if reply else ""
        for problem in markup_problems(sent):
            c.error("markup", f"variant '{status}': Telegram would reject it: {problem.message}")
        if len(split_message(sent)) > 1:
            c.error("length", f"variant '{status}' is over Telegram's limit of {TELEGRAM_LIMIT}")


def _check_variant_translations(
    c: _Checker, entry: ContentEntry, source: ContentEntry | None
) -> None:
    """A German variant missing in a translation: those users get the general text."""
    if entry.language == SOURCE_LANGUAGE or source is None:
        return
    missing = [s for s in source.variants if s in STATUSES and s not in entry.variants]
    if missing:
        c.warn(
            "variant",
            f"the German text has variants this translation lacks ({', '.join(missing)}): "
            "users with that paper get the general text",
        )


def _check_translation(c: _Checker, entry: ContentEntry, source: ContentEntry | None) -> None:
    """A translation must say which German text it renders; a changed German makes it outdated."""
    if entry.language == SOURCE_LANGUAGE or source is None:
        return
    line = c.lines.field("source_hash")
    if entry.source_hash is None:
        if entry.status == "machine":
            c.error(
                "translation",
                "machine translation without 'source_hash': translate it again, or if it "
                f"renders the current German text, add source_hash: {source.fingerprint}",
                line or c.lines.field("status"),
            )
    elif entry.source_hash == "PENDING":
        c.warn("outdated", "source_hash is still PENDING: stamp it", line)
    elif is_outdated(entry, source):
        c.warn(
            "outdated",
            "outdated: the German text changed after this translation was made; translate "
            f"again, or check it and set source_hash: {source.fingerprint} "
            "(until then the bot says it is not checked)",
            line,
        )


def _unreadable(where: str, path: Path, exc: Exception) -> Finding:
    """A file the store cannot parse, with the line YAML points at (front matter: line 2 on)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 2 if mark is not None else None
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return Finding("error", where, f"front matter is not valid YAML: {problem}", line, "file")
    message = str(exc).removeprefix(f"{path}: ")
    return Finding("error", where, f"cannot read: {message}", None, "file")


@dataclass
class Report:
    """All findings of one run and the state of the content, as an editor reads it."""

    findings: list[Finding]
    files: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == "error")

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def render(self) -> str:
        """Findings grouped by file (files with errors first), then a summary."""
        by_file: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_file.setdefault(finding.where, []).append(finding)
        order = sorted(by_file, key=lambda w: (all(f.level != "error" for f in by_file[w]), w))
        out: list[str] = []
        for where in order:
            out.append(where)
            for f in sorted(by_file[where], key=lambda f: (f.level != "error", f.line or 0)):
                at = f"line {f.line}" if f.line else ""
                out.append(f"  {f.level:<8}{at:<9} {f.message}")
        warnings = len(self.findings) - self.errors
        kinds = Counter(f"{f.kind} {f.level}s" for f in self.findings)
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        out.append("")
        out.append(f"{self.files} files checked ({states or 'none'})")
        if kinds:
            out.append("by kind: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
        out.append(f"{self.errors} errors, {warnings} warnings")
        return "\n".join(out)


def run_check(
    content_dir: Path,
    today: dt.date | None = None,
    max_age: dt.timedelta = DEFAULT_REVIEW_MAX_AGE,
) -> Report:
    """Check every file and the catalog."""
    today = today or dt.datetime.now(dt.UTC).date()
    root = content_dir.parent

    def shown(path: Path) -> str:
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    findings: list[Finding] = []
    try:
        catalog = load_catalog(content_dir)
    except (OSError, yaml.YAMLError) as exc:
        findings.append(
            Finding("error", shown(content_dir / "catalog.yml"), str(exc), None, "file")
        )
        catalog = Catalog()
    known = set(catalog.full_keys)
    entries: list[ContentEntry] = []
    paths = sorted(content_dir.glob("*/*.md"))
    for path in paths:
        try:
            entries.append(parse_entry(path))
        except (ContentError, ValueError, yaml.YAMLError) as exc:
            findings.append(_unreadable(shown(path), path, exc))
    present = {(e.key, e.language) for e in entries}
    present |= {(f"{p.parent.name}.{p.name.split('.')[0]}", p.name.split(".")[1]) for p in paths}
    for key in catalog.full_keys:
        topic, short = key.split(".", 1)
        for lang in LANGUAGES:
            if (key, lang) not in present:
                where = shown(content_dir / topic / f"{short}.{lang}.md")
                if lang in REQUIRED_LANGUAGES:
                    message = f"no '{lang}' file: every key needs German and English"
                    findings.append(Finding("error", where, message, None, "language"))
                else:
                    findings.append(
                        Finding(
                            "warning",
                            where,
                            f"no '{lang}' file: users get the English text with a note "
                            f"(`content translate --lang {lang}` drafts it)",
                            None,
                            "language",
                        )
                    )
    store = ContentStore(catalog, entries)
    sources = {e.key: e for e in entries if e.language == SOURCE_LANGUAGE}
    for entry in entries:
        c = _Checker(shown(entry.path), _FileLines(entry.path))
        if entry.key not in known:
            c.warn("file", "key is not in catalog.yml (no menu entry)", c.lines.field("key"))
        if entry.language not in LANGUAGES:
            c.error("language", f"unknown language '{entry.language}'", c.lines.field("language"))
        _check_front_matter(c, entry, known, sources.get(entry.key))
        _check_review(c, entry, today, max_age)
        _check_body(c, entry)
        _check_as_sent(c, entry, store)
        _check_variants(c, entry, store)
        _check_translation(c, entry, sources.get(entry.key))
        _check_variant_translations(c, entry, sources.get(entry.key))
        findings.extend(c.findings)
    findings.sort(key=lambda f: (f.level != "error", f.where, f.line or 0))
    return Report(findings, files=len(paths), statuses=Counter(e.status for e in entries))


def check_entry(
    entry: ContentEntry,
    text: str,
    store: ContentStore,
    today: dt.date,
    max_age: dt.timedelta = DEFAULT_REVIEW_MAX_AGE,
) -> list[Finding]:
    """The checks of `content check` for one entry before it is published (the dashboard).

    `store` must already hold `entry` (the answer is measured as sent); line numbers count
    in `text`, the entry's file text.
    """
    c = _Checker(f"{entry.key} ({entry.language})", _FileLines(entry.path, text))
    known = set(store.catalog.full_keys)
    if entry.key not in known:
        c.warn("file", "key is not in catalog.yml (no menu entry)", c.lines.field("key"))
    if entry.language not in LANGUAGES:
        c.error("language", f"unknown language '{entry.language}'", c.lines.field("language"))
    source = store.get(entry.key, SOURCE_LANGUAGE)
    source = source if source is not None and source.language == SOURCE_LANGUAGE else None
    _check_front_matter(c, entry, known, source)
    _check_review(c, entry, today, max_age)
    _check_body(c, entry)
    _check_as_sent(c, entry, store)
    _check_variants(c, entry, store)
    _check_translation(c, entry, source)
    _check_variant_translations(c, entry, source)
    return sorted(c.findings, key=lambda f: (f.level != "error", f.line or 0))


def check_content(
    content_dir: Path,
    today: dt.date | None = None,
    max_age: dt.timedelta = DEFAULT_REVIEW_MAX_AGE,
) -> list[Finding]:
    """Every finding, errors first (the dashboard and tests read these)."""
    return run_check(content_dir, today, max_age).findings
