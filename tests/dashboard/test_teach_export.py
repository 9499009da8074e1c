"""What an editor taught goes back into Git with `content export`, and the words around it.

The taught key lands in catalog.yml, its German answer in content/, its phrasings in
nlu/taught.yml; from then on the same model is built from the files alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.export import export_overlay
from bot.content.overlay import add_revision, entry_text
from bot.dashboard.i18n import UI_LANGUAGES, strings
from bot.db.engine import make_sync_engine
from bot.db.models import ContentKey, TrainingExample
from bot.rasa.trainer import DONE, FAILED, LOADED, QUEUED, RUNNING, failure_reason
from bot.rasa.training_data import EDITORS_FILE, TAUGHT_FILE, Taught, build_project, read_taught
from tests.servers import ROOT

PROJECT = ("config.yml", "domain.yml", "nlu", "stories", "rasa_components", "requirements")


def _project_copy(target: Path) -> Path:
    for name in (*PROJECT, "content"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    return target


async def test_content_export_writes_a_taught_key_and_its_phrasings_into_the_repository(
    sessions: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
) -> None:
    root = _project_copy(tmp_path)
    key = "everyday.swimming_badge"
    german = entry_text(
        key=key,
        language="de",
        title="Seepferdchen",
        body="Schwimmkurse gibt es im Hallenbad.",
        sources=["https://www.dlrg.de/"],
        reviewed=None,
        status="draft",
        needs_local_review=False,
        related=(),
    )
    phrasings = ["Wo lerne ich schwimmen?", "Swimming lessons for teenagers?", "Yüzme kursu?"]
    async with sessions.begin() as session:
        session.add(ContentKey(key=key, topic="everyday"))
        add_revision(session, key, "de", german, "new_key", None, "Erika Editor")
        for text in phrasings:
            session.add(
                TrainingExample(
                    intent="ask_swimming_badge", language="", text=text, source="editor"
                )
            )

    engine = make_sync_engine(database_url)
    try:
        taught = read_taught(database_url)
        assert ("ask_swimming_badge", phrasings[0]) in taught.examples
        before = build_project(root, taught)
        assert EDITORS_FILE in before.files
        done = export_overlay(engine, root / "content")
    finally:
        engine.dispose()

    assert root / TAUGHT_FILE in done.files
    exported = yaml.safe_load((root / TAUGHT_FILE).read_text(encoding="utf-8"))["nlu"]
    block = next(b for b in exported if b["intent"] == "ask_swimming_badge")
    assert block["examples"].splitlines() == [f"- {t}" for t in phrasings]
    assert "swimming_badge" in (root / "content" / "catalog.yml").read_text(encoding="utf-8")
    assert (root / "content" / "everyday" / "swimming_badge.de.md").exists()
    async with sessions() as session:
        pending = await session.scalars(
            select(TrainingExample).where(TrainingExample.intent == "ask_swimming_badge")
        )
        assert all(row.exported for row in pending)
    # the files alone now hold what was taught: intent, rule and examples come from them
    after = build_project(root, read_taught(database_url))
    assert "ask_swimming_badge" in yaml.safe_load(after.files["domain.yml"])["intents"]
    assert TAUGHT_FILE in after.files
    assert "Wo lerne ich schwimmen?" not in after.files.get(EDITORS_FILE, b"").decode()


def test_a_failed_trainings_reason_keeps_the_log_and_blanks_what_was_taught() -> None:
    log = (
        "2026-11-26 WARNING something noisy\n"
        "Starting to train component 'CrossLingualIntentClassifier'.\n"
        "ValueError: example 'Wo  lerne ich [schwimmen]?' has no intent\n"
    )
    taught = Taught(examples=(("ask_swimming_badge", "Wo  lerne ich [schwimmen]?"),))
    reason = failure_reason(log, taught, 1)
    assert reason.startswith("rasa train exited with code 1\n")
    assert "ValueError: example '[…]' has no intent" in reason
    assert "schwimmen" not in reason and "noisy" not in reason
    assert failure_reason("", taught, None).startswith("rasa train timed out")


def test_every_training_status_has_words() -> None:
    for language in UI_LANGUAGES:
        words = strings(language)
        for status in (QUEUED, RUNNING, DONE, LOADED, FAILED):
            assert f"training_status.{status}" in words, (language, status)
            assert f"training_explain.{status}" in words, (language, status)
