"""`kiosk print`: print a test page or a receipt on a printer URL, read its status, show sample
data. Exit status 0 only when the printer accepted the job; 2 bad data or arguments; 3 printer not
ready (paper out, jam, cover open, offline, unreachable); 1 anything else.

    kiosk print test --printer tcp://127.0.0.1:9100
    kiosk print receipt --printer tcp://127.0.0.1:9100 --data receipt.json --kind application --lang zh
    kiosk print status --printer tcp://127.0.0.1:9100
    kiosk print sample application > receipt.json
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from kiosk.cli._output import emit, fail

EXIT_NOT_READY = 3
EXIT_BAD_DATA = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("print", help="receipt printer: test page, receipts, status")
    psub = p.add_subparsers(dest="print_command", metavar="ACTION")
    psub.required = True

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--printer", required=True, metavar="URL",
                       help="tcp://host:9100, serial:///dev/ttyS0?baud=9600, usb://VID:PID, file:///dev/usb/lp0, cups://QUEUE")
        q.add_argument("--json", action="store_true", help="print one JSON document")
        q.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the printer")

    test = psub.add_parser("test", help="print the technician test page")
    common(test)
    test.add_argument("--lang", choices=("zh", "en"), default="zh")
    test.add_argument("--technician", help="technician number printed on the page")
    test.set_defaults(func=_test)

    rec = psub.add_parser("receipt", help="print a receipt from a JSON data file")
    common(rec)
    rec.add_argument("--data", required=True, metavar="FILE.json")
    rec.add_argument("--kind", choices=("application", "pickup", "deposit_slip"), default="application")
    rec.add_argument("--lang", choices=("zh", "en"), default="zh")
    rec.set_defaults(func=_receipt)

    st = psub.add_parser("status", help="read the printer's status (online, paper)")
    common(st)
    st.set_defaults(func=_status)

    sm = psub.add_parser("sample", help="print example receipt data as JSON (a starting point for --data)")
    sm.add_argument("kind", choices=("application", "pickup", "deposit_slip", "test_page"))
    sm.add_argument("--lang", choices=("zh", "en"), default="zh")
    sm.set_defaults(func=_sample)


def _open(args: argparse.Namespace) -> Any:
    from kiosk.devices.registry import create_device

    try:
        printer = create_device("printer", args.printer)
    except ValueError as exc:
        return str(exc)
    printer.open()
    return printer


def _run(args: argparse.Namespace, kind: str, data: Any, lang: str) -> int:
    from kiosk.devices.base import ResultCode

    printer = _open(args)
    if isinstance(printer, str):
        return fail(args, printer, {"ok": False}, code=EXIT_BAD_DATA)
    try:
        try:
            done = printer.print_document(kind, data, lang).result(args.timeout)
        except TimeoutError:
            return fail(args, f"printer did not finish within {args.timeout:g} s", {"ok": False})
    finally:
        printer.close()
    payload = {"ok": done.ok, "code": str(done.code), "kind": kind, "lang": lang, "printer": args.printer}
    if done.ok:
        info = done.data or {}
        payload.update(bytes=info.get("bytes"), paper=info.get("paper"), qr=info.get("qr"),
                       replaced=info.get("replaced", []), detail=info.get("detail"))
        emit(args, payload, f"{args.printer}: {kind} receipt printed ({info.get('bytes')} bytes, "
                            f"paper {info.get('paper')}); {info.get('detail')}")
        return 0
    payload["detail"] = done.detail
    if done.code is ResultCode.INVALID_DATA:
        return fail(args, done.detail, payload, code=EXIT_BAD_DATA)
    if done.code is ResultCode.DEVICE_NOT_READY:
        fallback = (done.data or {}).get("fallback") or {}
        payload["fallback"] = fallback
        hint = f" (show the receipt on screen instead; QR: {fallback['qr']})" if fallback.get("qr") else ""
        return fail(args, f"{done.detail}{hint}", payload, code=EXIT_NOT_READY)
    return fail(args, f"{done.code}: {done.detail}", payload)


def _test(args: argparse.Namespace) -> int:
    data: dict[str, Any] = {"printed_at": datetime.now().replace(microsecond=0).isoformat(),
                            "printer_url": args.printer[:120]}
    if args.technician:
        data["technician"] = args.technician
    return _run(args, "test_page", data, args.lang)


def _receipt(args: argparse.Namespace) -> int:
    try:
        with open(args.data, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        return fail(args, f"cannot read {args.data}: {exc.strerror or exc}", {"ok": False}, code=EXIT_BAD_DATA)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return fail(args, f"{args.data} is not valid UTF-8 JSON: {exc}", {"ok": False}, code=EXIT_BAD_DATA)
    return _run(args, args.kind, data, args.lang)


def _status(args: argparse.Namespace) -> int:
    printer = _open(args)
    if isinstance(printer, str):
        return fail(args, printer, {"ok": False}, code=EXIT_BAD_DATA)
    try:
        snap = printer.snapshot()
    finally:
        printer.close()
    ok = snap["status"] == "online"
    payload = {"ok": ok, "printer": args.printer, **{k: snap[k] for k in ("status", "detail", "paper", "capabilities")}}
    if not ok:
        return fail(args, f"printer {snap['status']}: {snap['detail']}", payload, code=EXIT_NOT_READY)
    emit(args, payload, f"{args.printer}: {snap['status']}, paper {snap['paper']} ({snap['detail']})")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from kiosk.devices.printer.samples import sample

    print(json.dumps(sample(args.kind, args.lang), ensure_ascii=False, indent=2))
    return 0
