"""Office test fixtures.

- `db_url` (parametrized: sqlite, postgresql): a fresh, migrated database per test. PostgreSQL is
  one private cluster per test session (`office.pgcluster.PgCluster`, run as the `postgres`
  system user because initdb refuses root) with a new database per test.
- `engine`: a SQLAlchemy engine on `db_url`.
- `broker`/`broker_factory`: mosquitto with users office-1/office-2 added to the ACL;
  `make_station`, `command_key` from tests/fleet.
- `office_mqtt(broker, engine)`: a started `OfficeMqtt` (user `office-1` by default).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from office.db import create_engine, migrate
from office.pgcluster import PgCluster
from tests.fleet.conftest import (  # noqa: F401  (fixtures)
    PASSWORDS,
    STATIONS,
    command_key,
    make_station,
)
from hw_sim.broker import LocalBroker

OFFICE_USERS = {"office-1": "pw-office-1", "office-2": "pw-office-2"}
PASSWORDS.update(OFFICE_USERS)  # the shared dict the station fixtures read


@pytest.fixture
def broker_factory(tmp_path):
    """A real mosquitto with the repository's ACL plus one MQTT user per office process
    (`use_username_as_clientid`: each office process needs its own user)."""
    made: list[LocalBroker] = []

    def make(**kw: Any) -> LocalBroker:
        b = LocalBroker(tmp_path / f"broker{len(made)}", PASSWORDS, **kw)
        with open(b.dir / "acl", "a", encoding="utf-8") as f:
            for user in OFFICE_USERS:
                f.write(f"\nuser {user}\ntopic readwrite k/v1/#\n")
        b.start()
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


@pytest.fixture
def broker(broker_factory):
    return broker_factory()


@pytest.fixture(scope="session")
def pg_cluster():
    pg = PgCluster().start()
    yield pg
    pg.cleanup()


def new_pg_database(pg: PgCluster) -> str:
    """A new, empty database in the session's cluster; its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg.url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return pg.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/office.db"
    return new_pg_database(request.getfixturevalue("pg_cluster"))


@pytest.fixture
def engine(db_url):
    e = create_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


@pytest.fixture
def office_mqtt():
    from office.mqtt_service import OfficeMqtt

    made: list[Any] = []

    def make(broker: Any, engine: Any, *, user: str = "office-1", **kw: Any) -> OfficeMqtt:
        om = OfficeMqtt(engine, broker.url, user, PASSWORDS.get(user, f"pw-{user}"), **kw).start()
        made.append(om)
        return om

    yield make
    for om in made:
        om.stop()


class _RememberingHasher:
    """Argon2id as the office uses it (~110 ms a hash, by design), each result computed once for
    the office tests: they add the same few users with the same passwords again and again. Every
    answer is the real library's; a wrong password is still refused with its real error. Users
    with one password share one hash here, so `test_accounts_real_hash.py` runs without it."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self._hashes: dict[str, str] = {}
        self._checks: dict[tuple[str, str], BaseException | None] = {}

    def hash(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = self.real.hash(password)
        return self._hashes[password]

    def verify(self, pw_hash: str, password: str) -> bool:
        key = (pw_hash, password)
        if key not in self._checks:
            try:
                self.real.verify(pw_hash, password)
                self._checks[key] = None
            except Exception as exc:
                self._checks[key] = exc
        failure = self._checks[key]
        if failure is not None:
            raise type(failure)(*failure.args)
        return True


@pytest.fixture(scope="package", autouse=True)
def _argon2_results_remembered():
    from office import accounts

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher", _RememberingHasher(accounts._hasher))
        yield
