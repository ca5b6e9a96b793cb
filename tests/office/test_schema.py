"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL, and
running them again changes nothing."""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.autogenerate import compare_metadata
from sqlalchemy import inspect

from office.db import migrate
from office.schema import metadata


def test_migrated_schema_matches_the_code(engine):
    migrate(engine)  # a second run is a no-op
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diffs == [], diffs
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == "0010"
    cols = {c["name"] for c in inspect(engine).get_columns("stations")}
    assert {"paper", "boards"} <= cols
    uniques = inspect(engine).get_unique_constraints("events")
    assert any(set(u["column_names"]) == {"station", "event_id"} for u in uniques)
