"""`kiosk audit verify|tail`: check the audit log's hash chain, show the latest records."""

from __future__ import annotations

import argparse

from kiosk.cli._output import emit, fail
from kiosk.config import ConfigError, load_config
from kiosk.services.audit import AuditLog
from kiosk.services.store import Store, StoreError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the station's tamper-evident audit log")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    asub.required = True
    for name, func, help_ in (("verify", _verify, "check the hash chain"),
                              ("tail", _tail, "show the latest records")):
        a = asub.add_parser(name, help=help_)
        a.add_argument("--config", default="config/sim.toml")
        a.add_argument("--db", help="database file (default: [storage] database of the config)")
        a.add_argument("--json", action="store_true")
        if name == "tail":
            a.add_argument("-n", type=int, default=20)
        a.set_defaults(func=func)


def _open(args: argparse.Namespace) -> AuditLog:
    path = args.db or load_config(args.config).storage.database
    return AuditLog(Store(path))


def _verify(args: argparse.Namespace) -> int:
    try:
        log = _open(args)
    except (ConfigError, StoreError) as exc:
        return fail(args, str(exc))
    ok, why = log.verify()
    emit(args, {"ok": ok, "detail": why}, f"audit: {'OK' if ok else 'BROKEN'}: {why}")
    return 0 if ok else 1


def _tail(args: argparse.Namespace) -> int:
    try:
        log = _open(args)
    except (ConfigError, StoreError) as exc:
        return fail(args, str(exc))
    rows = log.store.query("SELECT max(seq) FROM audit")
    last = rows[0][0] or 0
    records = log.records(since_seq=max(0, last - args.n), limit=args.n)
    payload = {"records": [r.__dict__ for r in records]}
    text = "\n".join(f"{r.seq:6d} {r.ts} {r.actor:<16} {r.action:<24} {r.subject} {r.detail}" for r in records)
    emit(args, payload, text or "(no records)")
    return 0
