"""Fixtures for service tests: a temporary SQLite file, a keyed hasher, a fake clock, the catalog."""

from __future__ import annotations

import pytest

from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.catalog import load_catalog
from kiosk.services.keyed_hash import KeyedHasher, create_key
from kiosk.services.store import Store


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "station.db"


@pytest.fixture
def store(db_path):
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def hasher(tmp_path):
    create_key(tmp_path / "keys" / "hash.key")
    return KeyedHasher.from_file(tmp_path / "keys" / "hash.key")


@pytest.fixture
def audit(store, clock):
    return AuditLog(store, clock)
