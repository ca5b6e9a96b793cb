"""`kiosk staff add|list|disable|offer|enrol`: the station's staff and technicians.

    kiosk staff add --config FILE [--root DIR] --card NUMBER --name NAME --role staff|technician \
        --staff-no S002 [--pin-stdin]          # PIN from stdin, else asked twice without echo on a TTY
    kiosk staff list --config FILE [--root DIR] [--json]     # no PIN, no hash, cards masked
    kiosk staff disable --config FILE [--root DIR] STAFF_NO [--reason TEXT]
    kiosk staff offer --staff-no S002 --name NAME --role staff --card NUMBER|--card-masked M [--valid-h 72]
                                               # back office: a one-time code + the staff_add command args
    kiosk staff enrol --config FILE [--root DIR] STAFF_NO --code CODE --card NUMBER [--pin-stdin]
                                               # at the station: complete a back-office enrolment

A refused PIN names the policy rule (kiosk.services.pin_policy) and exits 2; any other failure exits 1.
"""

from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys
from typing import Any

from kiosk.cli._output import emit, fail
from kiosk.cli._station_open import add_station_args, cli_actor, station_files
from kiosk.config import ConfigError
from kiosk.services.keyed_hash import KeyFileError, mask_id_number

POLICY_EXIT = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="enrol, list and disable staff and technicians")
    ssub = p.add_subparsers(dest="staff_command", metavar="ACTION")
    ssub.required = True

    a = ssub.add_parser("add", help="enrol (or re-enrol) a staff member with their ID card and a new PIN")
    add_station_args(a)
    a.add_argument("--card", required=True, help="number of the ID card the person presents at the reader")
    a.add_argument("--name", required=True, help="display name the screen may show (e.g. '窗口3 / Desk 3')")
    a.add_argument("--role", required=True, choices=("staff", "technician"))
    a.add_argument("--staff-no", required=True)
    a.add_argument("--pin-stdin", action="store_true", help="read the PIN from the first line of stdin")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=_add)

    ls = ssub.add_parser("list", help="staff of this station (cards masked; never a PIN or a hash)")
    add_station_args(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    d = ssub.add_parser("disable", help="stop a staff member signing in (kept for the audit trail)")
    add_station_args(d)
    d.add_argument("staff_no")
    d.add_argument("--reason", default="disabled at the station")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=_disable)

    o = ssub.add_parser("offer", help="back office: make a one-time enrolment code and the staff_add command args")
    o.add_argument("--staff-no", required=True)
    o.add_argument("--name", required=True)
    o.add_argument("--role", required=True, choices=("staff", "technician"))
    card = o.add_mutually_exclusive_group(required=True)
    card.add_argument("--card", help="the person's card number (only its masked form goes into the command)")
    card.add_argument("--card-masked", help="the card number already masked (1101**********013X)")
    o.add_argument("--valid-h", type=int, default=72, help="hours the enrolment stays open (1-168)")
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=_offer)

    e = ssub.add_parser("enrol", help="at the station: complete a back-office enrolment (card, code, new PIN)")
    add_station_args(e)
    e.add_argument("staff_no")
    e.add_argument("--code", required=True, help="the one-time enrolment code the back office gave the person")
    e.add_argument("--card", required=True, help="number of the ID card the person presents")
    e.add_argument("--pin-stdin", action="store_true")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_enrol)


def _registry(args: argparse.Namespace, create_db: bool) -> Any:
    from kiosk.services.audit import AuditLog
    from kiosk.services.keyed_hash import KeyedHasher
    from kiosk.services.staff import StaffRegistry
    from kiosk.services.store import Store

    _, files = station_files(args)
    hasher = KeyedHasher.from_file(files.hash_key, files.database)
    if not create_db and not files.database.exists():
        raise ConfigError(f"{files.database}: no station database here (check --config and --root)")
    store = Store(files.database)
    return StaffRegistry(store, hasher, AuditLog(store))


def _read_pin(args: argparse.Namespace) -> str:
    if args.pin_stdin:
        line = sys.stdin.readline()
        if not line:
            raise ValueError("--pin-stdin: nothing on stdin (give the PIN on the first line)")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no PIN: give it with --pin-stdin, or run on a terminal to be asked for it")
    first = getpass.getpass("new PIN: ")
    if getpass.getpass("repeat the PIN: ") != first:
        raise ValueError("the two PINs differ; nothing was changed")
    return first


def _staff_error(args: argparse.Namespace, exc: Any) -> int:
    rule = getattr(exc, "rule", "")
    policy = rule and rule not in ("bad_code", "card_mismatch")
    return fail(args, str(exc), {"rule": rule} if rule else None, code=POLICY_EXIT if policy else 1)


def _add(args: argparse.Namespace) -> int:
    from kiosk.services.staff import StaffError

    try:
        pin = _read_pin(args)
        registry = _registry(args, create_db=True)
    except (ValueError, ConfigError, KeyFileError) as exc:
        return fail(args, str(exc))
    try:
        member = registry.add(args.staff_no, args.name, args.role, args.card, pin, actor=cli_actor())
    except StaffError as exc:
        return _staff_error(args, exc)
    finally:
        registry.store.close()
    masked = mask_id_number(args.card)
    emit(args, {"staff_no": member.staff_no, "role": member.role, "card": masked},
         f"enrolled {member.staff_no} ({member.role}), card {masked}")
    return 0


def _list(args: argparse.Namespace) -> int:
    try:
        registry = _registry(args, create_db=False)
    except (ConfigError, KeyFileError) as exc:
        return fail(args, str(exc))
    try:
        rows, offers = registry.roster(), registry.pending()
    finally:
        registry.store.close()
    payload = {"staff": [r.__dict__ for r in rows], "pending_enrolments": [o.__dict__ for o in offers]}
    lines = [f"{r.staff_no:<10} {r.role:<10} {r.card_masked:<20} {'active' if r.active else 'disabled':<8}"
             f"{' LOCKED' if r.locked else ''}  {r.display_name}" for r in rows]
    lines += [f"{o.staff_no:<10} {o.role:<10} {o.card_masked:<20} pending until {o.expires_at}  {o.display_name}"
              for o in offers]
    emit(args, payload, "\n".join(lines) or "(no staff enrolled)")
    return 0


def _disable(args: argparse.Namespace) -> int:
    from kiosk.services.staff import StaffError

    try:
        registry = _registry(args, create_db=False)
    except (ConfigError, KeyFileError) as exc:
        return fail(args, str(exc))
    try:
        changed = registry.disable(args.staff_no, cli_actor(), args.reason)
    except StaffError as exc:
        return fail(args, str(exc))
    finally:
        registry.store.close()
    emit(args, {"staff_no": args.staff_no, "changed": changed},
         f"{args.staff_no} disabled" + ("" if changed else " (it already was)"))
    return 0


def _offer(args: argparse.Namespace) -> int:
    from kiosk.services import pin_hash

    if not 1 <= args.valid_h <= 168:
        return fail(args, "--valid-h must be 1 to 168 hours")
    masked = mask_id_number(args.card) if args.card else args.card_masked
    code = f"{secrets.randbelow(10**8):08d}"
    cmd_args = {"staff_no": args.staff_no, "display_name": args.name, "role": args.role, "card_masked": masked,
                "enrol_code_hash": pin_hash.encode(code), "valid_h": args.valid_h}
    from kiosk.services.fleet import contract

    problem = contract.check("command", {"cmd_id": "00000000-0000-0000-0000-000000000000", "kiosk_id": "check-only",
                                         "name": "staff_add", "operator": "check", "issued_at": 0, "expires_at": 1,
                                         "args": cmd_args, "sig": "A" * 86})
    if problem:
        return fail(args, f"these values break the staff_add contract: {problem}")
    emit(args, {"code": code, "args": cmd_args},
         f"one-time enrolment code (give it to the person, not to the station): {code}\n"
         f"kiosk fleet command STATION staff_add --args '{json.dumps(cmd_args, ensure_ascii=False)}' --key KEY")
    return 0


def _enrol(args: argparse.Namespace) -> int:
    from kiosk.services.staff import StaffError

    try:
        pin = _read_pin(args)
        registry = _registry(args, create_db=False)
    except (ValueError, ConfigError, KeyFileError) as exc:
        return fail(args, str(exc))
    try:
        member = registry.complete_enrolment(args.staff_no, args.code, args.card, pin)
    except StaffError as exc:
        return _staff_error(args, exc)
    finally:
        registry.store.close()
    emit(args, {"staff_no": member.staff_no, "role": member.role},
         f"enrolled {member.staff_no} ({member.role}) from the back office's offer")
    return 0
