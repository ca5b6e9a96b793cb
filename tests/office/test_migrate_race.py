"""Office processes of one PostgreSQL database starting at the same moment: all migrate an empty
database; the advisory lock makes one create the schema and the others find it at head (without
it one of them failed on a duplicate `alembic_version`). Real processes: `kiosk-office migrate`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from office.db import create_engine
from tests.office.conftest import new_pg_database

ROOT = Path(__file__).resolve().parents[2]


def test_office_processes_migrating_one_empty_database_at_once(pg_cluster):
    url = new_pg_database(pg_cluster)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "office.cli", "migrate", "--db", url], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=90)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
