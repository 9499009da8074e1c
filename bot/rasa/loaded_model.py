"""Which model the running Rasa serves, so that a restarted Rasa serves the same one.

The supervisor starts Rasa with the model chosen at start; an editor's retrain later swaps a
newer one in with `PUT /model`. Without this note a crashed and restarted Rasa would come
back with the start model and forget what editors taught until the bot itself restarts.
"""

from __future__ import annotations

import os
from pathlib import Path

NOTE = "rasa-model"


def remember(run_dir: Path, model: Path) -> None:
    """Record `model` as the one Rasa serves now (atomic: a reader never sees half a path)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    temporary = run_dir / f".{NOTE}.tmp"
    temporary.write_text(str(model), encoding="utf-8")
    os.replace(temporary, run_dir / NOTE)


def current(run_dir: Path, fallback: Path) -> Path:
    """The model to start Rasa with: the one it served last, if that file still exists."""
    try:
        recorded = Path((run_dir / NOTE).read_text(encoding="utf-8").strip())
    except OSError:
        return fallback
    return recorded if recorded.is_file() else fallback
