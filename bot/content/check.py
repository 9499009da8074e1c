"""`python -m bot content check`: what an editor must fix before content goes live.

Errors block (missing language, no source, unparsable file, text over Telegram's limit,
something that looks like an invented phone number); warnings ask for attention (long
answer, review older than a year, source outside the official sites, local detail to confirm).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from bot.content.markup import TELEGRAM_LIMIT, to_telegram_html
from bot.content.store import (
    REVIEW_STATUSES,
    SOURCE_LANGUAGE,
    ContentEntry,
    ContentError,
    load_catalog,
    parse_entry,
)
from bot.languages import LANGUAGES

REQUIRED_LANGUAGES = ("de", "en")  # a key without these is an error; others are warnings
PREFERRED_LENGTH = 900
MAX_TITLE_LENGTH = 60
REVIEW_DUE_AFTER = dt.timedelta(days=365)
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


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():7} {self.where}: {self.message}"


def _is_official(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS)


def check_entry(entry: ContentEntry, known_keys: set[str], today: dt.date) -> list[Finding]:
    """Everything that can be checked on one file alone."""
    where = str(entry.path)
    found: list[Finding] = []

    def error(msg: str) -> None:
        found.append(Finding("error", where, msg))

    def warn(msg: str) -> None:
        found.append(Finding("warning", where, msg))

    expected_key = f"{entry.path.parent.name}.{entry.path.name.split('.')[0]}"
    if entry.key != expected_key:
        error(f"key '{entry.key}' does not match the file path (expected '{expected_key}')")
    if entry.language != entry.path.name.split(".")[1]:
        error(f"language '{entry.language}' does not match the file name")
    if not entry.title:
        error("title is missing")
    elif len(entry.title) > MAX_TITLE_LENGTH:
        warn(f"title has {len(entry.title)} characters; buttons show about {MAX_TITLE_LENGTH}")
    if not entry.body:
        error("the answer text is empty")
    if not entry.sources:
        error("no sources: every answer must cite at least one official page")
    for url in entry.sources:
        if not url.startswith("https://"):
            error(f"source is not an https URL: {url}")
        elif not _is_official(url):
            warn(f"source is not on the list of official sites, please confirm: {url}")
    if entry.reviewed is None:
        error("'reviewed' date is missing")
    elif entry.reviewed > today:
        error(f"'reviewed' date {entry.reviewed} is in the future")
    elif today - entry.reviewed > REVIEW_DUE_AFTER:
        warn(f"last reviewed {entry.reviewed}: review is due")
    if entry.status not in REVIEW_STATUSES:
        error(f"status must be one of {', '.join(REVIEW_STATUSES)}, got '{entry.status}'")
    for related in entry.related:
        if related not in known_keys:
            error(f"related key '{related}' does not exist")
    rendered = to_telegram_html(entry.body)
    if len(rendered) > TELEGRAM_LIMIT:
        error(f"answer has {len(rendered)} characters, over Telegram's limit of {TELEGRAM_LIMIT}")
    elif len(entry.body) > PREFERRED_LENGTH * 4 // 3:
        warn(f"answer has {len(entry.body)} chars; under {PREFERRED_LENGTH} reads best on a phone")
    marker = NEXT_STEP_MARKERS.get(entry.language)
    if marker and marker not in entry.body:
        warn(f"answer does not end with a '{marker}' line")
    for match in _PHONE.finditer(entry.body):
        number = match.group(0).strip()
        digits = sum(ch.isdigit() for ch in number)
        if digits >= 6 and not _ISO_DATE.fullmatch(number) and number not in ALLOWED_NUMBERS:
            error(f"looks like a phone number ('{number}'): never publish unconfirmed numbers")
    if _HOURS.search(entry.body):
        warn("looks like opening hours: confirm them with the office or remove them")
    if entry.needs_local_review and entry.language == SOURCE_LANGUAGE:
        warn("marked needs_local_review: a local detail must be confirmed (all languages)")
    return found


def check_translation(entry: ContentEntry, source: ContentEntry | None) -> list[Finding]:
    """A translation must say which German text it renders; a changed German makes it outdated."""
    if entry.language == SOURCE_LANGUAGE or source is None:
        return []
    where = str(entry.path)
    if entry.source_hash is None:
        if entry.status == "machine":
            return [Finding("error", where, "machine translation without 'source_hash'")]
        return []
    if entry.source_hash == "PENDING":
        return [Finding("warning", where, "source_hash is still PENDING: stamp it")]
    if entry.source_hash != source.fingerprint:
        return [
            Finding(
                "warning",
                where,
                "outdated: the German text changed after this translation was made "
                f"(translate again, or check it and set source_hash: {source.fingerprint})",
            )
        ]
    return []


def check_content(content_dir: Path, today: dt.date | None = None) -> list[Finding]:
    """Check every file and the catalog; returns all findings, errors first."""
    today = today or dt.datetime.now(dt.UTC).date()
    findings: list[Finding] = []
    catalog = load_catalog(content_dir)
    known = set(catalog.full_keys)
    entries: list[ContentEntry] = []
    for path in sorted(content_dir.glob("*/*.md")):
        try:
            entries.append(parse_entry(path))
        except (ContentError, ValueError) as exc:
            findings.append(Finding("error", str(path), str(exc)))
    present = {(e.key, e.language) for e in entries}
    for key in catalog.full_keys:
        for lang in LANGUAGES:
            if (key, lang) not in present:
                level = "error" if lang in REQUIRED_LANGUAGES else "warning"
                findings.append(Finding(level, key, f"no '{lang}' file for this key"))
    sources = {e.key: e for e in entries if e.language == SOURCE_LANGUAGE}
    for entry in entries:
        if entry.key not in known:
            findings.append(Finding("warning", str(entry.path), "key is not in catalog.yml"))
        if entry.language not in LANGUAGES:
            findings.append(
                Finding("error", str(entry.path), f"unknown language '{entry.language}'")
            )
        findings.extend(check_entry(entry, known, today))
        findings.extend(check_translation(entry, sources.get(entry.key)))
    findings.sort(key=lambda f: (f.level != "error", f.where))
    return findings
