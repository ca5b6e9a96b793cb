"""Keyed hashes and masking of identity numbers: how the station matches a person without keeping them.

The station never stores a full ID number. It keeps `mask_id_number(n)` for people to read
("1101**********1234") and `KeyedHasher.hash_id(n)` (HMAC-SHA256 with a per-station secret key)
to match the same person later. The key lives in `[storage] hash_key_file`: 32 random bytes, mode
0600, made ONCE by `create_key` (first-time set-up, a fresh simulated station); without the key the
hashes cannot be brute-forced from the small space of ID numbers. The same hasher protects pickup
codes and staff PINs at rest. A missing or damaged key is refused, never silently replaced (a new
key would orphan every staff card, applicant hash and pickup code): it is restored from a backup
(`kiosk backup restore`, ADR 0132).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from kiosk.core.files import fsync_dir

KEY_BYTES = 32


class KeyFileError(Exception):
    """The hash key file cannot be created or used; the message names the file and the fix."""


def normalize_id_number(value: str) -> str:
    """Upper-case, no spaces or dashes: '110101 19900307 123x' -> '11010119900307123X'."""
    if not isinstance(value, str):
        raise TypeError("ID number must be a string")
    return "".join(ch for ch in value.strip().upper() if ch not in " -\t")


def mask_id_number(value: str) -> str:
    """Readable but not identifying: keep the first 4 and last 4 characters of an 18-character
    resident ID ('1101**********123X'); shorter documents keep the first and last 2 characters."""
    v = normalize_id_number(value)
    if len(v) >= 15:
        return v[:4] + "*" * (len(v) - 8) + v[-4:]
    if len(v) >= 6:
        return v[:2] + "*" * (len(v) - 4) + v[-2:]
    return "*" * len(v)


class KeyedHasher:
    """HMAC-SHA256 with the station key; `purpose` separates domains (an ID hash never equals a
    code hash of the same text)."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < 16:
            raise KeyFileError("hash key must be at least 16 bytes")
        self._key = bytes(key)

    @classmethod
    def from_file(cls, path: str | Path, database: str | Path | None = None) -> "KeyedHasher":
        """Load the station's key (`load_key`): missing or unusable -> KeyFileError saying how to restore
        it. `database` (the station's SQLite file) only sharpens that message."""
        return cls(load_key(path, database))

    def hash(self, purpose: str, value: str) -> str:
        msg = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def hash_id(self, id_number: str) -> str:
        return self.hash("id", normalize_id_number(id_number))

    def matches(self, purpose: str, value: str, digest: str) -> bool:
        return hmac.compare_digest(self.hash(purpose, value), digest)

    def __repr__(self) -> str:  # never print the key
        return "KeyedHasher(<key>)"


RESTORE_HINT = ("restore it together with the database from the station's latest backup: "
                "kiosk backup restore ARCHIVE --config CONFIG --root DIR (docs/operations/backups.md)")
FIRST_INSTALL_HINT = "on a first install, `kiosk setup` creates it"


def load_key(path: str | Path, database: str | Path | None = None) -> bytes:
    """Read the station's key; a missing, unreadable, exposed or damaged key is refused (KeyFileError)
    with what to do. The key is never made here: a new key would silently orphan every stored hash."""
    path = Path(path)
    try:
        st = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        has_db = database is not None and Path(database).exists()
        raise KeyFileError(
            f"{path}: the station's hash key file is missing; without it no staff card, applicant or pickup "
            "code stored at this station can be matched, and the station does not start. "
            + (f"The database {database} exists, so a new key would orphan it: {RESTORE_HINT}."
               if has_db else f"{RESTORE_HINT}; {FIRST_INSTALL_HINT}.")
        ) from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the hash key file ({exc.strerror}); check its owner and mode "
                           f"(the station's user must read it, mode 600), or {RESTORE_HINT}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path}: hash key file is readable by others (mode {stat.S_IMODE(st.st_mode):o}); run: chmod 600 {path}"
        )
    if len(data) != KEY_BYTES:
        raise KeyFileError(
            f"{path}: hash key file holds {len(data)} bytes, expected {KEY_BYTES}; it is damaged "
            f"(a new key cannot match existing cases): {RESTORE_HINT}"
        )
    return data


def create_key(path: str | Path, exist_ok: bool = False) -> bytes:
    """Make the station's key (first-time set-up, a fresh simulated station): 32 random bytes, mode
    0600, parent directories 0700, appearing complete or not at all. An existing key is never replaced:
    KeyFileError, or with `exist_ok` the existing key is returned (two processes racing agree)."""
    path = Path(path)
    if path.exists() and not exist_ok:
        raise KeyFileError(f"{path}: a hash key file already exists; it is never replaced (every stored hash "
                           "depends on it). Move it away yourself only if you know it belongs to no database.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create hash key file: {exc.strerror or exc}") from None
    if not _create_key(path) and not exist_ok:
        raise KeyFileError(f"{path}: another process created the hash key file at the same moment")
    return load_key(path)


def _create_key(path: Path) -> bool:
    """Write a new key to a private temporary file, then link it into place: the key file appears
    complete or not at all, so a second process starting at the same moment never reads a
    half-written (empty) key, and exactly one key wins. Returns whether ours won."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create hash key file: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False  # another process created it first: read theirs
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot create hash key file: {exc.strerror}") from None
        fsync_dir(path.parent)
        return True
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


