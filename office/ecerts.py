"""E-certificates (电子证照) the authority holds per person, answered to a station with the
citizen's consent (`StationCalls.fetch_ecertificates`).

A record is keyed by the same fingerprint of the ID number as a consent (`fingerprint`: an HMAC
with the office's secret, `office.applicant_key`), never by the number itself. Records come in through `import_records` (the CLI `kiosk-office ecert import
FILE`): a JSON list of objects {id_number, type, name_zh, name_en, number_masked, issuer_zh,
valid_until?, media_type, content_b64}; the whole file is checked first and stored in one
transaction (a bad record names its index and field, and nothing is stored). A repeat of a
person's type replaces the older record.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from kiosk.services.backoffice import ECertificate
from kiosk.services.keyed_hash import KeyedHasher
from office import applicant_key, auditlog
from office.schema import ecertificates
from office.util import now_iso

TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MEDIA = ("image/png", "image/jpeg", "application/pdf")
MAX_BYTES = 2 * 1024 * 1024
MAX_RECORDS = 100_000


class EcertError(ValueError):
    pass


def fingerprint(id_number: str, key: KeyedHasher | None = None) -> str:
    """The office's key for a person (consents, e-certificates, a case's applicant)."""
    return applicant_key.fingerprint(id_number, key)


@dataclass(frozen=True)
class EcertRecord:
    id_hash: str
    cert: ECertificate


def _text(d: dict[str, Any], key: str, where: str, limit: int, optional: bool = False) -> str | None:
    v = d.get(key)
    if v is None and optional:
        return None
    if not isinstance(v, str) or not v.strip():
        raise EcertError(f"{where}.{key}: expected non-empty text")
    if len(v) > limit:
        raise EcertError(f"{where}.{key}: longer than {limit} characters")
    return v


def parse_records(data: Any, key: KeyedHasher | None = None) -> list[EcertRecord]:
    if not isinstance(data, list):
        raise EcertError("expected a JSON list of e-certificate records")
    if len(data) > MAX_RECORDS:
        raise EcertError(f"more than {MAX_RECORDS} records in one file")
    out = []
    for i, d in enumerate(data):
        where = f"record[{i}]"
        if not isinstance(d, dict):
            raise EcertError(f"{where}: expected an object")
        known = {"id_number", "type", "name_zh", "name_en", "number_masked", "issuer_zh", "valid_until",
                 "media_type", "content_b64"}
        if set(d) - known:
            raise EcertError(f"{where}: unknown field(s) {sorted(set(d) - known)}")
        id_number = _text(d, "id_number", where, 40)
        ctype = _text(d, "type", where, 40)
        if not TYPE_RE.match(ctype or ""):
            raise EcertError(f"{where}.type: lower-case identifier, e.g. household_register")
        valid = _text(d, "valid_until", where, 10, optional=True)
        if valid is not None and not re.fullmatch(r"\d{4}-\d\d-\d\d", valid):
            raise EcertError(f"{where}.valid_until: expected YYYY-MM-DD")
        media = d.get("media_type")
        if media not in MEDIA:
            raise EcertError(f"{where}.media_type: one of {list(MEDIA)}")
        try:
            content = base64.b64decode(_text(d, "content_b64", where, MAX_BYTES * 2) or "", validate=True)
        except binascii.Error:
            raise EcertError(f"{where}.content_b64: not base64") from None
        if not content or len(content) > MAX_BYTES:
            raise EcertError(f"{where}.content_b64: 1 byte .. {MAX_BYTES} bytes")
        out.append(EcertRecord(fingerprint(id_number or "", key), ECertificate(
            type=ctype or "", name_zh=_text(d, "name_zh", where, 60) or "", name_en=_text(d, "name_en", where, 120) or "",
            number_masked=_text(d, "number_masked", where, 40) or "", issuer_zh=_text(d, "issuer_zh", where, 60) or "",
            valid_until=valid, media_type=media, content=content)))
    return out


def store(conn: Connection, records: list[EcertRecord]) -> int:
    at = now_iso()
    for r in records:
        c = r.cert
        conn.execute(delete(ecertificates).where(ecertificates.c.id_hash == r.id_hash, ecertificates.c.type == c.type))
        conn.execute(ecertificates.insert().values(id_hash=r.id_hash, type=c.type, name_zh=c.name_zh, name_en=c.name_en,
                                                   number_masked=c.number_masked, issuer_zh=c.issuer_zh,
                                                   valid_until=c.valid_until, media_type=c.media_type,
                                                   content=c.content, added_at=at))
    return len(records)


def import_records(engine: Engine, path: Path, actor: str = "cli", key: KeyedHasher | None = None) -> int:
    """Check the whole file, then store it in one transaction; `EcertError` names what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EcertError(f"{path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise EcertError(f"{path}: not JSON ({exc})") from None
    records = parse_records(data, key)
    with engine.begin() as conn:
        n = store(conn, records)
        auditlog.record(conn, actor, "ecert.import", str(path)[-120:], records=n)
    return n


def held(conn: Connection, id_hash: str, types: tuple[str, ...]) -> list[ECertificate]:
    """This person's e-certificates of these types, in the order asked."""
    rows = {r.type: r for r in conn.execute(select(ecertificates).where(
        ecertificates.c.id_hash == id_hash, ecertificates.c.type.in_(list(types))))}
    return [ECertificate(r.type, r.name_zh, r.name_en, r.number_masked, r.issuer_zh, r.valid_until, r.media_type,
                         bytes(r.content)) for t in types if (r := rows.get(t)) is not None]


def counts(conn: Connection) -> dict[str, int]:
    """Records per type (the console's overview; nothing personal)."""
    out: dict[str, int] = {}
    for t in conn.execute(select(ecertificates.c.type)).scalars():
        out[t] = out.get(t, 0) + 1
    return dict(sorted(out.items()))
