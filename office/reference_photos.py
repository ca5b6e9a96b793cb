"""Reference photos for the station's face check (the `reference_photo` call), and the guard on them.

A resident ID card's photo cannot be decoded at the station (its format needs the issuer's
licensed decoder), so the station asks the office for the registered photo of the person whose
card it has just read; the answer is signed with the office's key (the station trusts no other).

- `PhotoRegister(dir)`: the register's photos as this office reaches them: `<ID number>.jpg`
  files in one directory (`kiosk-office run --reference-photos DIR`; `make run` fills it with the
  sample people's faces). Without one the answer is "no photo" and the station says the face check
  is unavailable.
- `PhotoGuard`: a photo only for the applicant whose card was read in that visit (security finding
  17): a request must name its visit; one applicant per (station, visit); at most `per_hour` answers
  per station per hour. A refusal is logged and counted, never answered with a photo. The same
  guard (one instance per office process) binds a station's other calls about a person to that
  visit: `cases_for_applicant`, `request_consent`, `fetch_ecertificates` (`what` names the call).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import defaultdict
from pathlib import Path

from kiosk.services.backoffice import BackofficeError

log = logging.getLogger(__name__)
ID_RE = re.compile(r"^[0-9A-Z]{6,32}$")


class PhotoRegister:
    max_bytes = 2 * 1024 * 1024

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        if not self.dir.is_dir():
            raise ValueError(f"--reference-photos {self.dir}: not a directory of <ID number>.jpg files")

    def photo(self, id_number: str) -> bytes | None:
        """The person's photo, or None (no such file, an ID number that is not one, too large)."""
        key = id_number.strip().upper()
        if not ID_RE.match(key):
            return None
        path = self.dir / f"{key}.jpg"
        try:
            if path.stat().st_size > self.max_bytes:
                log.warning("%s is larger than %d bytes; not sent", path, self.max_bytes)
                return None
            return path.read_bytes()
        except OSError:
            return None


class PhotoGuard:
    def __init__(self, per_hour: int = 60) -> None:
        self.per_hour = per_hour
        self.visits: dict[tuple[str, str], str] = {}
        self.times: dict[str, list[float]] = defaultdict(list)
        self.refused: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def check(self, station: str, id_number: str, session: str, what: str = "reference photo") -> None:
        with self._lock:
            why = ""
            now = time.monotonic()
            recent = [t for t in self.times[station] if now - t < 3600]
            known = self.visits.get((station, session))
            if not session:
                why = f"{what} refused: the request names no visit (card read) at the station"
            elif known is not None and known != id_number:
                why = f"{what} refused: another applicant was already asked for in this visit"
            elif known is None and len(recent) >= self.per_hour:
                why = f"{what} refused: more than {self.per_hour} visits per hour from this station"
            if why:
                self.refused = (self.refused + [(station, why)])[-100:]
                log.warning("%s: %s", station, why)
                raise BackofficeError("rejected", why)
            if known is None:
                recent.append(now)
                self.visits[(station, session)] = id_number
            self.times[station] = recent
            if len(self.visits) > 10_000:
                self.visits.pop(next(iter(self.visits)))
