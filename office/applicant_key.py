"""The office's secret for applicant fingerprints (consents, e-certificates, a case's applicant).

A fingerprint is HMAC-SHA256 of the normalised ID number with a key only the office holds
(`kiosk.services.keyed_hash.KeyedHasher`, purpose "office-applicant"): a copy of the database
alone cannot be brute-forced back to ID numbers (their space is small and structured), which an
unsalted hash could. The key is a 32-byte file made once, mode 0600, like the command signing key:
`kiosk-office run|ecert import --applicant-key PATH`, by default `applicant-fp.key` next to the
SQLite database (a PostgreSQL office names it). Every office process of one database must use the
same file; losing it orphans every stored fingerprint (restore it from the backup with the database).

Without a key (tests, library use) a random key of this process is used: its fingerprints do not
survive a restart.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from kiosk.services.keyed_hash import KeyedHasher, KeyFileError, create_key, load_key

DEFAULT_NAME = "applicant-fp.key"
PURPOSE = "office-applicant"
_process = KeyedHasher(secrets.token_bytes(32))


def default_path(db_url: str) -> Path | None:
    """`applicant-fp.key` beside a SQLite database file; None for other databases (name it)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve().parent / DEFAULT_NAME


def load_or_create(path: str | Path) -> KeyedHasher:
    """The key at `path`, made there (0600, complete or not at all) if no file exists yet;
    KeyFileError says what is wrong with an existing one."""
    p = Path(path)
    return KeyedHasher(load_key(p) if p.exists() else create_key(p, exist_ok=True))


def fingerprint(id_number: str, key: KeyedHasher | None = None) -> str:
    """The office's key for a person: HMAC of the ID number with the office secret."""
    return (key or _process).hash(PURPOSE, id_number.strip().upper())


__all__ = ["KeyFileError", "default_path", "fingerprint", "load_or_create"]
