"""`kiosk cabinet status|open`: the configured cabinet, through the station's own service.

    kiosk cabinet status [--json] [--config FILE]
    kiosk cabinet open A03 --reason TEXT [--actor NAME] [--json] [--config FILE]

`open` is journaled (an intent written before the pulse) and audited, like every door command
of the station. The default config is `config/sim.toml`; when the cabinet URL contains `{sim}`
the emulated boards are started in this process, so the commands work on the simulated station.
On a real machine, stop the station first: the port has one owner.
"""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli._output import emit, fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cabinet", help="the configured cabinet (compartments, doors)")
    csub = p.add_subparsers(dest="cabinet_command", metavar="ACTION")
    csub.required = True
    st = csub.add_parser("status", help="compartments, doors and board health")
    st.add_argument("--config", default="config/sim.toml")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=_status)
    op = csub.add_parser("open", help="open one compartment's door (journaled and audited)")
    op.add_argument("compartment", help="e.g. A03")
    op.add_argument("--reason", required=True)
    op.add_argument("--actor", default="technician:cli")
    op.add_argument("--config", default="config/sim.toml")
    op.add_argument("--json", action="store_true")
    op.set_defaults(func=_open)


class _Station:
    """Config + (simulated) boards + device + store + service, closed in reverse order."""

    def __init__(self, config_path: str) -> None:
        from kiosk.config import load_config
        from kiosk import simulation
        from kiosk.services.audit import AuditLog
        from kiosk.services.store import Store

        cfg = load_config(config_path)
        if "{root}" in cfg.cabinet.url:  # a simulated station's pty link, under the current directory
            from pathlib import Path

            url = cfg.cabinet.url.replace("{root}", str(Path.cwd().resolve()))
            cfg = cfg.model_copy(update={"cabinet": cfg.cabinet.model_copy(update={"url": url})})
        self.store = Store(cfg.storage.database)
        try:
            self.wired = simulation.wire_cabinet(cfg.cabinet, self.store, AuditLog(self.store), start=False)
        except BaseException:
            self.store.close()
            raise
        self.cabinet = self.wired.device
        self.service = self.wired.service
        self.cabinet.open()

    def close(self) -> None:
        self.wired.close()
        self.store.close()


def _station(args: argparse.Namespace) -> tuple[_Station | None, int | None]:
    from kiosk.config import ConfigError
    from kiosk.services.store import StoreError

    try:
        return _Station(args.config), None
    except (ConfigError, StoreError, ValueError) as exc:
        return None, fail(args, str(exc), code=2)


def _status(args: argparse.Namespace) -> int:
    station, rc = _station(args)
    if station is None:
        return rc or 2
    try:
        svc = station.service
        svc.sync_map()
        try:
            svc.cabinet.refresh().result(10)
        except TimeoutError:  # a huge or struggling bus: show what is known (doors "unknown")
            pass
        doors = svc.cabinet.doors()
        rows: list[dict[str, Any]] = []
        for c in svc.compartments():
            row = c.as_dict()
            row["door"] = doors.get((c.board, c.lock), "unknown")
            rows.append(row)
        cab = station.cabinet
        payload = {"status": str(cab.status), "bus": cab.class_status.get("bus", "unknown"),
                   "detail": cab.snapshot()["detail"], "boards": cab.boards(), "compartments": rows}
    finally:
        station.close()
    lines = [f"cabinet: {payload['status']} (bus {payload['bus']}) {payload['detail']}"]
    for b in payload["boards"]:
        lines.append(f"  board {b['board']}: {b['state']}" + (f" ({b['last_error']})" if b["last_error"] else ""))
    lines.append(f"  {'id':<4} {'size':<4} {'state':<15} {'door':<8} {'case':<16} attention")
    for r in rows:
        lines.append(f"  {r['id']:<4} {r['size']:<4} {r['state']:<15} {r['door']:<8} {r['case'] or '-':<16} "
                     f"{r['attention'] or ''}")
    emit(args, payload, "\n".join(lines))
    return 0 if payload["status"] == "online" else 1


def _open(args: argparse.Namespace) -> int:
    from kiosk.services.cabinet import CabinetError

    station, rc = _station(args)
    if station is None:
        return rc or 2
    try:
        report = station.service.start()
        try:
            c = station.service.get(args.compartment)
            out = station.service.technician_open(args.compartment, args.reason, args.actor)
        except CabinetError as exc:
            return fail(args, str(exc), {"compartment": args.compartment}, code=2)
    finally:
        station.close()
    payload = {"compartment": c.id, "board": c.board, "lock": c.lock, "result": out.result,
               "intent": out.intent_id}
    if report.flagged:
        payload["reconciled"] = report.as_dict()["flagged"]
    if out.ok:
        emit(args, payload, f"{c.id} (board {c.board} lock {c.lock}): {out.result} (intent {out.intent_id})")
        return 0
    return fail(args, f"{c.id} (board {c.board} lock {c.lock}): {out.result}: {out.detail}", payload)
