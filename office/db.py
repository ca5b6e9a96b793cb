"""Database access: an engine from a `--db` URL, and `migrate()` which brings the schema to head.

`sqlite:///path` (WAL, busy timeout; the embedded default) or `postgresql://user@host:port/db`
(psycopg 3). Migrations are Alembic scripts in `office/migrations`, run in-process so neither
the CLI nor the tests need an `alembic.ini`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine import create_engine as _create_engine
from sqlalchemy.exc import ArgumentError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseUrlError(ValueError):
    pass


def normalise_url(url: str) -> str:
    try:
        u = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"--db {url!r}: expected sqlite:///PATH or postgresql://USER@HOST:PORT/DB") from None
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if u.drivername == "sqlite":
        if not u.database or u.database == ":memory:":
            raise DatabaseUrlError(f"--db {url!r}: SQLite needs a file path (sqlite:///PATH)")
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        return url
    raise DatabaseUrlError(f"--db {url!r}: unsupported database {u.drivername!r} (sqlite or postgresql)")


def create_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = _create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return _create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True,
                          connect_args={"connect_timeout": 10})


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (idempotent)."""
    command.upgrade(alembic_config(engine), "head")
