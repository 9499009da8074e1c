"""Teach a new question: a new content key with its German answer and example phrasings.

Editors and administrators only. Saving writes the key (`content_keys`, the catalog
overlay), the German answer as a draft revision (action `new_key`), the phrasings as
training examples and a queued retrain; the background trainer (`bot.rasa.trainer`) trains
and loads the new model, and this page shows how far it got. Until then the answer is
already in the menu of its topic. A gap group of the gaps page arrives as `?from_gap=` with
its message ids; their (masked) wordings fill the phrasings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.content import editing
from bot.content.check import Finding
from bot.content.overlay import add_revision, entry_text, with_keys
from bot.content.store import SOURCE_LANGUAGE, ContentStore
from bot.dashboard.deps import DbDep, SettingsDep, render
from bot.dashboard.routes.content import EditorDep, StoreDep
from bot.db.models import ContentKey, TrainingExample, TrainingRun
from bot.gaps import training as gap_training
from bot.languages import detect_language
from bot.rasa.trainer import Trainer, queue_run, settled
from bot.rasa.training_data import example_line, intent_of, taught_elsewhere
from bot.storage import audit

router = APIRouter()

KEY_PATTERN = re.compile(r"[a-z][a-z_]{1,38}[a-z]")
MIN_EXAMPLES = 3
MAX_EXAMPLES = 50
MAX_EXAMPLE_CHARS = 300
FROM_GAP_IDS = 20


def trainer_of(request: Request) -> Trainer:
    trainer: Trainer = request.app.state.trainer
    return trainer


@dataclass
class NewQuestion:
    """The form as typed, and what is wrong with it (keys of the dashboard's words)."""

    topic: str = ""
    key: str = ""
    title: str = ""
    body: str = ""
    sources: str = ""
    examples: str = ""
    problems: list[str] = field(default_factory=list)
    taken: list[tuple[str, str]] = field(default_factory=list)  # (phrasing, its answer's key)

    @property
    def source_list(self) -> list[str]:
        return [line.strip() for line in self.sources.splitlines() if line.strip()]

    @property
    def example_list(self) -> list[str]:
        unique: dict[str, str] = {}
        for line in self.examples.splitlines():
            text = example_line(line)[:MAX_EXAMPLE_CHARS]
            if text:
                unique.setdefault(text.casefold(), text)
        return list(unique.values())

    @property
    def full_key(self) -> str:
        return f"{self.topic}.{self.key}"


def validate(form: NewQuestion, store: ContentStore) -> None:
    if form.topic not in store.catalog.topics:
        form.problems.append("teach.problem.topic")
    if not KEY_PATTERN.fullmatch(form.key):
        form.problems.append("teach.problem.key_format")
    elif store.catalog.full_key_for(form.key) is not None:
        form.problems.append("teach.problem.key_taken")
    if not form.title.strip() or not form.body.strip():
        form.problems.append("teach.problem.answer")
    if not any(urlparse(s).scheme == "https" and urlparse(s).netloc for s in form.source_list):
        form.problems.append("teach.problem.sources")
    if not MIN_EXAMPLES <= len(form.example_list) <= MAX_EXAMPLES:
        form.problems.append("teach.problem.examples")


async def _check_phrasings_are_new(
    form: NewQuestion, store: ContentStore, db: DbDep, root: Path
) -> None:
    """A phrasing that already belongs to another answer is refused, naming that answer."""
    rows = await db.execute(select(TrainingExample.intent, TrainingExample.text))
    taught = [(str(known_intent), str(known)) for known_intent, known in rows]
    intent = intent_of(form.full_key)
    for text, other in taught_elsewhere(root, taught, intent, form.example_list):
        short = other.removeprefix("ask_")
        form.taken.append((text, store.catalog.full_key_for(short) or short))
    if form.taken:
        form.problems.append("teach.problem.example_taken")


def _today(request: Request) -> dt.date:
    return dt.datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def german_text(form: NewQuestion, today: dt.date) -> str:
    return entry_text(
        key=form.full_key,
        language=SOURCE_LANGUAGE,
        title=form.title.strip(),
        body=form.body.replace("\r\n", "\n"),
        sources=form.source_list,
        reviewed=today,
        status="draft",
        needs_local_review=False,
        related=(),
    )


def _page(
    request: Request,
    me: EditorDep,
    store: ContentStore,
    form: NewQuestion,
    findings: list[Finding] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "teach.html",
        {
            "form": form,
            "topics": list(store.catalog.topics),
            "findings": findings or [],
            "min_examples": MIN_EXAMPLES,
        },
        me,
        status_code=status_code,
    )


@router.get("/content/new")
async def new_question_page(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    db: DbDep,
    from_gap: Annotated[str, Query(max_length=400)] = "",
) -> Response:
    refs = [f"m{part.strip()}" for part in from_gap.split(",")[:FROM_GAP_IDS] if part.strip()]
    wordings = await gap_training.wordings(db, refs) if refs else []
    form = NewQuestion(examples="\n".join(text for _, text in wordings))
    return _page(request, me, store, form)


FormLine = Annotated[str, Form(max_length=300)]
FormText = Annotated[str, Form(max_length=20_000)]


@router.post("/content/new")
async def teach(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    db: DbDep,
    settings: SettingsDep,
    topic: Annotated[str, Form(max_length=40)],
    key: Annotated[str, Form(max_length=60)],
    title: FormLine,
    body: FormText,
    sources: FormText = "",
    examples: FormText = "",
) -> Response:
    """Checked like a publish; saved with its examples and a queued retrain."""
    form = NewQuestion(topic, key.strip(), title, body, sources, examples)
    validate(form, store)
    if not form.problems:
        await _check_phrasings_are_new(form, store, db, settings.project_root)
    if form.problems:
        return _page(request, me, store, form, status_code=422)
    today = _today(request)
    text = german_text(form, today)
    trial = ContentStore(with_keys(store.catalog, [(form.full_key, topic)]), store.entries())
    found = editing.candidate(
        trial,
        settings.content_dir,
        form.full_key,
        SOURCE_LANGUAGE,
        text,
        today,
        settings.review_max_age,
    )
    if found.errors:
        form.problems.append("teach.problem.check")
        return _page(request, me, store, form, found.findings, status_code=422)
    db.add(ContentKey(key=form.full_key, topic=topic, author_id=me.user.id))
    add_revision(
        db, form.full_key, SOURCE_LANGUAGE, text, "new_key", me.user.id, me.user.display_name
    )
    for example in form.example_list:
        db.add(
            TrainingExample(
                intent=intent_of(form.full_key),
                language=detect_language(example) or "",
                text=example,
                source="editor",
                author_id=me.user.id,
            )
        )
    run = await queue_run(db, me.user.id)
    audit.record(
        db,
        me.user.name,
        "content_new_key",
        detail=f"{form.full_key}: {len(form.example_list)} examples, training run {run.id}",
    )
    try:
        await db.commit()
    except IntegrityError:  # taught by someone else a moment ago
        await db.rollback()
        form.problems.append("teach.problem.key_taken")
        return _page(request, me, store, form, status_code=422)
    trainer_of(request).request()
    return RedirectResponse(
        f"/training/{run.id}?" + urlencode({"key": form.full_key}), status_code=303
    )


@router.post("/training")
async def retrain(request: Request, me: EditorDep, db: DbDep) -> Response:
    """Retrain now, e.g. after wordings from the gaps page were added as examples."""
    run = await queue_run(db, me.user.id)
    audit.record(db, me.user.name, "training_requested", detail=f"training run {run.id}")
    await db.commit()
    trainer_of(request).request()
    return RedirectResponse(f"/training/{run.id}", status_code=303)


async def _run(db: DbDep, run_id: int) -> TrainingRun:
    run = await db.get(TrainingRun, run_id)
    if run is None:
        raise HTTPException(status_code=404)
    return run


@router.get("/training/{run_id}")
async def training_page(
    request: Request,
    me: EditorDep,
    store: StoreDep,
    db: DbDep,
    run_id: int,
    key: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    run = await _run(db, run_id)
    key = key if key in store.catalog.full_keys else ""
    return render(
        request,
        "training.html",
        {"run": run, "key": key, "finished": settled(run)},
        me,
    )


@router.get("/training/{run_id}/status")
async def training_status(request: Request, me: EditorDep, db: DbDep, run_id: int) -> Response:
    """The part of the training page that polls itself until the run has finished."""
    run = await _run(db, run_id)
    return render(request, "_training_status.html", {"run": run, "finished": settled(run)}, me)
