"""Alembic environment of the office: runs on the engine handed in by `office.db.migrate`."""

from alembic import context

from office.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
