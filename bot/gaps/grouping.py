"""Grouping wordings by meaning across languages, with the E5 model in a short-lived process.

The model and numpy live in Rasa's venv (see `embed_worker.py`); the dashboard process only
keeps the vectors it already has, in memory, keyed by a hash of the wording (the text itself
is not kept), so opening the gaps page again embeds only new questions. If Rasa's venv is
missing or the worker fails, every distinct wording is its own group and the page says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.rasa.runtime import RasaPaths

logger = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("embed_worker.py")
# Mean pairwise cosine similarity (E5 'query:' vectors) above which wordings are one group.
# E5 similarities are compressed (unrelated questions ~0.75-0.82, the same question in two
# languages ~0.84-0.90); 0.83 keeps "driving lessons" in ar/de/en together and apart from
# "football club" or "bicycle repair".
THRESHOLD = 0.83
WORKER_TIMEOUT = 300.0
CACHE_SIZE = 5000  # vectors kept (1.5 kB each)


class GroupingUnavailable(RuntimeError):
    """The embedding worker could not run (no Rasa venv, or it failed)."""


@dataclass(frozen=True)
class Grouping:
    groups: list[list[int]]  # indices into the wordings, each list one group
    centres: list[int]  # per group: the index of its most central wording
    embedded: bool  # False: the worker was unavailable, one group per distinct wording


def normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def _digest(text: str) -> str:
    return hashlib.sha256(normalised(text).encode()).hexdigest()


class Grouper:
    def __init__(self, python: Path | None, threshold: float = THRESHOLD) -> None:
        self.python = python
        self.threshold = threshold
        self._vectors: OrderedDict[str, str] = OrderedDict()
        self._lock = asyncio.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> Grouper:
        python = RasaPaths(settings.project_root, settings.cache_dir).venv / "bin" / "python"
        return cls(python if python.exists() else None)

    async def group(self, wordings: list[str]) -> Grouping:
        """Groups of `wordings` (identical wordings, ignoring case and spacing, always
        share a group)."""
        distinct: dict[str, int] = {}  # normalised wording -> its index among the distinct
        first: list[int] = []  # per distinct wording: its first index in `wordings`
        index_of: list[int] = []
        for i, text in enumerate(wordings):
            key = normalised(text)
            if key not in distinct:
                distinct[key] = len(first)
                first.append(i)
            index_of.append(distinct[key])
        try:
            async with self._lock:
                groups, centres = await self._run([wordings[i] for i in first])
            embedded = True
        except GroupingUnavailable as exc:
            logger.warning("gaps grouped by identical wording only: %s", exc)
            groups = [[u] for u in range(len(first))]
            centres, embedded = list(range(len(first))), False
        group_of = {u: g for g, group in enumerate(groups) for u in group}
        members: list[list[int]] = [[] for _ in groups]
        for i, u in enumerate(index_of):
            members[group_of[u]].append(i)
        return Grouping(members, [first[c] for c in centres], embedded)

    async def _run(self, unique: list[str]) -> tuple[list[list[int]], list[int]]:
        if not unique:
            return [], []
        if self.python is None:
            raise GroupingUnavailable("Rasa's venv is not installed (make setup)")
        digests = [_digest(text) for text in unique]
        items = [
            {"vector": self._vectors[d]} if d in self._vectors else {"text": text}
            for d, text in zip(digests, unique, strict=True)
        ]
        answer = await self._call({"items": items, "threshold": self.threshold})
        try:
            vectors, groups, centres = _checked(answer, len(unique))
        except (KeyError, TypeError, ValueError) as exc:
            name = type(exc).__name__
            raise GroupingUnavailable(f"the worker's answer is unusable ({name})") from exc
        for d, vector in zip(digests, vectors, strict=True):
            self._vectors[d] = vector
            self._vectors.move_to_end(d)
        while len(self._vectors) > CACHE_SIZE:
            self._vectors.popitem(last=False)
        return groups, centres

    async def _call(self, request: dict[str, object]) -> dict[str, list]:  # type: ignore[type-arg]
        assert self.python is not None
        try:
            process = await asyncio.create_subprocess_exec(
                str(self.python),
                str(WORKER),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:
            raise GroupingUnavailable(f"could not start the worker ({type(exc).__name__})") from exc
        try:
            out, _ = await asyncio.wait_for(
                process.communicate(json.dumps(request).encode()), WORKER_TIMEOUT
            )
        except TimeoutError as exc:
            raise GroupingUnavailable("the worker took too long") from exc
        finally:
            # Timed out, or the page request was cancelled (browser closed): the worker
            # must not keep two shared cores busy for minutes.
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await asyncio.shield(process.wait())
        if process.returncode != 0:
            raise GroupingUnavailable(f"the worker exited with {process.returncode}")
        try:
            answer: dict[str, list] = json.loads(out)  # type: ignore[type-arg]
        except ValueError as exc:  # cut-off or garbled output
            raise GroupingUnavailable("the worker's answer is not JSON") from exc
        return answer


def _checked(answer: dict[str, list], count: int) -> tuple[list, list[list[int]], list[int]]:  # type: ignore[type-arg]
    """The worker's vectors, groups and centres, if they fit the `count` wordings sent:
    one vector each, every wording in exactly one group, one centre per group, inside it."""
    vectors, groups, centres = answer["vectors"], answer["groups"], answer["centres"]
    members = sorted(int(i) for group in groups for i in group)
    if len(vectors) != count or members != list(range(count)) or len(centres) != len(groups):
        raise ValueError("the answer does not fit the wordings")
    if any(int(c) not in group for c, group in zip(centres, groups, strict=True)):
        raise ValueError("a centre outside its group")
    return vectors, [[int(i) for i in g] for g in groups], [int(c) for c in centres]
