"""The Rasa project as `rasa train` sees it: the hand-written files plus what the catalog implies.

Every content key (content/catalog.yml and the keys taught in the browser) is answered the
same way: intent `ask_<key>`, a rule `ask_<key> -> action_answer`. Those intents and rules
are generated here, so nobody edits domain.yml or stories for a new answer; the hand-written
domain.yml keeps only the other intents. Examples are nlu/*.yml (with nlu/taught.yml, which
`content export` writes) plus the editors' examples not yet exported (`training_examples`).

The project is built in memory and its fingerprint is the hash of exactly those bytes (and
the code and lock file Rasa trains with), so setup, `make test` and an editor's retrain are
one fingerprinted build: the same data gives the same cached model.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.content.overlay import with_keys
from bot.content.store import load_catalog
from bot.db.engine import make_sync_engine
from bot.db.models import ContentKey, TrainingExample

logger = logging.getLogger(__name__)

RASA_LOCK = Path("requirements") / "rasa.lock"
CODE = "rasa_components/*.py"  # imported by Rasa from the project root at train and run time
ANSWER_ACTION = "action_answer"
EDITORS_FILE = "nlu/editors.yml"  # examples still in the database (not exported yet)
TAUGHT_FILE = "nlu/taught.yml"  # examples `content export` wrote back into the repository
GENERATED_RULES = "stories/answers.yml"
# Rasa reads `[text](entity)` and `[text]{...}` in an example as an entity annotation.
_ANNOTATION = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Taught:
    """What editors taught in the browser and `content export` has not written back yet."""

    keys: tuple[tuple[str, str], ...] = ()  # (full key, topic)
    examples: tuple[tuple[str, str], ...] = ()  # (intent, text), oldest first


NOTHING_TAUGHT = Taught()


def intent_of(full_key: str) -> str:
    return "ask_" + full_key.split(".", 1)[-1]


def example_line(text: str) -> str:
    """One example as a single line Rasa reads as plain text."""
    return " ".join(_ANNOTATION.sub(" ", text).split())


def _taught_from(session: Session) -> Taught:
    keys = session.execute(
        select(ContentKey.key, ContentKey.topic)
        .where(ContentKey.exported.is_(False))
        .order_by(ContentKey.created_at, ContentKey.key)
    )
    examples = session.execute(
        select(TrainingExample.intent, TrainingExample.text)
        .where(TrainingExample.exported.is_(False))
        .order_by(TrainingExample.id)
    )
    return Taught(
        tuple((str(k), str(t)) for k, t in keys),
        tuple((str(i), str(x)) for i, x in examples),
    )


def read_taught_from(engine: Engine) -> Taught:
    """The taught keys and examples; nothing when the tables are not made yet (before the
    first `make run`, setup trains from the files alone)."""
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
    if not {"content_keys", "training_examples"} <= names:
        return NOTHING_TAUGHT
    with Session(engine) as session:
        return _taught_from(session)


def read_taught(database_url: str) -> Taught:
    """As `read_taught_from`; a SQLite file that does not exist yet has taught nothing, and a
    database that cannot be read is a warning (the model is then trained on the files)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return NOTHING_TAUGHT
    engine = make_sync_engine(database_url)
    try:
        return read_taught_from(engine)
    except SQLAlchemyError as exc:
        logger.warning(
            "taught questions cannot be read (%s); training on the files only", type(exc).__name__
        )
        return NOTHING_TAUGHT
    finally:
        engine.dispose()


def examples_of(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, example) of one Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu") or []:
        intent = str(block.get("intent") or "")
        for line in str(block.get("examples") or "").splitlines():
            text = line.strip().removeprefix("- ").strip()
            if intent and text:
                yield intent, text


def file_examples(root: Path) -> Iterator[tuple[str, str]]:
    """(intent, example) of every example in `root`'s nlu/*.yml (taught.yml included)."""
    for path in sorted((root / "nlu").glob("*.yml")):
        yield from examples_of(path)


def taught_elsewhere(
    root: Path, taught: Iterable[tuple[str, str]], intent: str, texts: Iterable[str]
) -> list[tuple[str, str]]:
    """(text, other intent) for each of `texts` that is already an example of another intent
    (in the files or in `taught`, compared as Rasa reads them, ignoring case). The same
    phrasing under two intents makes both ambiguous, so the bot would answer neither."""
    owner: dict[str, str] = {}
    for known_intent, known in [*file_examples(root), *taught]:
        owner.setdefault(example_line(known).casefold(), known_intent)
    found = []
    for text in texts:
        other = owner.get(example_line(text).casefold())
        if other and other != intent:
            found.append((text, other))
    return found


def content_intents(root: Path, taught: Taught) -> list[str]:
    """`ask_<key>` for every catalog key and every taught key, in menu order."""
    catalog = with_keys(load_catalog(root / "content"), taught.keys)
    return [intent_of(key) for key in catalog.full_keys]


def _dump(data: object) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000).encode()


def domain_yaml(root: Path, intents: list[str]) -> bytes:
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    written = [i for i in domain.get("intents", []) if i not in intents]
    domain["intents"] = [*intents, *written]
    return _dump(domain)


def rules_yaml(intents: Iterable[str]) -> bytes:
    rules = [
        {"rule": f"answer {i}", "steps": [{"intent": i}, {"action": ANSWER_ACTION}]}
        for i in intents
    ]
    return _dump({"version": "3.1", "rules": rules})


def examples_yaml(examples: Iterable[tuple[str, str]]) -> bytes:
    """Rasa's NLU format: one block per intent, examples in the order they were taught."""
    by_intent: dict[str, list[str]] = {}
    for intent, text in examples:
        line = example_line(text)
        lines = by_intent.setdefault(intent, [])
        if line and line not in lines:
            lines.append(line)
    blocks = [
        {"intent": intent, "examples": "".join(f"- {line}\n" for line in lines)}
        for intent, lines in by_intent.items()
    ]
    return _dump({"version": "3.1", "nlu": blocks})


@dataclass(frozen=True)
class TrainingProject:
    """The files of one `rasa train` run (relative path -> bytes) and their fingerprint."""

    files: dict[str, bytes]
    code: list[Path] = field(default_factory=list)  # hashed, not copied (imported from root)
    fingerprint: str = ""

    @property
    def data(self) -> list[str]:
        """Training data in a fixed order: nlu files, then stories."""
        return [name for name in self.files if name.startswith(("nlu/", "stories/"))]

    def write(self, directory: Path) -> None:
        for name, content in self.files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def _digest(parts: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in parts:
        digest.update(name.encode())
        digest.update(content)
    return digest.hexdigest()[:16]


def build_project(root: Path, taught: Taught = NOTHING_TAUGHT) -> TrainingProject:
    """The project for `root`'s files and catalog plus what was taught (see module doc)."""
    if (root / GENERATED_RULES).exists():
        raise ValueError(f"{GENERATED_RULES} is generated from the catalog; delete it")
    intents = content_intents(root, taught)
    files: dict[str, bytes] = {
        "config.yml": (root / "config.yml").read_bytes(),
        "domain.yml": domain_yaml(root, intents),
    }
    for path in sorted((root / "nlu").glob("*.yml")):
        files[f"nlu/{path.name}"] = path.read_bytes()
    if taught.examples:
        files[EDITORS_FILE] = examples_yaml(taught.examples)
    stories = {p.name: p for p in (root / "stories").glob("*.yml")}
    generated = Path(GENERATED_RULES).name
    for name in sorted({*stories, generated}):
        files[f"stories/{name}"] = (
            rules_yaml(intents) if name == generated else stories[name].read_bytes()
        )
    code = sorted(root.glob(CODE))
    parts = [
        *files.items(),
        *((str(p.relative_to(root)), p.read_bytes()) for p in code),
        (str(RASA_LOCK), (root / RASA_LOCK).read_bytes()),
    ]
    return TrainingProject(files, code, _digest(parts))
