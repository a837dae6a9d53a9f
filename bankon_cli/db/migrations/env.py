"""Alembic environment: runs on the engine handed over by bankon_cli.db.migrate."""

from __future__ import annotations

from alembic import context

from bankon_cli.db.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
