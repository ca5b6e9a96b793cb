"""`kiosk setup`: provision a new station, from power-on to a validated config and a commissioning report.

    kiosk setup --non-interactive --cabinet-port PATH [--protocol auto|NAME] [--baud auto|N]
        [--id-reader URL] [--camera URL] [--scanner URL] [--printer URL] --station-id ID --out FILE [--json]
        [--sizes SPEC] [--locks BOARD:N,...] [--doors-shut] [--printer-host HOST[:PORT]]... [--root DIR]
        [--lang zh|en]
    kiosk setup [same options as defaults]          # interactive: prompts on the terminal

Exit 0 only when FILE was written and passes `kiosk config check`. On any failure: a message that
says what to check, exit 1 (2 for bad usage), and nothing written. The bus steps release lock 1 of
every board (polarity), and in the interactive door-by-door map every lock once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.cli._output import emit, fail

ROLE_OPTIONS = {"id_reader": "id_reader", "camera": "camera", "scanner": "scanner", "printer": "printer"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("setup", help="provision this station: discover devices, scan the cabinet bus, write the config")
    p.add_argument("--non-interactive", action="store_true", help="no prompts (mass roll-out, CI)")
    p.add_argument("--cabinet-port", help="serial port of the lock boards, e.g. /dev/serial/by-id/usb-FTDI...")
    p.add_argument("--protocol", default="auto", help="lock-board protocol, or auto (try every one)")
    p.add_argument("--baud", default="auto", help="baud rate, or auto (try every one)")
    p.add_argument("--id-reader", help="sam:///dev/ttyUSB0?baud=115200 or pcsc://READER")
    p.add_argument("--trust-store", help="directory of CSCA certificates; required with a pcsc:// (passport) reader")
    p.add_argument("--camera", help="face camera, e.g. v4l2:///dev/video0")
    p.add_argument("--scanner", help="document camera URL (or camera://document?camera=URL)")
    p.add_argument("--printer", help="tcp://HOST:9100, usb://VID:PID, cups://QUEUE, serial:///dev/ttyS0")
    p.add_argument("--station-id", help="3-40 characters of a-z, 0-9, '-'")
    p.add_argument("--out", help="config file to write (its directory must exist)")
    p.add_argument("--sizes", help="compartment sizes in bus order: M,A01-A06=S,A23-A24=L (default M)")
    p.add_argument("--locks", help="locks wired per board where the reply cannot tell (8a80): BOARD:N,... e.g. 2:8")
    p.add_argument("--doors-shut", action="store_true",
                   help="every door is shut (looked at): accept a board that reads all locks open as inverted polarity")
    p.add_argument("--printer-host", action="append", default=[], help="try raw TCP 9100 on this host (repeatable)")
    p.add_argument("--root", default=".", help="station root: the report goes to ROOT/var/commissioning, the key "
                   "to ROOT/var/hash.key (default: the current directory)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of prompts and messages")
    p.add_argument("--reply-timeout-ms", type=float, default=100.0, help="wait this long for each board's reply")
    p.add_argument("--dev", default="/dev", help=argparse.SUPPRESS)  # discovery roots (tests)
    p.add_argument("--sys", default="/sys", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_setup)


def _usage(args: argparse.Namespace) -> tuple[str | None, int | None, str | None]:
    from locker_firmware_bridge import protocol_names

    protocol = None if args.protocol == "auto" else args.protocol
    if protocol is not None and protocol not in protocol_names():
        return None, None, f"--protocol {args.protocol!r}: allowed auto, {', '.join(protocol_names())}"
    baud = None
    if args.baud != "auto":
        if not args.baud.isdigit() or int(args.baud) <= 0:
            return None, None, f"--baud {args.baud!r}: give auto or a baud rate such as 9600"
        baud = int(args.baud)
    if args.non_interactive:
        missing = [o for o, v in (("--cabinet-port", args.cabinet_port), ("--station-id", args.station_id),
                                  ("--out", args.out)) if not v]
        if missing:
            return None, None, f"--non-interactive needs {', '.join(missing)}"
    return protocol, baud, None


def _roots(args: argparse.Namespace):  # noqa: ANN202
    from kiosk.provisioning.discovery import Roots

    return Roots(dev=Path(args.dev), sys=Path(args.sys), printer_hosts=tuple(args.printer_host))


def _urls(args: argparse.Namespace) -> dict[str, str]:
    return {role: getattr(args, attr) for role, attr in ROLE_OPTIONS.items() if getattr(args, attr)}


def _setup(args: argparse.Namespace) -> int:
    from kiosk.i18n import translate
    from kiosk.provisioning.cabinet_probe import BusProbe
    from kiosk.provisioning.errors import SetupError

    protocol, baud, problem = _usage(args)
    if problem:
        return fail(args, problem, {"ok": False}, code=2)
    probe = BusProbe(reply_timeout_s=args.reply_timeout_ms / 1000)
    try:
        if args.non_interactive:
            return _non_interactive(args, probe, protocol, baud)
        return _interactive(args, probe, protocol, baud)
    except SetupError as exc:
        headline = translate(f"setup.error.{exc.check.split('.')[0]}", args.lang)
        return fail(args, f"{headline}: {exc.message}", {"ok": False, "check": exc.check})


def _non_interactive(args: argparse.Namespace, probe, protocol: str | None, baud: int | None) -> int:  # noqa: ANN001
    from kiosk.provisioning.runner import SetupRequest, parse_locks, result_json, run_non_interactive

    req = SetupRequest(cabinet_port=args.cabinet_port, station_id=args.station_id, out=Path(args.out),
                       protocol=protocol, baud=baud, urls=_urls(args), sizes=args.sizes, locks=parse_locks(args.locks),
                       doors_shut=args.doors_shut, root=Path(args.root), roots=_roots(args),
                       trust_store=args.trust_store)
    result = run_non_interactive(req, probe)
    doc = result_json(result)
    warn = sum(1 for c in result.checks if c.status == "warn")
    emit(args, doc, f"{result.config_path}: OK ({len(result.plan.boards)} board(s), {doc['compartments']} compartments, "
                    f"{warn} warning(s)); report: {result.report_paths[1]}")
    return 0


def _interactive(args: argparse.Namespace, probe, protocol: str | None, baud: int | None) -> int:  # noqa: ANN001
    from kiosk.flows.texts import render
    from kiosk.i18n import translate
    from kiosk.provisioning.machine import SetupDefaults, SetupMachine
    from kiosk.provisioning.runner import parse_locks, result_json

    lang = args.lang
    machine = SetupMachine(probe, SetupDefaults(
        station_id=args.station_id, out=args.out, cabinet_port=args.cabinet_port, protocol=protocol, baud=baud,
        urls=_urls(args), sizes=args.sizes, locks=parse_locks(args.locks), root=Path(args.root), roots=_roots(args)))
    out = sys.stderr if args.json else sys.stdout  # with --json, stdout carries only the result document
    shown_step = None
    while not machine.finished:
        p = machine.prompt()
        for line in p.info:
            print("  " + render(line, lang), file=out)
        if p.error is not None:
            print("! " + render(p.error, lang) + (f": {p.detail}" if p.detail else ""), file=out)
        if p.step != shown_step or p.error is not None:
            print("\n" + render(p.explain, lang), file=out)
            shown_step = p.step
        for i, c in enumerate(p.choices, 1):
            label = translate(c.label, lang) if c.translate else c.label
            print(f"  {i}) {label}", file=out)
        default = f" [{translate('setup.default', lang)}: {p.default}]" if p.default else ""
        print(f"{render(p.question, lang)}{default}: ", end="", file=out, flush=True)
        try:
            line = input()
        except EOFError:
            print(file=out)
            machine.abort()
            break
        machine.answer(line)
    if machine.state == "aborted" or machine.result is None:
        print(translate("setup.aborted.explain", lang), file=out)
        return fail(args, "setup quit before the config was written; nothing was written", {"ok": False}, code=1)
    p = machine.prompt()
    print(render(p.explain, lang), file=out)
    if args.json:
        emit(args, result_json(machine.result))
    return 0
