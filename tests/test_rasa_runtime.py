"""Rasa's venv and model are cached by content: train when the data changed, never otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.rasa.runtime import RasaPaths, RasaSetupError, find_python310, training_files
from tests.servers import ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in (
        "config.yml",
        "domain.yml",
        "requirements",
        "nlu",
        "stories",
        "rasa_components",
        "content",
    ):
        source = ROOT / name
        target = tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    return tmp_path


def test_held_out_and_dev_data_are_not_training_data(project: Path) -> None:
    files = [p.relative_to(project).as_posix() for p in training_files(project)]
    assert "nlu/de.yml" in files and "stories/rules.yml" in files
    assert not any(f.startswith("tests/") for f in files)


def test_the_model_fingerprint_follows_the_training_data_only(
    project: Path, tmp_path: Path
) -> None:
    paths = RasaPaths(project, tmp_path / "cache")
    before = paths.fingerprint
    held_out = project / "tests" / "nlu" / "heldout"
    held_out.mkdir(parents=True)
    (held_out / "de.yml").write_text("version: '3.1'\nnlu: []\n")
    assert paths.fingerprint == before  # changing the held-out set does not retrain
    with (project / "nlu" / "de.yml").open("a") as data:
        data.write("    - noch ein Beispiel\n")
    assert paths.fingerprint != before
    assert paths.model.name == f"model-{paths.fingerprint}.tar.gz"


def test_the_venv_is_keyed_by_the_lock_file(project: Path, tmp_path: Path) -> None:
    paths = RasaPaths(project, tmp_path / "cache")
    before = paths.venv
    with (project / "requirements" / "rasa.lock").open("a") as lock:
        lock.write("# changed\n")
    assert paths.venv != before


def test_a_missing_python_for_rasa_is_a_clear_error() -> None:
    with pytest.raises(RasaSetupError, match=r"RASA_PYTHON=/nowhere/python3\.10 does not exist"):
        find_python310("/nowhere/python3.10")
