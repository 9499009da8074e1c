"""Alembic environment: the URL comes from `bot.db.migrate` (the settings), never from a file."""

from __future__ import annotations

from alembic import context

from bot.db.engine import make_sync_engine
from bot.db.models import Base

config = context.config
engine = make_sync_engine(config.attributes["database_url"])
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
finally:
    engine.dispose()  # no pooled connection may outlive the migration
