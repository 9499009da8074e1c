"""An operator's Rasa crashes after an editor's retrain: it must come back with the taught model."""

from __future__ import annotations

from pathlib import Path

from bot.rasa import loaded_model


def test_a_restarted_rasa_serves_the_model_swapped_in_last(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    start = tmp_path / "model-start.tar.gz"
    taught = tmp_path / "model-taught.tar.gz"
    start.write_bytes(b"start")
    taught.write_bytes(b"taught")

    assert loaded_model.current(run_dir, start) == start  # nothing recorded yet
    loaded_model.remember(run_dir, start)  # the supervisor at start
    loaded_model.remember(run_dir, taught)  # the trainer after PUT /model
    assert loaded_model.current(run_dir, start) == taught


def test_a_recorded_model_that_is_gone_falls_back_to_the_start_model(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    start = tmp_path / "model-start.tar.gz"
    start.write_bytes(b"start")
    loaded_model.remember(run_dir, tmp_path / "model-deleted.tar.gz")
    assert loaded_model.current(run_dir, start) == start
