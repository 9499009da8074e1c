"""`python -m bot content export`: what editors published in the browser, back into content/.

Writes the newest pending revision of each answer to its file, adds keys taught in the
browser to catalog.yml (comments and order kept), the example phrasings taught in the browser
to nlu/taught.yml, and marks those rows exported, so the files are again the whole truth and
the editor commits them with git. Rows published
while the export runs stay pending for the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from bot.content.overlay import PENDING_KEYS_QUERY, PENDING_QUERY, Revision, newest_per_entry
from bot.content.store import entry_path, load_catalog
from bot.db.models import ContentKey, ContentRevision, TrainingExample
from bot.rasa.training_data import TAUGHT_FILE, examples_yaml


@dataclass
class Exported:
    files: list[Path] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def add_to_catalog(catalog_file: Path, topic: str, short_key: str) -> None:
    """Append a key under its topic in catalog.yml, keeping the file as people wrote it."""
    lines = catalog_file.read_text(encoding="utf-8").splitlines()
    header = next((i for i, line in enumerate(lines) if line.rstrip() == f"  {topic}:"), None)
    if header is None:
        lines += [f"  {topic}:", f"    - {short_key}"]
    else:
        end = header + 1
        while end < len(lines) and lines[end].startswith("    "):
            end += 1
        lines.insert(end, f"    - {short_key}")
    catalog_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def taught_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of an nlu file written by `examples_yaml`, in file order."""
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        (str(block["intent"]), line[2:])
        for block in data.get("nlu") or []
        for line in str(block.get("examples", "")).splitlines()
        if line.startswith("- ")
    ]


def export_examples(session: Session, project_root: Path) -> Path | None:
    """Pending training examples appended to nlu/taught.yml (a training input from then on)."""
    rows = session.execute(
        select(TrainingExample.id, TrainingExample.intent, TrainingExample.text)
        .where(TrainingExample.exported.is_(False))
        .order_by(TrainingExample.id)
    ).all()
    if not rows:
        return None
    path = project_root / TAUGHT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    examples = taught_examples(path) + [(str(intent), str(text)) for _, intent, text in rows]
    path.write_bytes(examples_yaml(examples))
    session.execute(
        update(TrainingExample)
        .where(TrainingExample.id.in_([row.id for row in rows]))
        .values(exported=True)
    )
    return path


def export_overlay(engine: Engine, content_dir: Path) -> Exported:
    done = Exported()
    with Session(engine) as session, session.begin():
        rows = [Revision.of(r) for r in session.scalars(PENDING_QUERY)]
        catalog = load_catalog(content_dir)
        for key, topic in session.execute(PENDING_KEYS_QUERY):
            short = str(key).split(".", 1)[1]
            if short not in catalog.topics.get(str(topic), []):
                add_to_catalog(content_dir / "catalog.yml", str(topic), short)
            done.keys.append(str(key))
        for revision in newest_per_entry(rows):
            path = entry_path(content_dir, revision.key, revision.language)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = revision.text if revision.text.endswith("\n") else revision.text + "\n"
            path.write_text(text, encoding="utf-8")
            done.files.append(path)
        if rows:
            session.execute(
                update(ContentRevision)
                .where(ContentRevision.id.in_([r.id for r in rows]))
                .values(exported=True)
            )
        if done.keys:
            session.execute(
                update(ContentKey).where(ContentKey.key.in_(done.keys)).values(exported=True)
            )
        taught = export_examples(session, content_dir.parent)
        if taught is not None:
            done.files.append(taught)
    return done
