"""The operator password hash as the office really runs it (the other office tests remember
argon2 results to save time, which gives users with one password one hash): every hash salted
on its own, and an unknown user name costs a hash like a known one (no user-name oracle by time)."""

from __future__ import annotations

from typing import Any

import pytest

from office import accounts
from office.db import create_engine, migrate


class _Counting:
    def __init__(self, real: Any) -> None:
        self.real, self.hashes, self.verifies = real, 0, 0

    def hash(self, password: str) -> str:
        self.hashes += 1
        return self.real.hash(password)

    def verify(self, pw_hash: str, password: str) -> bool:
        self.verifies += 1
        return self.real.verify(pw_hash, password)


@pytest.fixture
def real_hasher(monkeypatch):
    real = getattr(accounts._hasher, "real", accounts._hasher)
    counting = _Counting(real)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def test_one_password_two_users_two_salted_hashes_and_no_name_oracle(tmp_path, real_hasher):
    from sqlalchemy import select

    from office.schema import users

    engine = create_engine(f"sqlite:///{tmp_path}/office.db")
    migrate(engine)
    try:
        accounts.add_user(engine, "wang.fang", "operator", "correct horse battery")
        accounts.add_user(engine, "li.lei", "operator", "correct horse battery")
        with engine.connect() as conn:
            hashes = conn.execute(select(users.c.pw_hash)).scalars().all()
        assert len(set(hashes)) == 2 and all(h.startswith("$argon2id$") for h in hashes)
        assert accounts.login(engine, "li.lei", "correct horse battery").ok
        assert not accounts.login(engine, "wang.fang", "wrong horse battery").ok
        before = real_hasher.hashes
        assert not accounts.login(engine, "nobody.here", "correct horse battery").ok
        assert real_hasher.hashes == before + 1, "an unknown name costs one hash, as a known one costs a check"
    finally:
        engine.dispose()
