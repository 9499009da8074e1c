"""Retraining in the background after an editor taught a question, and loading the new model
into the running Rasa without downtime.

A retrain is a row of `training_runs` (queued). The trainer, an asyncio task in the
dashboard's process, takes every queued row at once (one training learns everything taught
so far), builds the same fingerprinted project as setup (files, catalog, what was taught),
trains it with Rasa's venv in a subprocess (the event loop stays free) and asks Rasa to load
it with `PUT /model`: Rasa answers with the old model until the new one is loaded. A failed
training leaves the running model alone; the run keeps the last lines of the training log
(taught texts blanked) as the reason. The bot's next start finds the model by fingerprint.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.models import TrainingRun, utcnow
from bot.rasa import loaded_model
from bot.rasa.children import _die_with_parent
from bot.rasa.runtime import RasaPaths, TrainingJob, training_job
from bot.rasa.training_data import Taught, build_project, example_line, read_taught

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, LOADED, FAILED = "queued", "running", "done", "loaded", "failed"
TRAINING_TIMEOUT = 3600.0  # seconds; a training takes minutes
STALE_AFTER = dt.timedelta(seconds=TRAINING_TIMEOUT + 600)
LOAD_TIMEOUT = 300.0  # Rasa reads the archive and warms the embedding model
REASON_LINES = 12
REASON_CHARS = 2000


class TrainingFailed(RuntimeError):
    """The reason an editor reads on the page (no user text)."""


def _noise(line: str) -> bool:
    lowered = line.lower()
    return not line.strip() or "warning" in lowered or lowered.lstrip().startswith("from ")


def failure_reason(log: str, taught: Taught, code: int | None) -> str:
    """The last lines of a training log that say something, with taught texts blanked."""
    lines = [line.rstrip() for line in log.splitlines() if not _noise(line)][-REASON_LINES:]
    forms = {form for _, t in taught.examples for form in (t, " ".join(t.split()), example_line(t))}
    texts = sorted(forms - {""}, key=len, reverse=True)  # as stored, or as Rasa read it
    reason = "\n".join(lines)
    for text in texts:
        reason = reason.replace(text, "[…]")
    ending = "timed out" if code is None else f"exited with code {code}"
    return f"rasa train {ending}\n{reason}"[-REASON_CHARS:]


def settled(run: TrainingRun) -> bool:
    """Nothing more will happen to the run: loaded, failed, or trained but not loaded (a
    run is 'done' without an error only for the moment between training and loading)."""
    return run.status in {LOADED, FAILED} or (run.status == DONE and bool(run.error))


async def queue_run(session: AsyncSession, requested_by: int | None) -> TrainingRun:
    run = TrainingRun(status=QUEUED, requested_by=requested_by)
    session.add(run)
    await session.flush()
    return run


class Trainer:
    """One retrain at a time in this process (see the module docstring)."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.paths = RasaPaths(settings.project_root, settings.cache_dir)
        self.log_file = settings.data_dir / "logs" / "training.log"
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def request(self) -> None:
        """Runs were queued: train them (the task starts on first use)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="trainer")
        self._wake.set()

    async def resume(self) -> None:
        """At start: runs queued before a restart are trained; a run still 'running' long
        after any training could have ended was interrupted."""
        try:
            async with self.sessions.begin() as db:
                await db.execute(
                    update(TrainingRun)
                    .where(
                        TrainingRun.status == RUNNING,
                        TrainingRun.started_at < utcnow() - STALE_AFTER,
                    )
                    .values(
                        status=FAILED,
                        finished_at=utcnow(),
                        error="interrupted (the process stopped)",
                    )
                )
                queued = await db.scalar(
                    select(TrainingRun.id).where(TrainingRun.status == QUEUED).limit(1)
                )
        except SQLAlchemyError as exc:
            logger.warning("training runs cannot be read (%s)", type(exc).__name__)
            return
        if queued is not None:
            self.request()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                while await self.train_once():
                    pass
            except Exception:  # the dashboard must keep running; the next request retries
                logger.exception("the background trainer failed; it tries again when asked")
            await self._wake.wait()

    async def _claim(self) -> list[int]:
        async with self.sessions.begin() as db:
            ids = list(
                await db.scalars(
                    select(TrainingRun.id)
                    .where(TrainingRun.status == QUEUED)
                    .order_by(TrainingRun.id)
                )
            )
            if not ids:
                return []
            claimed = await db.execute(
                update(TrainingRun)
                .where(TrainingRun.id.in_(ids), TrainingRun.status == QUEUED)
                .values(status=RUNNING, started_at=utcnow())
            )
            if claimed.rowcount != len(ids):  # type: ignore[attr-defined]
                await db.rollback()  # another process took them; it trains them
                return []
        return ids

    async def _finish(self, ids: Iterable[int], status: str, **values: object) -> None:
        async with self.sessions.begin() as db:
            await db.execute(
                update(TrainingRun)
                .where(TrainingRun.id.in_(list(ids)))
                .values(status=status, finished_at=utcnow(), **values)
            )

    async def train_once(self) -> bool:
        """Train and load what is queued; False when nothing was."""
        ids = await self._claim()
        if not ids:
            return False
        logger.info("retraining for training runs %s", ids)
        taught = Taught()
        try:
            taught = await asyncio.to_thread(read_taught, self.settings.database_url)
            project = await asyncio.to_thread(build_project, self.paths.root, taught)
            target = self.paths.model_for(project.fingerprint)
            if not target.exists():
                job = await asyncio.to_thread(training_job, self.paths, project)
                await self._train(job, taught)
        except TrainingFailed as exc:
            logger.warning("training runs %s failed; the running model stays", ids)
            await self._finish(ids, FAILED, error=str(exc))
            return True
        except Exception as exc:  # a run must never stay 'running'
            logger.exception("training runs %s failed", ids)
            await self._finish(ids, FAILED, error=f"{type(exc).__name__}: {exc}"[:REASON_CHARS])
            return True
        await self._finish(ids, DONE, fingerprint=project.fingerprint, model_file=target.name)
        logger.info("asking Rasa to load the new model %s", target.name)
        try:
            await self.load(target)
        except Exception as exc:  # whatever it was, the editor reads it on the page
            reason = str(exc) if isinstance(exc, TrainingFailed) else type(exc).__name__
            logger.warning("the new model %s was not loaded: %s", target.name, reason)
            await self._finish(ids, DONE, error=f"trained, not loaded yet: {reason}")
            return True
        logger.info("loaded the new model %s into Rasa", target.name)
        await self._finish(ids, LOADED)
        return True

    async def _train(self, job: TrainingJob, taught: Taught) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        code: int | None = None
        try:
            with self.log_file.open("wb") as log:
                process = await asyncio.create_subprocess_exec(
                    *job.command,
                    cwd=job.cwd,
                    env=job.env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=asyncio.subprocess.STDOUT,
                    preexec_fn=_die_with_parent(),  # dies with this process
                )
                try:
                    code = await asyncio.wait_for(process.wait(), TRAINING_TIMEOUT)
                except TimeoutError:
                    code = None
                finally:
                    if process.returncode is None:  # timed out, or the dashboard stops
                        process.kill()
                        await process.wait()
            if code != 0:
                log_text = await asyncio.to_thread(self.log_file.read_text, errors="replace")
                raise TrainingFailed(failure_reason(log_text, taught, code))
            await asyncio.to_thread(job.finish)
        finally:
            await asyncio.to_thread(job.cleanup)

    async def load(self, model: Path) -> None:
        """`PUT /model` on the running Rasa; it swaps models when the new one is ready."""
        params = {"token": self.settings.rasa_token} if self.settings.rasa_token else {}
        try:
            async with httpx.AsyncClient(timeout=LOAD_TIMEOUT) as client:
                response = await client.put(
                    f"{self.settings.rasa_url}/model",
                    params=params,
                    json={"model_file": str(model)},
                )
        except httpx.HTTPError as exc:  # never chained: the request URL carries the token
            raise TrainingFailed(f"Rasa cannot be reached ({type(exc).__name__})") from None
        if response.status_code not in (200, 204):
            raise TrainingFailed(f"Rasa answered HTTP {response.status_code}")
        # A Rasa restarted by the supervisor starts with this model, not the start model.
        loaded_model.remember(self.settings.data_dir / "run", model)
