"""A register the office reaches as a directory of one file per person, named by ID number
(`<ID number><suffix>`): the reference photos and the e-certificate library. The name is checked
before it becomes a path, and a file above the size bound is not read."""

from __future__ import annotations

import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)
ID_RE = re.compile(r"^[0-9A-Z]{6,32}$")


class RegisterDir:
    option = "--register"  # the command-line option that names the directory (for messages)
    suffix = ""
    max_bytes = 2 * 1024 * 1024

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        if not self.dir.is_dir():
            raise ValueError(f"{self.option} {self.dir}: not a directory of <ID number>{self.suffix} files")

    def read(self, id_number: str) -> bytes | None:
        """The person's file, or None (no such file, an ID number that is not one, too large)."""
        key = id_number.strip().upper()
        if not ID_RE.match(key):
            return None
        path = self.dir / f"{key}{self.suffix}"
        try:
            if path.stat().st_size > self.max_bytes:
                log.warning("%s is larger than %d bytes; not used", path, self.max_bytes)
                return None
            return path.read_bytes()
        except OSError:
            return None
