"""One process at a time installs Rasa or trains a model in the shared cache.

The venv and the models live in a cache shared by every clone and process of the user
(`make run` while `make test` runs, two test sessions). Without a lock, a second process
sees a half-built venv (no `.complete` marker yet), deletes it and starts again under the
first one's feet. An advisory lock (flock) on a file beside them serialises the work; the
kernel drops it when its holder exits, even by SIGKILL, so a crashed install never blocks
the next one. Whoever gets the lock second checks again: usually the work is done by then.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

LOCKS_FOLDER = "locks"


def lock_file(cache_dir: Path, name: str) -> Path:
    """The lock for one piece of the cache (a venv, a model fingerprint)."""
    return cache_dir / LOCKS_FOLDER / f"{name}.lock"


@contextlib.contextmanager
def cache_lock(path: Path, doing: str) -> Iterator[None]:
    """Hold the lock at `path`; if another process holds it, say so once and wait.

    `doing` completes "waiting for another process that is …" (e.g. "installing Rasa").
    Blocking: in async code call the whole locked section in a thread.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Never deleted: removing a lock file someone waits on would let a third process in.
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("waiting for another process that is %s", doing)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
