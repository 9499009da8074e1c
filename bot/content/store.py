"""The content store: sourced answers, one Markdown file per key and language.

Files live in `content/<topic>/<key>.<lang>.md` with YAML front matter. A store is
read-only; what editors publish in the dashboard is a database overlay over the files
(`bot.content.overlay`), and `bot.content.live` swaps in a new store when it changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.variants import split_variants

REVIEW_STATUSES = ("reviewed", "machine", "draft")
SOURCE_LANGUAGE = "de"


class ContentError(ValueError):
    """A content file cannot be read; the message names the file."""


@dataclass(frozen=True)
class ContentEntry:
    """One answer in one language, with what an editor needs to trust it."""

    key: str
    language: str
    title: str
    body: str
    sources: tuple[str, ...]
    reviewed: dt.date | None
    status: str
    needs_local_review: bool
    related: tuple[str, ...]
    path: Path
    source_hash: str | None = None  # translations: fingerprint of the German text they render

    @property
    def topic(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def fingerprint(self) -> str:
        """Identifies this text; a translation stores its German source's fingerprint."""
        return text_fingerprint(self.title, self.body)

    @property
    def general_body(self) -> str:
        """The text for everybody: the body without its residence-status variants."""
        return split_variants(self.body)[0]

    @property
    def variants(self) -> dict[str, str]:
        """Texts that replace the general one for a residence status (`bot.content.variants`)."""
        return split_variants(self.body)[1]

    def body_for(self, status: str | None) -> str:
        """The variant for `status` if this file has one, else the general text."""
        general, variants = split_variants(self.body)
        return variants.get(status or "", general) or general


def text_fingerprint(title: str, body: str) -> str:
    normalised = (
        " ".join(title.split())
        + "\n"
        + "\n".join(" ".join(line.split()) for line in body.strip().splitlines())
    )
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


_PENDING_HASH = re.compile(r"^source_hash:\s*(PENDING)?\s*$", re.MULTILINE)


def stamp_source_hash(path: Path, source: ContentEntry) -> bool:
    """Fill in `source_hash: PENDING` of a fresh translation with its German fingerprint.

    A hash that is already there is never overwritten: it is what tells an editor that
    the German changed after the translation was made.
    """
    text = path.read_text(encoding="utf-8")
    stamped, count = _PENDING_HASH.subn(f"source_hash: {source.fingerprint}", text, count=1)
    if count:
        path.write_text(stamped, encoding="utf-8")
    return bool(count)


@dataclass
class Catalog:
    """Topics in menu order and the keys of each topic."""

    topics: dict[str, list[str]] = field(default_factory=dict)

    @property
    def full_keys(self) -> list[str]:
        return [f"{topic}.{key}" for topic, keys in self.topics.items() for key in keys]

    def keys_of(self, topic: str) -> list[str]:
        return [f"{topic}.{key}" for key in self.topics.get(topic, [])]

    def full_key_for(self, short_key: str) -> str | None:
        """`apprenticeship` -> `training.apprenticeship` (short keys are unique)."""
        for topic, keys in self.topics.items():
            if short_key in keys:
                return f"{topic}.{short_key}"
        return None


def _split_front_matter(text: str, where: Path | str) -> tuple[dict[str, Any], str]:
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ContentError(f"{where}: must start with a '---' front matter block")
    end = text.find("\n---", 4)
    if end == -1:
        raise ContentError(f"{where}: front matter is not closed with '---'")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        if isinstance(where, Path):
            raise  # content check reads the line from the YAML error itself
        raise ContentError(f"{where}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ContentError(f"{where}: front matter must be a mapping")
    body = text[end + 4 :].strip()
    return meta, body


def _as_date(value: object, path: Path | str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ContentError(f"{path}: 'reviewed' must be a date like 2026-11-25") from exc


def parse_entry(path: Path) -> ContentEntry:
    """Read one content file; raises ContentError with the file name on any problem."""
    return parse_text(path.read_text(encoding="utf-8"), path)


def entry_path(content_dir: Path, key: str, language: str) -> Path:
    """Where the file of a full key in a language lives (or will, after `content export`)."""
    topic, short = key.split(".", 1)
    return content_dir / topic / f"{short}.{language}.md"


def parse_text(text: str, path: Path, where: str | None = None) -> ContentEntry:
    """Parse the text of a content file that lives (or will live) at `path`.

    `where` names the text in errors when it is not the file itself (a revision saved in
    the dashboard: "revision of training.apprenticeship (ar)").
    """
    label: Path | str = where or path
    meta, body = _split_front_matter(text, label)
    name_parts = path.name.split(".")
    if len(name_parts) != 3 or name_parts[2] != "md":
        raise ContentError(f"{label}: file name must be <key>.<lang>.md")
    language = str(meta.get("language") or name_parts[1])
    key = str(meta.get("key") or f"{path.parent.name}.{name_parts[0]}")
    return ContentEntry(
        key=key,
        language=language,
        title=str(meta.get("title") or "").strip(),
        body=body,
        sources=tuple(str(s) for s in meta.get("sources") or ()),
        reviewed=_as_date(meta.get("reviewed"), label),
        status=str(meta.get("status") or "draft"),
        needs_local_review=bool(meta.get("needs_local_review", False)),
        related=tuple(str(r) for r in meta.get("related") or ()),
        path=path,
        source_hash=str(meta["source_hash"]) if meta.get("source_hash") else None,
    )


def load_catalog(content_dir: Path) -> Catalog:
    raw = yaml.safe_load((content_dir / "catalog.yml").read_text(encoding="utf-8")) or {}
    topics = raw.get("topics") or {}
    return Catalog(topics={str(t): [str(k) for k in keys or []] for t, keys in topics.items()})


class ContentStore:
    """Answers by full key and language, with a fallback language chain."""

    def __init__(self, catalog: Catalog, entries: Iterable[ContentEntry]) -> None:
        self.catalog = catalog
        self._entries: dict[tuple[str, str], ContentEntry] = {}
        for entry in entries:
            self._entries[(entry.key, entry.language)] = entry

    @classmethod
    def load(cls, content_dir: Path) -> ContentStore:
        """The files alone (the database overlay is added by `bot.content.live`)."""
        catalog = load_catalog(content_dir)
        entries = [parse_entry(p) for p in sorted(content_dir.glob("*/*.md"))]
        return cls(catalog, entries)

    def entries(self) -> list[ContentEntry]:
        return list(self._entries.values())

    def languages_of(self, key: str) -> set[str]:
        return {lang for (k, lang) in self._entries if k == key}

    def get(self, key: str, language: str, fallbacks: Iterable[str] = ()) -> ContentEntry | None:
        """The entry in `language`, else in the first fallback language that has it."""
        for lang in (language, *fallbacks, SOURCE_LANGUAGE):
            entry = self._entries.get((key, lang))
            if entry is not None:
                return entry
        return None

    def title(self, key: str, language: str, fallbacks: Iterable[str] = ()) -> str:
        entry = self.get(key, language, fallbacks)
        return entry.title if entry else key


class FileCache:
    """Parsed content files, re-read only when a file changed (size or modification time).

    Reading all files takes a second or more; a store rebuilt after a publish re-reads only
    what `content export` (or a person) changed on disk.
    """

    def __init__(self, content_dir: Path) -> None:
        self.content_dir = content_dir
        self._parsed: dict[Path, tuple[tuple[int, int], ContentEntry]] = {}

    def catalog(self) -> Catalog:
        return load_catalog(self.content_dir)

    def entries(self) -> list[ContentEntry]:
        found: dict[Path, tuple[tuple[int, int], ContentEntry]] = {}
        for path in sorted(self.content_dir.glob("*/*.md")):
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = self._parsed.get(path)
            found[path] = cached if cached and cached[0] == stamp else (stamp, parse_entry(path))
        self._parsed = found
        return [entry for _, entry in found.values()]
