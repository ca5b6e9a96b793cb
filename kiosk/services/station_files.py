"""Where a station's files are: one place that turns a config and a station directory ("root") into
paths (database, hash key, logs, commissioning report, backups), the way `Station` resolves them:
absolute paths as written, relative ones under the root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_DIR = "var/log"
COMMISSIONING_DIR = "var/commissioning"


def under(root: Path, p: str) -> Path:
    path = Path(p)
    return path if path.is_absolute() else root / path


@dataclass(frozen=True)
class StationFiles:
    root: Path
    database: Path
    hash_key: Path
    log_dir: Path
    commissioning_dir: Path
    backup_dir: Path

    @classmethod
    def of(cls, config: Any, root: str | Path | None = None) -> "StationFiles":
        r = Path(root) if root else Path.cwd()
        backup = getattr(config, "backup", None)
        return cls(root=r, database=under(r, config.storage.database), hash_key=under(r, config.storage.hash_key_file),
                   log_dir=under(r, LOG_DIR), commissioning_dir=under(r, COMMISSIONING_DIR),
                   backup_dir=under(r, backup.dir if backup is not None else "var/backups"))
