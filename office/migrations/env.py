"""Alembic environment of the office: runs on the engine handed in by `office.db.migrate`.

On PostgreSQL the migration takes a transaction-level advisory lock first: several office processes
of one database (a city) may start at the same moment, and without it two of them would both
create the schema of an empty database (one fails on a duplicate `alembic_version`). The second
waits, then finds the schema at head and does nothing."""

from alembic import context
from sqlalchemy import text

from office.schema import metadata

MIGRATION_LOCK = 7_354_201  # any constant the office uses for nothing else

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
