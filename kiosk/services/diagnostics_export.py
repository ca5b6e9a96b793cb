"""A diagnostics bundle a technician can send to support: logs, commissioning report, config, store
health, versions — and no personal data.

    result = export_diagnostics(config, config_path, files, out=Path("diag.zip"))

Zip members:
- `manifest.json`: what is inside, what was skipped and why, when, which station;
- `logs/<name>`: the station's log files (`var/log/*` under the root, newest `MAX_LOG_BYTES` of each);
- `logs/journal-kiosk-station.txt`: `journalctl -u kiosk-station` (last 3 days) when journalctl exists;
- `commissioning/report.json|html` when present;
- `config.json`: the station's config as loaded, with secrets and secret paths dropped (`SECRET_KEYS`);
  password and key files are never read (the config holds no personal data, so it is not scrubbed);
- `health.json`: schema versions, row counts, outbox state, compartment states, audit-chain check,
  the station's mode — counts and states only;
- `versions.json`: Python, platform, SQLite and package versions.
Every other text member goes through `scrub_text`: resident ID numbers (15-18 digits) are masked with the
station's own `mask_id_number`, mobile numbers are masked, `name=`/`address=`-style values are
removed, and runs of Chinese characters (log lines are English by rule, so Chinese text in a log is
a name or an address from a card) are replaced by `[CJK]`. The database and the hash key are never
put in the bundle. The file is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kiosk.services.keyed_hash import mask_id_number
from kiosk.services.station_files import StationFiles

MAX_LOG_BYTES = 5 * 1024 * 1024
JOURNAL_UNIT = "kiosk-station"
SECRET_KEYS = re.compile(r"password|secret|token|pin_hash|key_file|private", re.IGNORECASE)
PACKAGES = ("kiosk-station", "kivy", "pyserial", "pyscard", "opencv-python", "paho-mqtt", "pydantic", "cryptography",
            "python-escpos", "zxing-cpp", "pyzbar")

_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_FIELD = re.compile(r"""(?P<k>["']?\b(?:name(?:_zh|_en)?|full_?name|holder|address|birth_?date|id_?number|phone)
                        ["']?\s*[:=]\s*)(?P<v>"[^"]*"|'[^']*'|[^\s,;}\]]+)""", re.IGNORECASE | re.VERBOSE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")


def scrub_text(text: str) -> str:
    """The text with ID numbers and mobile numbers masked, personal field values and Chinese runs removed."""
    text = _ID.sub(lambda m: mask_id_number(m.group(1)), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _FIELD.sub(lambda m: f"{m.group('k')}<removed>", text)
    return _CJK.sub("[CJK]", text)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    return value


def safe_config(config: Any) -> dict[str, Any]:
    """The config as a dict without secret values (their keys stay, marked `<removed>`)."""
    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ("<removed>" if SECRET_KEYS.search(k) and val is not None else clean(val)) for k, val in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return clean(config.model_dump(mode="json"))


def store_health(db: Path) -> dict[str, Any]:
    """Counts, states and checks from the station's database, opened read-only; no row contents."""
    if not db.exists():
        return {"database": "missing"}
    out: dict[str, Any] = {"database_bytes": db.stat().st_size}
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return {"database": f"cannot open: {exc}"}
    try:
        conn.row_factory = sqlite3.Row
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out["tables"] = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        if "schema_versions" in tables:
            out["schema_versions"] = {r[0]: r[1] for r in conn.execute("SELECT component, version FROM schema_versions")}
        if "compartments" in tables:
            cols = {r[1] for r in conn.execute("PRAGMA table_info(compartments)")}
            wanted = [c for c in ("id", "size", "state", "door") if c in cols]
            if wanted:
                out["compartments"] = [dict(r) for r in conn.execute(f"SELECT {', '.join(wanted)} FROM compartments")]
        if "cases" in tables:
            out["cases_by_status"] = {r[0]: r[1] for r in conn.execute("SELECT status, count(*) FROM cases GROUP BY status")}
        if "station_mode" in tables:
            out["station_mode"] = {r[0]: json.loads(r[1]) for r in conn.execute("SELECT key, value FROM station_mode")}
        if "audit" in tables:
            out["audit_recent_actions"] = [dict(r) for r in conn.execute(
                "SELECT seq, ts, action FROM audit ORDER BY seq DESC LIMIT 50")]
            from kiosk.services.audit import record_hash

            prev, ok, why = "0" * 64, True, ""
            for r in conn.execute("SELECT * FROM audit ORDER BY seq"):
                if r["prev_hash"] != prev or record_hash(prev, r["seq"], r["ts"], r["actor"], r["action"], r["subject"],
                                                         r["detail"]) != r["hash"]:
                    ok, why = False, f"record {r['seq']} does not fit the chain"
                    break
                prev = r["hash"]
            out["audit_chain"] = {"ok": ok, "detail": why}
        out["quick_check"] = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        out["error"] = str(exc)
    finally:
        conn.close()
    return _scrub_value(out)


def versions() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    pkgs: dict[str, str] = {}
    for name in PACKAGES:
        try:
            pkgs[name] = version(name)
        except PackageNotFoundError:
            pkgs[name] = "not installed"
    return {"python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine(),
            "sqlite": sqlite3.sqlite_version, "packages": pkgs}


def journal(unit: str = JOURNAL_UNIT, since: str = "3 days ago") -> tuple[str | None, str]:
    """(text, note): the unit's journal, or None and why it was skipped."""
    exe = shutil.which("journalctl")
    if exe is None:
        return None, "journalctl not found (not a systemd machine)"
    try:
        proc = subprocess.run([exe, "-u", unit, "--since", since, "--no-pager", "-o", "short-iso"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"journalctl failed: {exc}"
    if proc.returncode != 0:
        return None, f"journalctl exit {proc.returncode}: {proc.stderr.strip()[:200]}"
    return proc.stdout[-MAX_LOG_BYTES:], "ok"


@dataclass
class ExportResult:
    path: Path
    members: list[str]
    skipped: dict[str, str] = field(default_factory=dict)


def _tail(path: Path) -> str:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size > MAX_LOG_BYTES:
            fh.seek(size - MAX_LOG_BYTES)
        return fh.read().decode("utf-8", "replace")


def export_diagnostics(config: Any, files: StationFiles, out: Path, health: dict[str, Any] | None = None,
                       include_journal: bool = True) -> ExportResult:
    """Write the bundle to `out` (zip). `health` is the running station's device health when the caller
    has one (the technician screen); the CLI passes None and the bundle holds the store's health."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    members: dict[str, str] = {}
    skipped: dict[str, str] = {}
    if files.log_dir.is_dir():
        for p in sorted(files.log_dir.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                try:
                    members[f"logs/{p.name}"] = scrub_text(_tail(p))
                except OSError as exc:
                    skipped[f"logs/{p.name}"] = f"unreadable: {exc.strerror}"
    else:
        skipped["logs/"] = f"no log directory {files.log_dir}"
    if include_journal:
        text, note = journal()
        if text is None:
            skipped[f"logs/journal-{JOURNAL_UNIT}.txt"] = note
        else:
            members[f"logs/journal-{JOURNAL_UNIT}.txt"] = scrub_text(text)
    for name in ("report.json", "report.html"):
        p = files.commissioning_dir / name
        if p.is_file():
            members[f"commissioning/{name}"] = scrub_text(p.read_text(encoding="utf-8", errors="replace"))
    if not any(k.startswith("commissioning/") for k in members):
        skipped["commissioning/"] = f"no report in {files.commissioning_dir}"
    members["config.json"] = json.dumps(safe_config(config), indent=2, ensure_ascii=False)
    members["health.json"] = json.dumps({"store": store_health(files.database),
                                         "devices": _scrub_value(health) if health is not None else
                                         "not running in the station: see logs"}, indent=2, ensure_ascii=False,
                                        default=str)
    members["versions.json"] = json.dumps(versions(), indent=2)
    manifest = {"station_id": config.station.id,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "members": sorted(members), "skipped": skipped,
                "scrubbed": "ID and mobile numbers masked, personal field values and Chinese text removed; "
                            "no database, no key, no password file"}
    part = out.with_name(f".{out.name}.tmp")
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            for name, text in members.items():
                z.writestr(name, text)
        os.replace(part, out)
    except OSError:
        try:
            part.unlink()
        except OSError:
            pass
        raise
    return ExportResult(out, ["manifest.json", *sorted(members)], skipped)
