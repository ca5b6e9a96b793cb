"""Fetch a bundle named by a back-office notice: a local path, file:// or http(s):// URL.

    path = fetch_bundle(url, dest_dir, max_bytes, timeout_s, sha256=None)    # raises FetchError

The download goes to a temporary name in `dest_dir` and is renamed when complete (and, when the
notice carries one, its SHA-256 matches). The signature is checked later by `open_bundle`: the
transport is not trusted either way.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

SCHEMES = ("file", "http", "https")


class FetchError(Exception):
    """The bundle could not be fetched; the message names the URL and what went wrong."""


def fetch_bundle(url: str, dest_dir: str | Path, max_bytes: int, timeout_s: float, sha256: str | None = None,
                 name: str = "bundle.tar") -> Path:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "":
        url = Path(url).resolve().as_uri()
    elif parsed.scheme not in SCHEMES:
        raise FetchError(f"{url}: scheme {parsed.scheme!r} not supported (use file://, http:// or https://)")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=dest_dir)
    h = hashlib.sha256()
    got = 0
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as resp, os.fdopen(fd, "wb") as out:
                length = resp.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > max_bytes:
                    raise FetchError(f"{url}: {length} bytes, more than the allowed {max_bytes}")
                while chunk := resp.read(1 << 20):
                    got += len(chunk)
                    if got > max_bytes:
                        raise FetchError(f"{url}: more than the allowed {max_bytes} bytes")
                    h.update(chunk)
                    out.write(chunk)
        except urllib.error.HTTPError as exc:
            raise FetchError(f"{url}: cannot fetch: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise FetchError(f"{url}: cannot fetch: {reason}") from None
        if sha256 and h.hexdigest() != sha256.lower():
            raise FetchError(f"{url}: SHA-256 {h.hexdigest()} differs from the notice's {sha256} "
                             "(incomplete or wrong file)")
        final = dest_dir / name
        os.replace(tmp, final)
        return final
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def copy_atomic(src: Path, dest: Path) -> Path:
    """Copy a verified bundle to `dest` (temporary name, then renamed)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as f:
            shutil.copyfileobj(f, out)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest
