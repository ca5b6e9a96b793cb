"""Keyed hashes and masking of identity numbers: how the station matches a person without keeping them.

The station never stores a full ID number. It keeps `mask_id_number(n)` for people to read
("1101**********1234") and `KeyedHasher.hash_id(n)` (HMAC-SHA256 with a per-station secret key)
to match the same person later. The key lives in `[storage] hash_key_file`: 32 random bytes,
created with mode 0600 on first use; without the key the hashes cannot be brute-forced from the
small space of ID numbers. The same hasher protects pickup codes at rest (`purpose="pickup"`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

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
    def from_file(cls, path: str | Path) -> "KeyedHasher":
        """Load the key, creating it (0600, parent dirs 0700) when the file does not exist."""
        return cls(load_or_create_key(path))

    def hash(self, purpose: str, value: str) -> str:
        msg = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def hash_id(self, id_number: str) -> str:
        return self.hash("id", normalize_id_number(id_number))

    def matches(self, purpose: str, value: str, digest: str) -> bool:
        return hmac.compare_digest(self.hash(purpose, value), digest)

    def __repr__(self) -> str:  # never print the key
        return "KeyedHasher(<key>)"


def load_or_create_key(path: str | Path) -> bytes:
    path = Path(path)
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot create hash key file: {exc.strerror or exc}") from None
        _create_key(path)
    try:
        st = path.stat()
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read hash key file: {exc.strerror}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path}: hash key file is readable by others (mode {stat.S_IMODE(st.st_mode):o}); run: chmod 600 {path}"
        )
    if len(data) != KEY_BYTES:
        raise KeyFileError(
            f"{path}: hash key file holds {len(data)} bytes, expected {KEY_BYTES}; it is damaged "
            "(restore it from backup: a new key cannot match existing cases)"
        )
    return data


def _create_key(path: Path) -> None:
    """Write a new key to a private temporary file, then link it into place: the key file appears
    complete or not at all, so a second process starting at the same moment never reads a
    half-written (empty) key, and exactly one key wins."""
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
            pass  # another process created it first: read theirs
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot create hash key file: {exc.strerror}") from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
