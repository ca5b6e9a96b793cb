"""`kiosk audit verify|tail`: check the audit log's hash chain, show the latest records.

    kiosk audit verify [--head SEQ:HASH] [--db FILE | --config FILE] [--json]

`verify` checks the chain, then compares it with the newest audit head the back office has
acknowledged (kept by the outbox) and with `--head` (a head read from the back office): a chain
whose tail was deleted still links, but it no longer reaches that head (security finding 5).
Exit 0 only when everything matches."""

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
        else:
            a.add_argument("--head", help="SEQ:HASH of an audit head the back office holds")
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
    heads: list[tuple[str, int, str]] = []
    if args.head:
        seq, _, digest = args.head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            return fail(args, f"--head {args.head!r}: expected SEQ:HASH (a number, a colon, 64 hex digits)", code=2)
        heads.append(("--head", int(seq), digest.lower()))
    acked = _acked_head(log)
    if acked is not None:
        heads.append(("acknowledged by the back office", int(acked["seq"]), str(acked["hash"])))
    for source, seq, digest in heads:
        if not ok:
            break
        ok, detail = log.verify_against(seq, digest)
        why = f"{why}; {detail} ({source})"
    emit(args, {"ok": ok, "detail": why}, f"audit: {'OK' if ok else 'BROKEN'}: {why}")
    return 0 if ok else 1


def _acked_head(log: AuditLog) -> dict | None:
    has = log.store.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox_meta'")
    if not has:
        return None
    cols = [r[1] for r in log.store.query("PRAGMA table_info(outbox_meta)")]
    if "acked_audit_head" not in cols:
        return None
    row = log.store.query("SELECT acked_audit_head FROM outbox_meta WHERE id = 1")
    import json

    return json.loads(row[0][0]) if row and row[0][0] else None


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
