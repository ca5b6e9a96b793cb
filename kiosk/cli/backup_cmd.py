"""`kiosk backup create|restore|list`: the station's store and hash key in one archive file.

    kiosk backup create  --config FILE [--root DIR] [--dir DIR]     # online: the station may run
    kiosk backup list    --config FILE [--root DIR] [--dir DIR] [--json]
    kiosk backup restore --config FILE [--root DIR] ARCHIVE [--force]   # the station must be stopped

`create` rotates to `[backup] keep` archives. `restore` verifies every member's sha256 first,
refuses another station's archive without `--force` and refuses while the database is open.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli._output import emit, fail
from kiosk.cli._station_open import add_station_args, station_files
from kiosk.config import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="back up and restore the station's store and hash key")
    bsub = p.add_subparsers(dest="backup_command", metavar="ACTION")
    bsub.required = True
    c = bsub.add_parser("create", help="back up now (online, while the station runs) and rotate")
    add_station_args(c)
    c.add_argument("--dir", default=None, help="backup directory (default: [backup] dir)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_create)
    ls = bsub.add_parser("list", help="this station's backups, newest first")
    add_station_args(ls)
    ls.add_argument("--dir", default=None)
    ls.add_argument("--all", action="store_true", help="also other stations' archives in the directory")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)
    r = bsub.add_parser("restore", help="put the database and the key back from an archive (station stopped)")
    add_station_args(r)
    r.add_argument("archive", help="the .kbak.tar file")
    r.add_argument("--force", action="store_true", help="accept an archive made by another station id")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_restore)


def _create(args: argparse.Namespace) -> int:
    from kiosk.services.backup import BackupError, create_backup, rotate

    try:
        config, files = station_files(args)
        info = create_backup(files, config.station.id, Path(args.dir) if args.dir else None)
        gone = rotate(info.path.parent, config.station.id, config.backup.keep)
    except (ConfigError, BackupError) as exc:
        return fail(args, str(exc))
    emit(args, {"archive": str(info.path), "size": info.size, "created_at": info.created_at,
                "seconds": round(info.seconds, 3), "schema_versions": info.schema_versions,
                "deleted": [str(p) for p in gone]},
         f"backup written: {info.path} ({info.size} bytes, {info.seconds:.2f} s)"
         + (f"; {len(gone)} older archive(s) deleted (keep = {config.backup.keep})" if gone else ""))
    return 0


def _list(args: argparse.Namespace) -> int:
    from kiosk.services.backup import list_backups

    try:
        config, files = station_files(args)
    except ConfigError as exc:
        return fail(args, str(exc))
    directory = Path(args.dir) if args.dir else files.backup_dir
    found = list_backups(directory, None if args.all else config.station.id)
    emit(args, {"dir": str(directory), "backups": [{"archive": str(b.path), "station_id": b.station_id,
                                                    "created_at": b.created_at, "size": b.size} for b in found]},
         "\n".join(f"{b.created_at}  {b.station_id:<16} {b.size:>12}  {b.path}" for b in found)
         or f"(no backups of {config.station.id} in {directory})")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from kiosk.services.backup import BackupError, restore_backup

    try:
        config, files = station_files(args)
        res = restore_backup(Path(args.archive), files, config.station.id, force=args.force)
    except (ConfigError, BackupError) as exc:
        return fail(args, str(exc))
    emit(args, {"archive": str(res.archive), "station_id": res.station_id, "created_at": res.created_at,
                "database": str(res.database), "hash_key": str(res.hash_key),
                "set_aside": [str(p) for p in res.set_aside]},
         f"restored {res.database} and {res.hash_key} from {res.archive} (made {res.created_at})"
         + (f"; previous files kept as: {', '.join(p.name for p in res.set_aside)}" if res.set_aside else ""))
    return 0
