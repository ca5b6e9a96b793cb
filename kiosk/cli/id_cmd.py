"""`kiosk id read --url URL [--mrz DOCNO,BIRTH,EXPIRY] [--json]`: read one identity document and
print its fields (the ID number only masked; the photo only as available / the reason not).

`--url sim` starts a SAM module simulator in-process with `--sim-identity KEY` on it and reads
with the simulator's photo decoder: a quick look without any hardware.
"""

from __future__ import annotations

import argparse
from datetime import date

from kiosk.cli._output import emit, fail

_LABELS = (
    ("name", "姓名 Name"), ("sex", "性别 Sex"), ("nation_name_zh", "民族 Nation"),
    ("birth_date", "出生 Birth"), ("address", "住址 Address"), ("id_number_masked", "号码 ID number"),
    ("id_number_valid", "校验 Check digit ok"), ("issuer", "签发机关 Issuer"), ("valid_from", "有效期起 Valid from"),
    ("valid_to", "有效期止 Valid to"), ("expired", "已过期 Expired"), ("nationality", "国籍 Nationality"),
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("id", help="identity documents (ID card, passport)")
    isub = p.add_subparsers(dest="id_command", metavar="ACTION")
    isub.required = True
    read = isub.add_parser("read", help="read one document and print its fields")
    read.add_argument("--url", required=True, help="sam:///dev/ttyUSB0?baud=115200, pcsc://READER, or sim")
    read.add_argument("--mrz", help="DOCNO,YYMMDD(birth),YYMMDD(expiry) for passports (BAC)")
    read.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for a document")
    read.add_argument("--wlt-decoder", help='photo decoder for sam:// ("sim" or a vendor library path)')
    read.add_argument("--trust-store", help="directory of CSCA certificates (pcsc://)")
    read.add_argument("--sim-identity", default="obama", help="sample identity for --url sim")
    read.add_argument("--json", action="store_true")
    read.set_defaults(func=_read)


def _parse_mrz(text: str):
    from kiosk.devices.idreader import MrzKey

    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3 or not all(parts):
        raise ValueError("--mrz must be DOCNO,YYMMDD,YYMMDD (document number, birth date, expiry date)")
    for value, what in ((parts[1], "birth date"), (parts[2], "expiry date")):
        if len(value) != 6 or not value.isdigit():
            raise ValueError(f"--mrz {what} must be YYMMDD")
    return MrzKey(parts[0].upper(), parts[1], parts[2])


def _read(args: argparse.Namespace) -> int:
    from kiosk.devices.registry import create_device

    try:
        mrz = _parse_mrz(args.mrz) if args.mrz else None
    except ValueError as exc:
        return fail(args, str(exc), code=2)
    sim = None
    url, kwargs = args.url, {}
    if url == "sim":
        from kiosk.cli._id_sim import start_sam_sim

        try:
            url, sim = start_sam_sim(args.sim_identity)
        except ValueError as exc:
            return fail(args, str(exc), code=2)
        kwargs["wlt_decoder"] = args.wlt_decoder or "sim"
    elif url.startswith("sam:"):
        kwargs["wlt_decoder"] = args.wlt_decoder
    elif url.startswith("pcsc:"):
        kwargs["trust_store"] = args.trust_store
    try:
        reader = create_device("idreader", url, **kwargs)
    except ValueError as exc:
        return fail(args, str(exc), code=2)
    try:
        reader.open()
        if str(reader.status) in ("no_device", "hardware_error"):
            return fail(args, f"reader not ready: {reader.snapshot()['detail']}",
                        {"code": "device_not_ready", "status": str(reader.status)})
        completion = reader.read(mrz, timeout=args.timeout).result(args.timeout + 5)
    finally:
        reader.close()
        if sim is not None:
            sim.close()
    if not completion.ok or completion.data is None:
        return fail(args, f"{completion.code}: {completion.detail}", {"code": str(completion.code)})
    record = completion.data
    fields = record.public_fields(date.today())
    payload = {"code": "success", **fields}
    record.wipe()
    lines = [f"{label}: {fields[key]}" for key, label in _LABELS if fields.get(key) not in (None, "")]
    photo = fields["photo"]
    lines.append("照片 Photo: " + (f"available ({photo['format']}, {photo['bytes']} bytes)" if photo["available"]
                                 else f"unavailable - {photo['reason']}"))
    for key, value in fields["checks"].items():
        lines.append(f"{key}: {value}")
    emit(args, payload, "\n".join(lines))
    return 0
