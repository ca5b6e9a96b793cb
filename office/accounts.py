"""Operator accounts, passwords (argon2id), lock-out and sessions with a CSRF token.

- A password has at least 10 characters; it is stored only as an argon2id hash.
- `MAX_FAILURES` wrong passwords in a row lock the account for `LOCK_S` seconds (every attempt,
  also the refused ones, is audited); a right password resets the count.
- A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, with
  the CSRF token the console sends back on every state-changing request, and an expiry.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from office import auditlog
from office.schema import ROLES, sessions, users
from office.util import now_iso

MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCK_S = 900.0
SESSION_S = 8 * 3600.0
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")

_hasher = PasswordHasher()  # argon2id (the library's default type)


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    lang: str


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    reason: str  # "" | "bad_credentials" | "locked"
    token: str = ""
    session: Session | None = None


def add_user(engine: Engine, name: str, role: str, password: str, actor: str = "cli") -> User:
    if not name or len(name) > 64 or set(name) - NAME_CHARS:
        raise AccountError(f"user name {name[:70]!r}: 1-64 characters of letters, digits, '.', '_' and '-'")
    if role not in ROLES:
        raise AccountError(f"role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters (got {len(password)})")
    try:
        with engine.begin() as conn:
            uid = conn.execute(users.insert().values(name=name, role=role, pw_hash=_hasher.hash(password), failed=0,
                                                     locked_until=0.0, created_at=now_iso())).inserted_primary_key[0]
            auditlog.record(conn, actor, "user.add", name, role=role)
    except IntegrityError:
        raise AccountError(f"user {name!r} exists already") from None
    return User(int(uid), name, role)


def login(engine: Engine, name: str, password: str, lang: str = "zh", now: float | None = None) -> LoginResult:
    now = time.time() if now is None else now
    with engine.begin() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            _hasher.hash(password)  # same cost as a real check: no user-name oracle by timing
            auditlog.record(conn, f"login:{name[:64]}", "login", name[:64], ok=False, reason="no such user")
            return LoginResult(False, "bad_credentials")
        if row.locked_until > now:
            auditlog.record(conn, f"user:{name}", "login", name, ok=False, reason="locked",
                            until=round(row.locked_until))
            return LoginResult(False, "locked")
        try:
            _hasher.verify(row.pw_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            failed = row.failed + 1
            locked_until = now + LOCK_S if failed >= MAX_FAILURES else 0.0
            conn.execute(update(users).where(users.c.id == row.id).values(
                failed=0 if locked_until else failed, locked_until=locked_until))
            auditlog.record(conn, f"user:{name}", "login", name, ok=False, reason="wrong password", failures=failed)
            if locked_until:
                auditlog.record(conn, "system", "user.locked", name, ok=False, seconds=LOCK_S)
                return LoginResult(False, "locked")
            return LoginResult(False, "bad_credentials")
        conn.execute(update(users).where(users.c.id == row.id).values(failed=0, locked_until=0.0))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        conn.execute(sessions.insert().values(token_hash=_h(token), user_id=row.id, csrf=csrf, lang=lang,
                                              created_at=now, expires_at=now + SESSION_S))
        auditlog.record(conn, f"user:{name}", "login", name)
        return LoginResult(True, "", token, Session(User(row.id, row.name, row.role), csrf, lang))


def session_for(engine: Engine, token: str | None, now: float | None = None) -> Session | None:
    if not token:
        return None
    now = time.time() if now is None else now
    with engine.connect() as conn:
        row = conn.execute(select(sessions, users.c.name, users.c.role).join(users, users.c.id == sessions.c.user_id)
                           .where(sessions.c.token_hash == _h(token))).first()
    if row is None or row.expires_at <= now:
        return None
    return Session(User(row.user_id, row.name, row.role), row.csrf, row.lang)


def set_lang(engine: Engine, token: str, lang: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(sessions).where(sessions.c.token_hash == _h(token)).values(lang=lang))


def logout(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == _h(token)))


def _h(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
