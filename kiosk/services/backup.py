"""Backups of a station: the SQLite store (online, while the station runs) and the hash key, in one file.

    info = create_backup(files, station_id)                 # -> <dir>/<station>-<UTC time>.kbak.tar
    rotate(files.backup_dir, station_id, keep=7)            # newest 7 kept
    restore_backup(archive, files, station_id)              # verify, refuse if in use, put db + key back

An archive is an uncompressed tar of exactly three members (ADR 0133):
- `manifest.json`: format, station id, created-at (UTC), software version, each component's schema
  version, and the size + sha256 of the other two members;
- `station.db`: a consistent snapshot taken with SQLite's backup API (one step, so one read
  transaction: writers in WAL mode are not blocked), switched to a single-file journal and
  checked with `PRAGMA quick_check` before it is archived;
- `hash.key`: the station's keyed-hash key. Without it the database's hashes match nothing, so the
  two always travel together; the archive is as secret as the key (mode 0600).
The archive is written under a temporary name in the backup directory, fsynced and renamed into
place: a crash leaves the previous archives and at most a `.tmp` file that the next run removes.

`restore_backup` checks every member's hash first, refuses another station's archive unless
`force`, refuses while any process (the running station) has the database open, and then
replaces the key and the database (old files, WAL included, are kept beside them as
`*.pre-restore-<time>`); if anything fails, what was there is put back.

`BackupScheduler` is what the station runs: `due(now)` / `run_once()` are plain calls (tests drive
them with a fake clock); `run_until(stop)` waits on an Event between runs.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sqlite3
import tarfile
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kiosk.core.clock import Clock, SystemClock
from kiosk.core.files import fsync_dir
from kiosk.services.keyed_hash import KEY_BYTES, KeyFileError, load_key
from kiosk.services.station_files import StationFiles

log = logging.getLogger(__name__)

FORMAT = "kiosk-backup/1"
SUFFIX = ".kbak.tar"
MEMBERS = ("manifest.json", "station.db", "hash.key")
MAX_MANIFEST_BYTES = 64 * 1024
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message names the file and what to check."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    station_id: str
    created_at: str
    size: int
    schema_versions: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _utc(clock: Clock) -> datetime:
    now = clock.now()
    return (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _software_version() -> str:
    try:
        from importlib.metadata import version

        return version("kiosk-station")
    except Exception:
        return "unknown"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def snapshot_database(source: Path, target: Path) -> dict[str, int]:
    """Copy a live database with the SQLite backup API into `target` (a new single file); returns
    the schema versions it holds. Raises BackupError when the source cannot be read or is damaged."""
    if not source.exists():
        raise BackupError(f"{source}: no station database to back up (check --config and --root)")
    try:
        src = sqlite3.connect(source, timeout=10)  # only read from (mode=ro trips over a missing -shm)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot open the database: {exc}") from None
    try:
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            src.backup(dst, pages=-1)  # one step = one read transaction = a consistent copy
            dst.execute("PRAGMA journal_mode=DELETE")  # the snapshot is one file, no -wal beside it
            ok = dst.execute("PRAGMA quick_check").fetchone()[0]
            if ok != "ok":
                raise BackupError(f"{source}: the database copy fails its integrity check ({ok}); "
                                  "the store is damaged: restore the last good backup")
            try:
                versions = {r[0]: int(r[1]) for r in dst.execute("SELECT component, version FROM schema_versions")}
            except sqlite3.Error:
                versions = {}
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: online backup failed: {exc}") from None
    finally:
        src.close()
    return versions


def create_backup(files: StationFiles, station_id: str, dest_dir: Path | None = None,
                  clock: Clock | None = None) -> BackupInfo:
    """One archive of the database and the key in `dest_dir` (default: the configured backup dir)."""
    import time

    t0 = time.perf_counter()
    clock = clock or SystemClock()
    dest = Path(dest_dir or files.backup_dir)
    try:
        dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise BackupError(f"{dest}: cannot create the backup directory: {exc.strerror or exc}") from None
    try:
        key = load_key(files.hash_key, files.database)
    except KeyFileError as exc:
        raise BackupError(f"cannot back up without the hash key: {exc}") from None
    created = _utc(clock)
    name = f"{station_id}-{created.strftime('%Y%m%dT%H%M%S%fZ')}{SUFFIX}"
    final = dest / name
    _remove_stale_temps(dest)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".snapshot-") as tmp:
        snap = Path(tmp) / "station.db"
        versions = snapshot_database(files.database, snap)
        manifest = {
            "format": FORMAT, "station_id": station_id,
            "created_at": created.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "software_version": _software_version(), "schema_versions": versions,
            "members": {
                "station.db": {"size": snap.stat().st_size, "sha256": _sha256_file(snap)},
                "hash.key": {"size": len(key), "sha256": hashlib.sha256(key).hexdigest()},
            },
        }
        body = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
        part = dest / f".{name}.tmp"
        try:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                with tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    _add_bytes(tar, "manifest.json", body, created)
                    info = tar.gettarinfo(str(snap), arcname="station.db")
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mode = 0o600
                    with open(snap, "rb") as sf:
                        tar.addfile(info, sf)
                    _add_bytes(tar, "hash.key", key, created)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, final)
            fsync_dir(dest)
        except OSError as exc:
            try:
                part.unlink()
            except OSError:
                pass
            raise BackupError(f"{final}: cannot write the backup: {exc.strerror or exc}") from None
    return BackupInfo(final, station_id, manifest["created_at"], final.stat().st_size, versions,
                      time.perf_counter() - t0)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, when: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(when.timestamp())
    tar.addfile(info, io.BytesIO(data))


def _remove_stale_temps(dest: Path) -> None:
    for p in dest.glob(f".*{SUFFIX}.tmp"):
        try:
            p.unlink()
        except OSError:
            pass


# ---- reading archives -------------------------------------------------------------------------------
def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive (first member), without checking the other members' hashes."""
    try:
        with tarfile.open(archive, mode="r:") as tar:
            member = tar.next()
            if member is None or member.name != "manifest.json" or not member.isfile() \
                    or member.size > MAX_MANIFEST_BYTES:
                raise BackupError(f"{archive}: not a station backup (no manifest.json first)")
            manifest = json.loads(tar.extractfile(member).read().decode("utf-8"))  # type: ignore[union-attr]
    except FileNotFoundError:
        raise BackupError(f"{archive}: no such backup file") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive}: not a readable backup archive ({exc}); it is damaged or not a backup") from None
    except (UnicodeDecodeError, ValueError):
        raise BackupError(f"{archive}: the manifest is not valid JSON; the archive is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: unknown backup format {manifest.get('format') if isinstance(manifest, dict) else None!r}"
                          f" (this software reads {FORMAT})")
    members = manifest.get("members")
    if not isinstance(members, dict) or set(members) != {"station.db", "hash.key"} or not all(
            isinstance(m, dict) and isinstance(m.get("sha256"), str) and isinstance(m.get("size"), int)
            for m in members.values()):
        raise BackupError(f"{archive}: the manifest does not list station.db and hash.key with size and sha256")
    if not isinstance(manifest.get("station_id"), str):
        raise BackupError(f"{archive}: the manifest names no station")
    return manifest


def verify_archive(archive: Path, extract_to: Path | None = None) -> dict[str, Any]:
    """Check that the archive holds exactly the manifest's members with the manifest's sizes and
    hashes; with `extract_to`, also write `station.db` and `hash.key` there (mode 0600). Returns
    the manifest; raises BackupError naming the first problem."""
    manifest = read_manifest(archive)
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:") as tar:
            for member in tar:
                if member.name == "manifest.json" and not seen:
                    seen.add(member.name)
                    continue
                if member.name not in manifest["members"] or member.name in seen or not member.isfile():
                    raise BackupError(f"{archive}: unexpected member {member.name!r}; the archive was altered")
                expect = manifest["members"][member.name]
                if member.size != expect["size"]:
                    raise BackupError(f"{archive}: {member.name} is {member.size} bytes, the manifest says "
                                      f"{expect['size']}; the archive is damaged")
                h = hashlib.sha256()
                src = tar.extractfile(member)
                out = None
                if extract_to is not None:
                    fd = os.open(extract_to / member.name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    out = os.fdopen(fd, "wb")
                try:
                    while chunk := src.read(_CHUNK):  # type: ignore[union-attr]
                        h.update(chunk)
                        if out is not None:
                            out.write(chunk)
                    if out is not None:
                        out.flush()
                        os.fsync(out.fileno())
                finally:
                    if out is not None:
                        out.close()
                if h.hexdigest() != expect["sha256"]:
                    raise BackupError(f"{archive}: {member.name} does not match its sha256 in the manifest; "
                                      "the archive is damaged or was altered: use another backup")
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"{archive}: cannot read the archive ({exc}); it is damaged or truncated") from None
    missing = set(MEMBERS) - seen
    if missing:
        raise BackupError(f"{archive}: missing {', '.join(sorted(missing))}; the archive is incomplete")
    return manifest


def list_backups(directory: Path, station_id: str | None = None) -> list[BackupInfo]:
    """Archives in `directory`, newest first; unreadable ones are skipped with a warning."""
    out: list[BackupInfo] = []
    if not directory.is_dir():
        return out
    for p in directory.glob(f"*{SUFFIX}"):
        try:
            m = read_manifest(p)
        except BackupError as exc:
            log.warning("%s", exc)
            continue
        if station_id is None or m["station_id"] == station_id:
            out.append(BackupInfo(p, m["station_id"], m.get("created_at", ""), p.stat().st_size,
                                  dict(m.get("schema_versions") or {})))
    return sorted(out, key=lambda b: (b.created_at, b.path.name), reverse=True)


def rotate(directory: Path, station_id: str, keep: int) -> list[Path]:
    """Delete this station's archives beyond the newest `keep`; returns what was deleted."""
    gone = []
    for info in list_backups(directory, station_id)[max(1, keep):]:
        try:
            info.path.unlink()
            gone.append(info.path)
        except OSError as exc:
            log.warning("%s: cannot delete old backup: %s", info.path, exc)
    return gone


# ---- restoring ---------------------------------------------------------------------------------------
def database_in_use(db: Path) -> bool:
    """True when another connection (a running station, another tool) has the database open: an
    exclusive lock in SQLite's EXCLUSIVE locking mode cannot be had then, in WAL mode too."""
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    except sqlite3.DatabaseError:  # not a database (the damage being repaired): no station can use it
        return False
    finally:
        conn.close()


@dataclass(frozen=True)
class RestoreResult:
    archive: Path
    station_id: str
    created_at: str
    database: Path
    hash_key: Path
    set_aside: list[Path]


def restore_backup(archive: Path, files: StationFiles, station_id: str, force: bool = False,
                   clock: Clock | None = None) -> RestoreResult:
    clock = clock or SystemClock()
    archive = Path(archive)
    manifest = read_manifest(archive)
    if manifest["station_id"] != station_id and not force:
        raise BackupError(f"{archive}: this is a backup of station {manifest['station_id']!r}, this station is "
                          f"{station_id!r}; restoring it would give this station another's cases and staff. "
                          "Use --force only when replacing that station's hardware with this one.")
    if database_in_use(files.database):
        raise BackupError(f"{files.database}: the database is open in another process (the station is running?). "
                          "Nothing was changed. Stop the station first (sudo systemctl stop kiosk-station), "
                          "then run the restore again.")
    for d in (files.database.parent, files.hash_key.parent):
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = _utc(clock).strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(dir=files.database.parent, prefix=".restore-") as tmp:
        work = Path(tmp)
        verify_archive(archive, extract_to=work)
        key = (work / "hash.key").read_bytes()
        if len(key) != KEY_BYTES:
            raise BackupError(f"{archive}: hash.key holds {len(key)} bytes, expected {KEY_BYTES}")
        _check_restored_db(work / "station.db", archive)
        _new_event_stream(work / "station.db")
        # the key goes beside its final place first (same file system: os.replace is atomic)
        key_tmp = files.hash_key.with_name(f".{files.hash_key.name}.restore.tmp")
        fd = os.open(key_tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
            fh.flush()
            os.fsync(fh.fileno())
        aside: list[tuple[Path, Path]] = []
        placed: list[Path] = []
        try:
            for p in (files.hash_key, files.database, _side(files.database, "-wal"), _side(files.database, "-shm"),
                      _side(files.database, "-journal")):
                if p.exists():
                    to = p.with_name(f"{p.name}.pre-restore-{stamp}")
                    os.replace(p, to)
                    aside.append((p, to))
            os.replace(key_tmp, files.hash_key)
            placed.append(files.hash_key)
            os.replace(work / "station.db", files.database)
            placed.append(files.database)
            fsync_dir(files.database.parent)
            fsync_dir(files.hash_key.parent)
        except OSError as exc:
            _undo(aside, placed, key_tmp)
            raise BackupError(f"restore failed ({exc.strerror or exc}); the previous files were put back") from None
    return RestoreResult(archive, manifest["station_id"], manifest.get("created_at", ""), files.database,
                         files.hash_key, [to for _, to in aside])


def _side(db: Path, suffix: str) -> Path:
    return db.with_name(db.name + suffix)


def _undo(aside: list[tuple[Path, Path]], placed: list[Path], key_tmp: Path) -> None:
    for p in (key_tmp, *placed):
        try:
            p.unlink()
        except OSError:
            pass
    for orig, to in reversed(aside):
        try:
            os.replace(to, orig)
        except OSError as exc:
            log.error("restore: could not put %s back from %s: %s", orig, to, exc)


def _check_restored_db(db: Path, archive: Path) -> None:
    try:
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{archive}: station.db is not a usable SQLite database ({exc})") from None
    if ok != "ok":
        raise BackupError(f"{archive}: station.db fails its integrity check ({ok})")


def _new_event_stream(db: Path) -> None:
    """A restored store starts a new event stream: its seqs repeat ones the back office may have
    acknowledged from the store that kept running after the backup (an older store has no stream
    yet; its migration makes one at the next start)."""
    from kiosk.services.outbox import new_stream

    conn = sqlite3.connect(db, isolation_level=None)
    try:
        cols = {r[1] for r in conn.execute("PRAGMA table_info(outbox_meta)")}
        if "stream_id" in cols:
            new_stream(conn)
    finally:
        conn.close()


# ---- schedule ------------------------------------------------------------------------------------------
class BackupScheduler:
    """Backs up every `interval_h` hours and keeps `keep` archives. Without sleeping: the station (or
    a test) asks `due(now)` and calls `run_once()`; `run_until(stop)` is the thread body."""

    RETRY_S = 3600.0  # after a failed backup, try again within the hour at most

    def __init__(self, files: StationFiles, station_id: str, keep: int, interval_h: float,
                 clock: Clock | None = None) -> None:
        self.files = files
        self.station_id = station_id
        self.keep = keep
        self.interval = timedelta(hours=interval_h)
        self.clock = clock or SystemClock()
        self.last_error: str | None = None
        self._failed_at: datetime | None = None
        self._last: datetime | None = None

    @classmethod
    def from_config(cls, config: Any, root: str | Path | None = None, clock: Clock | None = None) -> "BackupScheduler":
        return cls(StationFiles.of(config, root), config.station.id, config.backup.keep, config.backup.interval_h, clock)

    def last_backup(self) -> datetime | None:
        if self._last is None:
            found = list_backups(self.files.backup_dir, self.station_id)
            if found:
                try:
                    self._last = datetime.fromisoformat(found[0].created_at.replace("Z", "+00:00"))
                except ValueError:
                    self._last = None
        return self._last

    def due(self, now: datetime | None = None) -> bool:
        if self.interval <= timedelta(0):
            return False
        now = now or _utc(self.clock)
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        if self._failed_at is not None and now - self._failed_at < min(self.interval, timedelta(seconds=self.RETRY_S)):
            return False
        last = self.last_backup()
        return last is None or now - last >= self.interval

    def run_once(self) -> BackupInfo | None:
        """One backup + rotation; a failure is logged and kept in `last_error` (never raised)."""
        try:
            info = create_backup(self.files, self.station_id, clock=self.clock)
        except BackupError as exc:
            self.last_error = str(exc)
            self._failed_at = _utc(self.clock)
            log.error("scheduled backup failed: %s", exc)
            return None
        self.last_error = None
        self._failed_at = None
        self._last = datetime.fromisoformat(info.created_at.replace("Z", "+00:00"))
        rotate(self.files.backup_dir, self.station_id, self.keep)
        log.info("backup %s (%d bytes, %.2f s)", info.path.name, info.size, info.seconds)
        return info

    def run_until(self, stop: threading.Event, check_every_s: float = 60.0) -> None:
        while not stop.is_set():
            if self.due():
                self.run_once()
            stop.wait(check_every_s)

