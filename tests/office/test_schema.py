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
    assert version == "0011"
    cols = {c["name"] for c in inspect(engine).get_columns("stations")}
    assert {"paper", "boards"} <= cols
    uniques = inspect(engine).get_unique_constraints("events")
    assert any(set(u["column_names"]) == {"station", "event_id"} for u in uniques)


def test_0010_moves_interim_payment_code_marks_to_the_unique_column(tmp_path):
    """Orders paid by code before 0010 kept `paycode:<fp>` in pay_url; one code charged twice (the
    race the index closes) leaves the fingerprint on the earliest order only."""
    from alembic import command
    from sqlalchemy import select, text

    from office.db import alembic_config, create_engine
    from office.schema import payments

    engine = create_engine(f"sqlite:///{tmp_path}/o.db")
    command.upgrade(alembic_config(engine), "0009")
    with engine.begin() as conn:
        for oid, url in (("PO1", "paycode:ab"), ("PO2", "paycode:ab"), ("PO3", "https://pay/o/PO3")):
            conn.execute(text("INSERT INTO payments (order_id, case_no, amount_fen, description, status, pay_url, "
                              "created_at, created_mono) VALUES (:o, 'C', 1, 'd', 'paid', :u, 't', 0)"),
                         {"o": oid, "u": url})
    migrate(engine)
    with engine.connect() as conn:
        got = dict(conn.execute(select(payments.c.order_id, payments.c.paycode_fp).order_by(payments.c.order_id)).all())
    assert got == {"PO1": "ab", "PO2": None, "PO3": None}
