"""The installed versions on disk and the one `current` link that says which runs.

    /opt/kiosk/
      current -> versions/0.2.0          the unit runs /opt/kiosk/current/bin/kiosk; switched atomically
      versions/0.1.0/                    a complete venv (.kiosk-version marker written last)
      versions/0.2.0/
      versions/.partial-0.3.0-k2j4/      an install in progress (or killed): never run, removed on the next apply
      incoming/next.tar                  a verified bundle the station staged for kiosk-update.service
      state.json                         last result, previous version (informational; `current` is the truth)
      update.lock                        one apply at a time (flock)

A version directory exists under its final name only when it is complete (installed under
`.partial-*`, marker written, renamed). `current` is replaced by `os.replace` of a symlink made
under a temporary name, so at every instant it points at a complete version (or, before the first
install, does not exist).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = ".kiosk-version"
PARTIAL = ".partial-"
RETIRED = ".retired-"


class LayoutError(Exception):
    """The install root cannot be used; the message says what to check."""


@dataclass(frozen=True)
class VersionInfo:
    version: str
    path: Path
    complete: bool


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Layout:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.versions = self.root / "versions"
        self.current_link = self.root / "current"
        self.incoming = self.root / "incoming"
        self.state_file = self.root / "state.json"
        self.lock_file = self.root / "update.lock"

    def ensure(self) -> None:
        try:
            self.versions.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LayoutError(f"{self.root}: cannot create the install root ({exc.strerror}); "
                              "run as the update user or check --root") from None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the update lock (one apply at a time); fails at once if another apply holds it."""
        self.ensure()
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LayoutError(f"another update is being applied ({self.lock_file} is locked)") from None
            yield
        finally:
            os.close(fd)

    # ---- reading --------------------------------------------------------------------------------
    def current(self) -> str | None:
        """The version `current` points at, or None (nothing installed yet)."""
        try:
            target = os.readlink(self.current_link)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LayoutError(f"{self.current_link} is not a symlink ({exc.strerror}); fix it by hand") from None
        return Path(target).name

    def version_dir(self, version: str) -> Path:
        return self.versions / version

    def installed(self) -> list[VersionInfo]:
        if not self.versions.is_dir():
            return []
        out = []
        for p in sorted(self.versions.iterdir()):
            if p.name.startswith("."):
                continue
            out.append(VersionInfo(p.name, p, (p / MARKER).is_file()))
        return out

    def leftovers(self) -> list[Path]:
        """Half-made or retired directories and stray temporary links (from a killed apply)."""
        out: list[Path] = []
        if self.versions.is_dir():
            out += [p for p in self.versions.iterdir() if p.name.startswith((PARTIAL, RETIRED))]
        if self.root.is_dir():
            out += [p for p in self.root.iterdir() if p.name.startswith(".current.")]
        return sorted(out)

    def read_state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_file.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {"unreadable": str(self.state_file)}
        return data if isinstance(data, dict) else {}

    # ---- changing -------------------------------------------------------------------------------
    def clean_leftovers(self) -> list[str]:
        removed = []
        for p in self.leftovers():
            if p.is_symlink() or p.is_file():
                p.unlink(missing_ok=True)
            else:
                shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
        return removed

    def partial_dir(self, version: str) -> Path:
        return self.versions / f"{PARTIAL}{version}-{secrets.token_hex(4)}"

    def commit_version(self, partial: Path, version: str, marker: bytes) -> Path:
        """Mark a finished install complete and rename it to its final name (replacing a stale one
        that is not current)."""
        write_atomic(partial / MARKER, marker)
        final = self.version_dir(version)
        if final.exists():
            if self.current() == version:
                raise LayoutError(f"version {version} is the running one; it is not replaced in place")
            retired = self.versions / f"{RETIRED}{version}-{secrets.token_hex(4)}"
            os.rename(final, retired)
            shutil.rmtree(retired, ignore_errors=True)
        os.rename(partial, final)
        _fsync_dir(self.versions)
        return final

    def switch(self, version: str | None) -> None:
        """Point `current` at `version` atomically (None: remove it - nothing installed before)."""
        if version is None:
            self.current_link.unlink(missing_ok=True)
            return
        if not (self.version_dir(version) / MARKER).is_file():
            raise LayoutError(f"version {version} is not completely installed under {self.versions}")
        tmp = self.root / f".current.{secrets.token_hex(4)}"
        os.symlink(os.path.join("versions", version), tmp)
        os.replace(tmp, self.current_link)
        _fsync_dir(self.root)

    def save_state(self, **fields: Any) -> dict[str, Any]:
        state = {**self.read_state(), **fields}
        state.pop("unreadable", None)
        write_atomic(self.state_file, json.dumps(state, indent=2, sort_keys=True).encode() + b"\n")
        return state

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        """Remove the oldest complete versions beyond `keep`, never one in `protect`."""
        done = [v for v in self.installed() if v.complete]
        done.sort(key=lambda v: (v.path / MARKER).stat().st_mtime, reverse=True)
        removed = []
        for v in done[keep:]:
            if v.version in protect:
                continue
            shutil.rmtree(v.path, ignore_errors=True)
            removed.append(v.version)
        return removed
