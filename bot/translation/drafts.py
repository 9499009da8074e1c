"""Drafting missing content translations from the German source (`content translate`).

A draft is the German file with its front matter kept line by line (sources, related keys,
the editor's `# local_review:` notes, the review date of the German), and only these changed:
`language`, the translated `title`, `status: machine` and `source_hash:` set to the German
text's fingerprint, so `content check` reports the draft as outdated once the German changes.
The body is translated with its Markdown protected (markdown.py). An existing file is never
touched: drafts are created with exclusive creation, even if an editor saves one meanwhile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.store import SOURCE_LANGUAGE, ContentEntry, load_catalog, parse_entry
from bot.translation import Translator
from bot.translation.markdown import translate_markdown


class UnknownKey(ValueError):
    """A key given with --keys is not in catalog.yml."""


@dataclass
class DraftReport:
    written: list[Path] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)
    no_source: list[str] = field(default_factory=list)
    failed: str | None = None  # the key at which the translator stopped answering


def _front_matter(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    end = text.find("\n---", 4)
    return text[4:end]


def draft_front_matter(source: ContentEntry, language: str, title: str) -> str:
    """The German front matter for `language`: same lines, four of them changed."""
    lines = []
    for line in _front_matter(source.path).split("\n"):
        if re.match(r"^source_hash:", line):
            continue
        if re.match(r"^language:", line):
            line = f"language: {language}"
        elif re.match(r"^title:", line):
            line = f"title: {json.dumps(title, ensure_ascii=False)}"
        elif re.match(r"^status:", line):
            line = f"status: machine\nsource_hash: {source.fingerprint}"
        lines.append(line)
    return "\n".join(lines)


async def draft(source: ContentEntry, language: str, translator: Translator) -> str | None:
    """The text of a machine-translated content file, or None if the translator failed."""
    title = await translator.translate(source.title, SOURCE_LANGUAGE, language)
    if title is None:
        return None
    body = await translate_markdown(translator, source.body, SOURCE_LANGUAGE, language)
    if body is None:
        return None
    front = draft_front_matter(source, language, " ".join(title.split()))
    return f"---\n{front}\n---\n{body.strip()}\n"


def selected_keys(content_dir: Path, keys: Iterable[str] | None) -> list[str]:
    """Full keys in catalog order; `keys` may be full (`housing.shelter`) or short."""
    catalog = load_catalog(content_dir)
    if not keys:
        return catalog.full_keys
    chosen = []
    for key in keys:
        full = key if key in catalog.full_keys else catalog.full_key_for(key)
        if full is None:
            raise UnknownKey(key)
        chosen.append(full)
    return chosen


async def draft_missing(
    content_dir: Path, language: str, translator: Translator, keys: Iterable[str] | None = None
) -> DraftReport:
    """Write a draft for every selected key that has a German file and no `language` file."""
    report = DraftReport()
    for key in selected_keys(content_dir, keys):
        topic, short = key.split(".", 1)
        german = content_dir / topic / f"{short}.{SOURCE_LANGUAGE}.md"
        target = content_dir / topic / f"{short}.{language}.md"
        if target.exists():
            report.existing.append(target)
            continue
        if not german.exists():
            report.no_source.append(key)
            continue
        text = await draft(parse_entry(german), language, translator)
        if text is None:
            report.failed = key
            break
        try:
            with target.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            report.existing.append(target)
            continue
        report.written.append(target)
    return report
