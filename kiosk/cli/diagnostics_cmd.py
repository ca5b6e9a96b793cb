"""`kiosk diagnostics export --config FILE [--root DIR] --out FILE`: a zip for support with the station's
logs (and `journalctl -u kiosk-station` where systemd runs it), the commissioning report, the config
without secrets, store health and versions — no personal data (kiosk.services.diagnostics_export)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli._output import emit, fail
from kiosk.cli._station_open import add_station_args, station_files
from kiosk.config import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diagnostics", help="export a diagnostics bundle for support (no personal data)")
    dsub = p.add_subparsers(dest="diagnostics_command", metavar="ACTION")
    dsub.required = True
    e = dsub.add_parser("export", help="write logs, commissioning report, config, health and versions to a zip")
    add_station_args(e)
    e.add_argument("--out", required=True, help="the zip file to write")
    e.add_argument("--no-journal", action="store_true", help="do not call journalctl")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    from kiosk.services.diagnostics_export import export_diagnostics

    try:
        config, files = station_files(args)
        res = export_diagnostics(config, files, Path(args.out), include_journal=not args.no_journal)
    except ConfigError as exc:
        return fail(args, str(exc))
    except OSError as exc:
        return fail(args, f"{args.out}: cannot write the bundle: {exc.strerror or exc}")
    emit(args, {"out": str(res.path), "members": res.members, "skipped": res.skipped},
         f"diagnostics written: {res.path} ({len(res.members)} files)"
         + "".join(f"\n  skipped {k}: {v}" for k, v in res.skipped.items()))
    return 0
