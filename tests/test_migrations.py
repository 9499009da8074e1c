"""An operator upgrading with `python -m bot db upgrade` gets exactly the tables the code uses."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db.engine import make_sync_engine
from bot.db.models import Base


def test_the_migrations_create_the_schema_the_models_describe(database_url: str) -> None:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    # Server defaults and type spellings differ harmlessly between dialects; tables, columns,
    # indexes and foreign keys must not.
    changes = [c for d in diff for c in (d if isinstance(d, list) else [d])]
    relevant = [c for c in changes if c[0] not in {"modify_default", "modify_type"}]
    assert relevant == []
