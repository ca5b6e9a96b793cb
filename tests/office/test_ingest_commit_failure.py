"""A batch whose COMMIT fails must not move the acknowledged mark: the next batch's ack would
otherwise release events the station still holds but the office never stored (they are lost).
The failing COMMIT is injected (a fault a test cannot produce otherwise on SQLite)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, func, select

from office.db import create_engine, migrate
from office.ingest import Ingest
from office.schema import events


def _ev(seq: int) -> dict:
    return {"event_id": str(uuid.uuid4()), "seq": seq, "type": "station.test", "boot_id": "b1",
            "ts": "2026-12-05T10:00:00Z", "data": {}, "stream": "s1"}


def test_a_failed_commit_leaves_the_mark_where_the_database_has_it(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'o.db'}")
    migrate(engine)
    ingest = Ingest(engine)
    assert ingest.store_events([("st-1", _ev(1))])[("st-1", "s1")]["upto_seq"] == 1
    fail = {"on": True}

    def refuse(conn):
        if fail.pop("on", False):
            raise RuntimeError("disk I/O error (injected at COMMIT)")

    event.listen(engine, "commit", refuse)
    with pytest.raises(RuntimeError, match="injected"):
        ingest.store_events([("st-1", _ev(s)) for s in (2, 3, 4)])
    ack = ingest.store_events([("st-1", _ev(5))])[("st-1", "s1")]
    assert ack["upto_seq"] == 1 and ack["missing"] == [2, 3, 4]  # the station sends 2-4 again
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 2
    ack = ingest.store_events([("st-1", _ev(s)) for s in (2, 3, 4)])[("st-1", "s1")]
    assert ack["upto_seq"] == 5 and "missing" not in ack
